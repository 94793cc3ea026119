import { describe, expect, it } from 'vitest';
import type { EcsGateway } from '../../../src/ecs/ecs-port.js';
import {
  AmbiguousContainerError,
  ContainerNotFoundError,
  ForeignTaskArnError,
  MalformedTargetError,
  NoEligibleTaskError,
  PrecheckFailedError,
  TaskNotFoundError,
  UnknownClusterError,
} from '../../../src/ecs/errors.js';
import {
  type ClusterSettings,
  chooseContainer,
  chooseServiceTask,
  clusterFor,
  precheck,
  resolveTarget,
  targetFromFlags,
} from '../../../src/ecs/resolve-target.js';
import { foreignArnReason } from '../../../src/ecs/task-arn.js';
import { container, hexId, task } from './fixtures.js';

const prod: ClusterSettings = {
  alias: 'prod',
  cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod',
  region: 'eu-west-1',
  shell: '/bin/sh',
  defaultContainers: { web: 'app' },
};

describe('chooseServiceTask', () => {
  it('runs on the task whose agent is RUNNING, not the newer one whose agent is PENDING', () => {
    const pending = task({ id: hexId(1), startedAt: 2_000, containers: [container('app', 'PENDING')] });
    const ready = task({ id: hexId(2), startedAt: 1_000 });
    expect(chooseServiceTask([pending, ready], 'web', 'prod').task.taskId).toBe(hexId(2));
  });

  it('prefers the newest started of several ready tasks', () => {
    const old = task({ id: hexId(1), startedAt: 1_000 });
    const newest = task({ id: hexId(2), startedAt: 3_000 });
    const middle = task({ id: hexId(3), startedAt: 2_000 });
    expect(chooseServiceTask([old, newest, middle], 'web', 'prod').task.taskId).toBe(hexId(2));
  });

  it('skips a newer task that is stopping (desired STOPPED) even while it still reports RUNNING', () => {
    const stopping = task({ id: hexId(1), startedAt: 5_000, desiredStatus: 'STOPPED' });
    const ready = task({ id: hexId(2), startedAt: 1_000 });
    expect(chooseServiceTask([stopping, ready], 'web', 'prod').task.taskId).toBe(hexId(2));
  });

  it('explains what it found when no task qualifies', () => {
    const tasks = [
      task({ id: hexId(1), desiredStatus: 'STOPPED' }),
      task({ id: hexId(2), containers: [container('app', 'PENDING')] }),
      task({ id: hexId(3), lastStatus: 'PROVISIONING' }),
      task({ id: hexId(4), enableExecuteCommand: false }),
    ];
    const error = captured(() => chooseServiceTask(tasks, 'web', 'prod'));
    expect(error).toBeInstanceOf(NoEligibleTaskError);
    expect((error as NoEligibleTaskError).userMessage).toContain(
      '4 tasks: 1 stopping, 1 agent PENDING, 1 provisioning, 1 exec not enabled',
    );
  });

  it('says so plainly when the service has no task at all', () => {
    const error = captured(() => chooseServiceTask([], 'web', 'prod')) as NoEligibleTaskError;
    expect(error.userMessage).toContain('no running tasks');
  });

  it('uses the configured default container of the service', () => {
    const t = task({ containers: [container('envoy'), container('app')] });
    expect(chooseServiceTask([t], 'web', 'prod', undefined, 'app').container.name).toBe('app');
  });

  it('reports an ambiguity with the choices rather than guessing', () => {
    const t = task({ containers: [container('app'), container('worker')] });
    const error = captured(() => chooseServiceTask([t], 'web', 'prod')) as AmbiguousContainerError;
    expect(error).toBeInstanceOf(AmbiguousContainerError);
    expect(error.choices).toEqual(['app', 'worker']);
    expect(error.userMessage).toContain('app, worker');
  });
});

describe('chooseContainer', () => {
  it('takes the only container', () => {
    expect(chooseContainer(task()).name).toBe('app');
  });

  it('does not count a sidecar without an exec agent as a choice', () => {
    const t = task({ containers: [container('app'), container('log-router', null)] });
    expect(chooseContainer(t).name).toBe('app');
  });

  it('honours the requested container over the configured default', () => {
    const t = task({ containers: [container('app'), container('worker')] });
    expect(chooseContainer(t, 'worker', 'app').name).toBe('worker');
  });

  it('lists the containers when the requested one does not exist', () => {
    const t = task({ containers: [container('app'), container('worker')] });
    const error = captured(() => chooseContainer(t, 'db')) as ContainerNotFoundError;
    expect(error).toBeInstanceOf(ContainerNotFoundError);
    expect(error.userMessage).toContain('Its containers: app, worker');
  });
});

