import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsEcsGateway } from '../../../src/ecs/aws-ecs-gateway.js';
import { type ClusterSettings, resolveTarget } from '../../../src/ecs/resolve-target.js';
import { watchTask } from '../../../src/ecs/task-watcher.js';
import { type Sandbox, startSandbox } from '../../../src/sandbox/index.js';
import { hexId, sandboxGateway } from './helpers.js';

const CLUSTER: ClusterSettings = { alias: 'prod', cluster: 'prod', region: 'us-east-1', shell: '/bin/sh' };
const SERVICES = ['api', 'web', 'jobs'] as const;

let sandbox: Sandbox;
let gateway: AwsEcsGateway;
let now: number;

beforeEach(async () => {
  sandbox = await startSandbox({
    seed: {
      clusters: [{ name: 'prod' }],
      services: SERVICES.map((name) => ({ name, cluster: 'prod' })),
      tasks: SERVICES.flatMap((service, s) =>
        [1, 2].map((n) => ({ id: hexId(s * 10 + n), cluster: 'prod', service, containers: [{ name: 'app' }] })),
      ),
    },
  });
  now = 1_000_000;
  // A clock of the test's own, so "a few seconds later" needs no waiting.
  ({ gateway } = sandboxGateway(sandbox, { clock: { now: () => now } }));
});

afterEach(async () => {
  await sandbox.close();
});

const reads = () =>
  sandbox.calls.filter((call) => call.service === 'ecs' && ['ListTasks', 'DescribeTasks'].includes(call.operation));
const countOf = (operation: string) => reads().filter((call) => call.operation === operation).length;
const resolveService = (service: string) =>
  resolveTarget(gateway, { kind: 'service', cluster: 'prod', service }, CLUSTER);

describe('target lookups are coalesced: ECS reads grow with distinct targets, not requests', () => {
  it('answers 200 concurrent lookups of one service with one ListTasks and one DescribeTasks', async () => {
    const resolved = await Promise.all(Array.from({ length: 200 }, () => resolveService('api')));
    expect(new Set(resolved.map((target) => target.task.taskId)).size).toBe(1);
    expect(countOf('ListTasks')).toBe(1);
    expect(countOf('DescribeTasks')).toBe(1);
  });

  it('makes one ListTasks per distinct service and batches their DescribeTasks', async () => {
    await Promise.all(Array.from({ length: 150 }, (_, i) => resolveService(SERVICES[i % 3] as string)));
    expect(countOf('ListTasks')).toBe(3);
    expect(countOf('DescribeTasks')).toBeLessThanOrEqual(3);
    // Describes that arrive together go out as one call for every task.
    const described = reads()
      .filter((call) => call.operation === 'DescribeTasks')
      .flatMap((call) => call.input['tasks'] as string[]);
    expect(new Set(described).size).toBe(6);
  });

  it('shares one DescribeTasks among lookups of one task id, even ones that arrive while it is on the wire', async () => {
    const id = hexId(11);
    const byId = () => resolveTarget(gateway, { kind: 'task', cluster: 'prod', taskId: id }, CLUSTER);
    sandbox.faults.api.delay('ecs:DescribeTasks', 50);
    const first = byId();
    // Wait until the first describe is on the wire, then ask again: the later lookups join it.
    await expect.poll(() => countOf('DescribeTasks')).toBe(1);
    const later = await Promise.all(Array.from({ length: 20 }, () => byId()));
    await first;
    expect(later.every((target) => target.task.taskId === id)).toBe(true);
    expect(countOf('DescribeTasks')).toBe(1);
  });

  it('reuses a lookup for a few seconds, then asks again', async () => {
    await resolveService('api');
    now += 2_000;
    await resolveService('api');
    expect(reads()).toHaveLength(2);
    now += 4_000;
    await resolveService('api');
    expect(reads()).toHaveLength(4);
  });

  it('a fresh read (a run about to start) skips the cache', async () => {
    await resolveService('api');
    await resolveTarget(gateway, { kind: 'service', cluster: 'prod', service: 'api' }, CLUSTER, { maxAgeMs: 0 });
    expect(countOf('ListTasks')).toBe(2);
  });

  it('forgets a task whose ExecuteCommand failed, so the next lookup asks ECS again', async () => {
    const target = await resolveService('api');
    sandbox.state.setAgentConnected(target.task.taskArn, false);
    await expect(
      gateway.executeCommand({ cluster: 'prod', task: target.task.taskArn, container: 'app', command: 'true' }),
    ).rejects.toThrow();
    await resolveService('api');
    expect(countOf('ListTasks')).toBe(2);
    expect(countOf('DescribeTasks')).toBe(2);
  });

  it('forgets a task the watcher sees stopping, and the next lookup picks another', async () => {
    const target = await resolveService('api');
    const watch = watchTask({ gateway, cluster: 'prod', taskArn: target.task.taskArn, intervalMs: 20 });
    try {
      sandbox.state.stopTask(target.task.taskArn, { final: true });
      // The watcher accepts a describe half a period old; the test's clock moves on with every look.
      await expect
        .poll(() => {
          now += 100;
          return watch.signal.aborted;
        })
        .toBe(true);
      const again = await resolveService('api');
      expect(again.task.taskId).not.toBe(target.task.taskId);
      expect(countOf('ListTasks')).toBe(2);
    } finally {
      watch.stop();
    }
  });
});
