import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ClusterNotFoundError,
  EcsAccessDeniedError,
  EcsBudgetExceededError,
  EcsClientError,
  EcsServerError,
  EcsThrottledError,
  EcsUnreachableError,
  ExecNotEnabledError,
  ServiceNotFoundError,
  TargetNotConnectedError,
} from '../../../src/ecs/errors.js';
import { ApiBudget } from '../../../src/ecs/rate-budget.js';
import { type Sandbox, startSandbox } from '../../../src/sandbox/index.js';
import { callsOf, hexId, sandboxEcsClient, sandboxGateway } from './helpers.js';

let sandbox: Sandbox;
const MANY = 250;

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: {
      clusters: [{ name: 'prod', executeCommandConfiguration: { logging: 'DEFAULT' } }, { name: 'big' }],
      services: [
        { name: 'web', cluster: 'prod' },
        { name: 'fleet', cluster: 'big' },
      ],
      tasks: [
        { id: hexId(1), cluster: 'prod', service: 'web', containers: [{ name: 'app' }] },
        { id: hexId(2), cluster: 'prod', service: 'web', enableExecuteCommand: false, containers: [{ name: 'app' }] },
        { id: hexId(3), cluster: 'prod', service: 'web', containers: [{ name: 'app', agentConnected: false }] },
        ...Array.from({ length: MANY }, (_, i) => ({
          id: hexId(1000 + i),
          cluster: 'big',
          service: 'fleet',
          containers: [{ name: 'app' }],
        })),
      ],
    },
  });
});

afterAll(async () => {
  await sandbox.close();
});

afterEach(() => {
  sandbox.faults.api.clear();
  sandbox.calls.length = 0;
});

const exec = (task: string, extra: Partial<{ cluster: string; container: string }> = {}) => ({
  cluster: 'prod',
  task,
  container: 'app',
  command: 'true',
  ...extra,
});

describe('listing and describing', () => {
  it('follows ListTasks pages until the end', async () => {
    const { gateway } = sandboxGateway(sandbox);
    const arns = await gateway.listTasks({ cluster: 'big', serviceName: 'fleet' });
    expect(arns).toHaveLength(MANY);
    expect(new Set(arns).size).toBe(MANY);
    expect(callsOf(sandbox, 'ListTasks')).toHaveLength(3);
  });

  it('describes 250 tasks in calls of at most 100, then answers from its cache', async () => {
    const { gateway } = sandboxGateway(sandbox, { cacheTtlMs: 60_000 });
    const arns = await gateway.listTasks({ cluster: 'big', serviceName: 'fleet' });
    const first = await gateway.describeTasks('big', arns);
    expect(first.tasks).toHaveLength(MANY);
    const describes = callsOf(sandbox, 'DescribeTasks');
    expect(describes.map((c) => (c.input['tasks'] as string[]).length)).toEqual([100, 100, 50]);
    const again = await gateway.describeTasks('big', arns.slice(0, 10));
    expect(again.tasks.map((t) => t.taskArn)).toEqual(arns.slice(0, 10));
    expect(callsOf(sandbox, 'DescribeTasks')).toHaveLength(3);
  });

  it('merges concurrent describes of one cluster into one call', async () => {
    const { gateway } = sandboxGateway(sandbox);
    const ids = [hexId(1000), hexId(1001), hexId(1002)];
    const results = await Promise.all(ids.map((id) => gateway.describeTasks('big', [id])));
    expect(results.map((r) => r.tasks[0]?.taskId)).toEqual(ids);
    expect(callsOf(sandbox, 'DescribeTasks')).toHaveLength(1);
  });

  it('reports task ids ECS does not know as missing', async () => {
    const { gateway } = sandboxGateway(sandbox);
    const result = await gateway.describeTasks('prod', [hexId(1), hexId(999)]);
    expect(result.tasks.map((t) => t.taskId)).toEqual([hexId(1)]);
    expect(result.missing).toEqual([hexId(999)]);
  });

  it('reads the agent status, runtime id and exec flag in our own types', async () => {
    const { gateway } = sandboxGateway(sandbox);
    const { tasks } = await gateway.describeTasks('prod', [hexId(1), hexId(2)]);
    expect(tasks[0]?.containers[0]).toMatchObject({ name: 'app', execAgent: { lastStatus: 'RUNNING' } });
    expect(tasks[0]?.containers[0]?.runtimeId).toBeTruthy();
    expect(tasks[1]?.enableExecuteCommand).toBe(false);
  });

  it('retries a throttled read and succeeds', async () => {
    sandbox.faults.api.throttle('ecs:ListTasks', 2);
    const { gateway } = sandboxGateway(sandbox);
    expect(await gateway.listTasks({ cluster: 'prod', serviceName: 'web' })).toHaveLength(3);
    expect(callsOf(sandbox, 'ListTasks')).toHaveLength(3);
  });

  it('names an unknown service plainly', async () => {
    const { gateway } = sandboxGateway(sandbox);
    await expect(gateway.listTasks({ cluster: 'prod', serviceName: 'nope' })).rejects.toBeInstanceOf(
      ServiceNotFoundError,
    );
  });
});