describe('precheck', () => {
  const cases: Array<[string, Parameters<typeof precheck>, string, RegExp]> = [
    [
      'a stopped task',
      [task({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedReason: 'Scaling activity' }), container('app')],
      'task_running',
      /not running .*Scaling activity/,
    ],
    ['a stopping task', [task({ desiredStatus: 'STOPPED' }), container('app')], 'task_running', /and stopping/],
    [
      'exec disabled',
      [task({ enableExecuteCommand: false }), container('app')],
      'exec_enabled',
      /--enable-execute-command/,
    ],
    ['agent pending', [task(), container('app', 'PENDING')], 'agent_running', /PENDING, not RUNNING/],
    ['no agent', [task(), container('app', null)], 'agent_running', /has no exec agent/],
    [
      'container stopped',
      [task(), container('app', 'RUNNING', 'STOPPED')],
      'container_running',
      /stopped, not running/,
    ],
  ];
  it.each(cases)('refuses %s with the fix', (_name, args, check, message) => {
    const error = captured(() => precheck(...args)) as PrecheckFailedError;
    expect(error).toBeInstanceOf(PrecheckFailedError);
    expect(error.check).toBe(check);
    expect(error.code).toBe(`ecs.precheck.${check}`);
    expect(error.userMessage).toMatch(message);
    expect(error.userMessage).toMatch(/Fix:/);
  });

  it('passes a running, exec-enabled task with a running agent', () => {
    expect(() => precheck(task(), container('app'))).not.toThrow();
  });
});

describe('targetFromFlags', () => {
  it('reads a service', () => {
    expect(targetFromFlags({ cluster: 'prod', service: 'web' })).toEqual({
      kind: 'service',
      cluster: 'prod',
      service: 'web',
    });
  });

  it('reads a 32-hex task id with a container', () => {
    expect(targetFromFlags({ cluster: 'prod', task: hexId(7), container: 'app' })).toEqual({
      kind: 'task',
      cluster: 'prod',
      taskId: hexId(7),
      container: 'app',
    });
  });

  it('reads a task ARN, taking the cluster and region from it', () => {
    const arn = `arn:aws:ecs:us-east-2:111122223333:task/other/${hexId(9)}`;
    expect(targetFromFlags({ cluster: 'prod', task: arn })).toMatchObject({
      kind: 'task-arn',
      cluster: 'other',
      taskId: hexId(9),
      region: 'us-east-2',
      account: '111122223333',
    });
  });

  it.each(['abc', `${hexId(1)}0`, 'ZZZZ456789abcdef0123456789abcdef', 'web'])(
    'refuses the malformed task id %s',
    (bad) => {
      expect(() => targetFromFlags({ cluster: 'prod', task: bad })).toThrow(MalformedTargetError);
    },
  );

  it('refuses a container name with shell characters', () => {
    expect(() => targetFromFlags({ cluster: 'prod', service: 'web', container: 'app;rm' })).toThrow(
      MalformedTargetError,
    );
  });
});

describe('clusterFor', () => {
  it('finds the alias', () => {
    expect(clusterFor({ kind: 'service', cluster: 'prod', service: 'web' }, { prod })).toBe(prod);
  });

  it('names the known aliases when the alias is unknown', () => {
    const error = captured(() => clusterFor({ kind: 'service', cluster: 'prdo', service: 'web' }, { prod }));
    expect(error).toBeInstanceOf(UnknownClusterError);
    expect((error as UnknownClusterError).userMessage).toContain('Known clusters: prod');
  });

  it('accepts a task ARN whose cluster the config knows under an alias', () => {
    const target = {
      kind: 'task-arn' as const,
      taskArn: 'x',
      cluster: 'prod',
      taskId: hexId(1),
      region: 'eu-west-1',
      account: '111122223333',
    };
    expect(clusterFor(target, { live: { ...prod, alias: 'live' } }).alias).toBe('live');
  });

  it('refuses a task ARN from another account or region, even when the cluster name matches', () => {
    const base = { kind: 'task-arn' as const, taskArn: 'x', cluster: 'prod', taskId: hexId(1) };
    const clusters = { live: { ...prod, alias: 'live' } };
    expect(() => clusterFor({ ...base, region: 'eu-west-1', account: '999999999999' }, clusters)).toThrow(
      UnknownClusterError,
    );
    expect(() => clusterFor({ ...base, region: 'us-east-1', account: '111122223333' }, clusters)).toThrow(
      UnknownClusterError,
    );
  });
});

