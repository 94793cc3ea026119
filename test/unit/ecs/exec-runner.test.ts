import { describe, expect, it } from 'vitest';
import type { EcsGateway, EcsTask, ExecuteCommandRequest } from '../../../src/ecs/ecs-port.js';
import { PrecheckFailedError } from '../../../src/ecs/errors.js';
import { runInContainer } from '../../../src/ecs/exec-runner.js';
import type { ExitMarkerFilter } from '../../../src/ecs/exit-code.js';
import type { ClusterSettings } from '../../../src/ecs/resolve-target.js';
import type { ExecSessionParams } from '../../../src/ssm/exec-session.js';
import { container, task } from './fixtures.js';

const cluster: ClusterSettings = {
  alias: 'prod',
  cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod',
  shell: '/bin/bash',
};

function harness(tasks: EcsTask[]) {
  const executed: ExecuteCommandRequest[] = [];
  const sessions: ExecSessionParams[] = [];
  const never = async (): Promise<never> => {
    throw new Error('not used');
  };
  const ecs: EcsGateway = {
    listTasks: async () => tasks.map((t) => t.taskArn),
    describeTasks: async () => ({ tasks, missing: [] }),
    describeCluster: never,
    describeTaskDefinition: never,
    describeContainerInstance: never,
    invalidate: () => {},
    executeCommand: async (request) => {
      executed.push(request);
      return {
        sessionId: 'sess-1',
        streamUrl: 'wss://example/sess-1',
        tokenValue: 'token',
        clusterArn: cluster.cluster,
        taskArn: request.task,
        containerName: request.container,
      };
    },
  };
  const deps = {
    ecs,
    control: { resumeSession: never, terminateSession: never },
    kms: { generateDataKey: never },
    runSession: async (params: ExecSessionParams) => {
      sessions.push(params);
      params.onOutput(new TextEncoder().encode('hi'));
      return { outcome: 'completed' as const, exitCode: 5, reason: null, outputBytes: 2 };
    },
  };
  return { deps, executed, sessions };
}

const base = {
  target: { kind: 'service' as const, cluster: 'prod', service: 'web' },
  command: 'echo hi',
  onOutput: () => {},
};

describe('runInContainer', () => {
  it("wraps the command in the cluster's shell and reports the exit code it recovers", async () => {
    const { deps, executed, sessions } = harness([task()]);
    const result = await runInContainer(deps, { ...base, cluster });
    expect(executed[0]?.command.startsWith('/bin/bash -c ')).toBe(true);
    expect((sessions[0]?.outputFilter as ExitMarkerFilter | null)?.marker).toMatch(/^__ECSEXEC_/);
    expect(result).toMatchObject({ outcome: 'completed', exitCode: 5, sessionId: 'sess-1', bytes: 2 });
  });

  it('runs the command as given for shell none and --no-wrap', async () => {
    for (const request of [
      { ...base, cluster: { ...cluster, shell: 'none' } },
      { ...base, cluster, noWrap: true },
    ]) {
      const { deps, executed, sessions } = harness([task()]);
      await runInContainer(deps, request);
      expect(executed[0]?.command).toBe('echo hi');
      expect(sessions[0]?.outputFilter).toBeNull();
    }
  });

  it('passes the SSM target id the KMS handshake needs', async () => {
    const { deps, sessions } = harness([task()]);
    await runInContainer(deps, { ...base, cluster });
    expect(sessions[0]?.targetId).toBe('ecs:prod_0123456789abcdef0123456789abcdef_app-runtime');
  });

  it('never calls ExecuteCommand when a precheck fails', async () => {
    const { deps, executed } = harness([task({ enableExecuteCommand: false })]);
    const target = { kind: 'task' as const, cluster: 'prod', taskId: '0123456789abcdef0123456789abcdef' };
    await expect(runInContainer(deps, { ...base, target, cluster })).rejects.toBeInstanceOf(PrecheckFailedError);
    expect(executed).toHaveLength(0);
  });

  it('does nothing once already cancelled', async () => {
    const { deps, executed } = harness([task({ containers: [container('app')] })]);
    const controller = new AbortController();
    controller.abort(new Error('Ctrl-C'));
    await expect(runInContainer(deps, { ...base, cluster, signal: controller.signal })).rejects.toThrow('Ctrl-C');
    expect(executed).toHaveLength(0);
  });
});
