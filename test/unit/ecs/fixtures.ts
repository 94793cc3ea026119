import type { EcsContainer, EcsTask } from '../../../src/ecs/ecs-port.js';

/** A task that can take a command: RUNNING, exec enabled, agent RUNNING in its one container. */
export function task(overrides: Partial<EcsTask> & { id?: string } = {}): EcsTask {
  const id = overrides.id ?? '0123456789abcdef0123456789abcdef';
  const { id: _ignored, ...rest } = overrides;
  return {
    taskArn: `arn:aws:ecs:eu-west-1:111122223333:task/prod/${id}`,
    taskId: id,
    clusterArn: 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod',
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    startedAt: 1_000,
    enableExecuteCommand: true,
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    group: 'service:web',
    containers: [container('app')],
    ...rest,
  };
}

/** A container whose exec agent has the given status. */
export function container(name: string, agent: string | null = 'RUNNING', lastStatus = 'RUNNING'): EcsContainer {
  return {
    name,
    runtimeId: `${name}-runtime`,
    lastStatus,
    ...(agent ? { execAgent: { lastStatus: agent } } : {}),
  };
}

/** Builds a 32-hex id from a small number, so tests read well. */
export function hexId(n: number): string {
  return n.toString(16).padStart(32, '0');
}