describe('ExecuteCommand', () => {
  it('opens an interactive session', async () => {
    const { gateway } = sandboxGateway(sandbox);
    const session = await gateway.executeCommand(exec(hexId(1)));
    expect(session.sessionId).toBeTruthy();
    expect(session.streamUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//);
    expect(callsOf(sandbox, 'ExecuteCommand')[0]?.input['interactive']).toBe(true);
  });

  const errorPaths: Array<{
    name: string;
    arrange: () => void;
    request: ReturnType<typeof exec>;
    type: abstract new (...args: never[]) => Error;
    message: RegExp;
    attempts: number;
  }> = [
    {
      name: 'AccessDeniedException',
      arrange: () =>
        sandbox.faults.api.inject('ecs:ExecuteCommand', {
          error: 'AccessDeniedException',
          message: 'User is not authorized to perform: ecs:ExecuteCommand with an explicit deny on ecs:container-name',
        }),
      request: exec(hexId(1)),
      type: EcsAccessDeniedError,
      message: /Not permitted.*ecs:container-name/,
      attempts: 1,
    },
    {
      name: 'InvalidParameterException (exec not enabled)',
      arrange: () => {},
      request: exec(hexId(2)),
      type: ExecNotEnabledError,
      message: /enable-execute-command/,
      attempts: 1,
    },
    {
      name: 'TargetNotConnectedException',
      arrange: () => {},
      request: exec(hexId(3)),
      type: TargetNotConnectedError,
      message: /ssmmessages/,
      attempts: 3,
    },
    {
      name: 'ClusterNotFoundException',
      arrange: () => {},
      request: exec(hexId(1), { cluster: 'nowhere' }),
      type: ClusterNotFoundError,
      message: /Cluster "nowhere" was not found in us-east-1/,
      attempts: 1,
    },
    {
      name: 'ClientException',
      arrange: () =>
        sandbox.faults.api.inject('ecs:ExecuteCommand', { error: 'ClientException', message: 'Invalid identifier' }),
      request: exec(hexId(1)),
      type: EcsClientError,
      message: /Invalid identifier/,
      attempts: 1,
    },
    {
      name: 'ServerException',
      arrange: () => sandbox.faults.api.inject('ecs:ExecuteCommand', { error: 'ServerException', message: 'boom' }),
      request: exec(hexId(1)),
      type: EcsServerError,
      message: /try again/,
      attempts: 3,
    },
    {
      name: 'ThrottlingException',
      arrange: () => sandbox.faults.api.throttle('ecs:ExecuteCommand'),
      request: exec(hexId(1)),
      type: EcsThrottledError,
      message: /throttling/,
      attempts: 3,
    },
  ];

  it.each(errorPaths)('maps $name to its message, retrying only what proves no session', async (path) => {
    path.arrange();
    const sessionsBefore = sandbox.sessions.length;
    const { gateway } = sandboxGateway(sandbox);
    const error = await gateway.executeCommand(path.request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(path.type);
    expect((error as { userMessage: string }).userMessage).toMatch(path.message);
    expect(callsOf(sandbox, 'ExecuteCommand')).toHaveLength(path.attempts);
    expect(sandbox.sessions).toHaveLength(sessionsBefore);
  });

  it('gets through after a transient ServerException, with exactly one session opened', async () => {
    sandbox.faults.api.inject('ecs:ExecuteCommand', { error: 'ServerException', times: 1 });
    const before = sandbox.sessions.length;
    const { gateway } = sandboxGateway(sandbox);
    await gateway.executeCommand(exec(hexId(1)));
    expect(callsOf(sandbox, 'ExecuteCommand')).toHaveLength(2);
    expect(sandbox.sessions.length - before).toBe(1);
  });

  it('never repeats an ExecuteCommand whose answer was lost (a session may exist)', async () => {
    sandbox.faults.api.delay('ecs:ExecuteCommand', 800);
    const client = sandboxEcsClient(sandbox, 'us-east-1', {
      requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
    });
    const { gateway } = sandboxGateway(sandbox, { client });
    const error = await gateway.executeCommand(exec(hexId(1))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EcsUnreachableError);
    expect((error as EcsUnreachableError).noSessionExists).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(callsOf(sandbox, 'ExecuteCommand')).toHaveLength(1);
  });

  it('keeps a burst inside the client-side budget instead of spending the account rate', async () => {
    const budget = new ApiBudget(
      { now: () => Date.now() },
      { execute: { perSecond: 0.001, burst: 2 }, read: { perSecond: 10, burst: 20 } },
      0,
    );
    const { gateway } = sandboxGateway(sandbox, { budget });
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => gateway.executeCommand(exec(hexId(1)))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(refused).toHaveLength(4);
    for (const error of refused) expect(error).toBeInstanceOf(EcsBudgetExceededError);
    expect(callsOf(sandbox, 'ExecuteCommand')).toHaveLength(2);
  });
});

describe('clusters and task definitions', () => {
  it('reads the exec configuration of a cluster', async () => {
    sandbox.state.setExecuteCommandConfiguration('prod', {
      kmsKeyId: 'alias/exec',
      logging: 'OVERRIDE',
      logConfiguration: { cloudWatchLogGroupName: '/ecs/exec', cloudWatchEncryptionEnabled: true },
    });
    const { gateway } = sandboxGateway(sandbox);
    const cluster = await gateway.describeCluster('prod');
    expect(cluster.executeCommandConfiguration).toEqual({
      kmsKeyId: 'alias/exec',
      logging: 'OVERRIDE',
      logConfiguration: { cloudWatchLogGroupName: '/ecs/exec', cloudWatchEncryptionEnabled: true },
    });
    sandbox.state.setExecuteCommandConfiguration('prod', { logging: 'DEFAULT' });
  });

  it('says a missing cluster is missing', async () => {
    const { gateway } = sandboxGateway(sandbox);
    await expect(gateway.describeCluster('nowhere')).rejects.toBeInstanceOf(ClusterNotFoundError);
  });

  it('reads the task definition fields doctor needs', async () => {
    const { gateway } = sandboxGateway(sandbox);
    const { tasks } = await gateway.describeTasks('prod', [hexId(1)]);
    const def = await gateway.describeTaskDefinition(tasks[0]?.taskDefinitionArn ?? '');
    expect(def.containers).toEqual([{ name: 'app', readonlyRootFilesystem: false }]);
  });
});