describe('task ARNs of another partition, account or region', () => {
  const base = { kind: 'task-arn' as const, taskArn: 'x', cluster: 'prod', taskId: hexId(1) };
  const place = { partition: 'aws', region: 'eu-west-1', account: '111122223333' };

  it.each([
    ['another partition', { ...place, partition: 'aws-cn' }],
    ['another account', { ...place, account: '999999999999' }],
    ['another region', { ...place, region: 'us-east-1' }],
  ])('are not the cluster of a cluster ARN: %s', (_name, arn) => {
    expect(() => clusterFor({ ...base, ...arn }, { prod })).toThrow(UnknownClusterError);
    expect(foreignArnReason('prod', prod, arn)).toMatch(/it is not a task of cluster "prod"/);
  });

  it("are checked against a named cluster's region and its role's account and partition", () => {
    const named: ClusterSettings = {
      ...prod,
      cluster: 'prod',
      roleArn: 'arn:aws-us-gov:iam::444455556666:role/ecs-exec-bot',
      region: 'us-gov-west-1',
    };
    const own = { partition: 'aws-us-gov', region: 'us-gov-west-1', account: '444455556666' };
    expect(clusterFor({ ...base, ...own }, { prod: named })).toBe(named);
    expect(foreignArnReason('prod', named, own)).toBeUndefined();
    expect(foreignArnReason('prod', named, { ...own, account: '111122223333' })).toBe(
      'that task ARN is in account 111122223333 (cluster "prod" is in account 444455556666): it is not a task of cluster "prod"',
    );
    expect(() => clusterFor({ ...base, ...own, partition: 'aws' }, { prod: named })).toThrow(UnknownClusterError);
  });

  it('are refused after the lookup when ECS answers with a task of another ARN (a namesake elsewhere)', async () => {
    const t = task({ id: hexId(5) });
    const foreign = t.taskArn.replace('111122223333', '999999999999');
    await expect(
      resolveTarget(
        fakeGateway([], [t]),
        { kind: 'task-arn', taskArn: foreign, cluster: 'prod', taskId: hexId(5) },
        { ...prod, cluster: 'prod' },
      ),
    ).rejects.toBeInstanceOf(ForeignTaskArnError);
  });
});

describe('resolveTarget', () => {
  it('calls nothing but the lookups, and reports a task id ECS does not know', async () => {
    const calls: string[] = [];
    const gateway = fakeGateway(calls, []);
    await expect(
      resolveTarget(gateway, { kind: 'task', cluster: 'prod', taskId: hexId(5) }, prod),
    ).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(calls).toEqual(['describeTasks']);
  });

  it('uses the service default container for a task given by id', async () => {
    const t = task({ id: hexId(5), containers: [container('envoy'), container('app')] });
    const resolved = await resolveTarget(
      fakeGateway([], [t]),
      { kind: 'task', cluster: 'prod', taskId: hexId(5) },
      prod,
    );
    expect(resolved.container.name).toBe('app');
    expect(resolved.service).toBe('web');
  });
});

function fakeGateway(calls: string[], tasks: ReturnType<typeof task>[]): EcsGateway {
  const never = (name: string) => async (): Promise<never> => {
    calls.push(name);
    throw new Error(`${name} must not be called`);
  };
  return {
    listTasks: async () => {
      calls.push('listTasks');
      return tasks.map((t) => t.taskArn);
    },
    describeTasks: async () => {
      calls.push('describeTasks');
      return { tasks, missing: [] };
    },
    describeCluster: never('describeCluster'),
    describeTaskDefinition: never('describeTaskDefinition'),
    describeContainerInstance: never('describeContainerInstance'),
    invalidate: () => {},
    executeCommand: never('executeCommand'),
  };
}

function captured(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
