import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EcsGateway, EcsTask } from '../../../src/ecs/ecs-port.js';
import { TaskStoppingError } from '../../../src/ecs/errors.js';
import { stoppingReason, watchTask } from '../../../src/ecs/task-watcher.js';
import { container, task } from './fixtures.js';

function gatewayReturning(state: { task: EcsTask | undefined; fail?: boolean; calls: number }): EcsGateway {
  const never = async (): Promise<never> => {
    throw new Error('not used');
  };
  return {
    listTasks: never,
    describeTasks: async () => {
      state.calls += 1;
      if (state.fail) throw new Error('throttled');
      return { tasks: state.task ? [state.task] : [], missing: [] };
    },
    describeCluster: never,
    describeTaskDefinition: never,
    describeContainerInstance: never,
    invalidate: () => {},
    executeCommand: never,
  };
}

describe('watchTask', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts with the stopped reason once the task starts stopping', async () => {
    const state = { task: task() as EcsTask | undefined, calls: 0 };
    const watch = watchTask({
      gateway: gatewayReturning(state),
      cluster: 'prod',
      taskArn: task().taskArn,
      intervalMs: 1000,
    });
    await vi.advanceTimersByTimeAsync(2500);
    expect(watch.signal.aborted).toBe(false);
    state.task = task({ desiredStatus: 'STOPPED', stoppedReason: 'Scaling activity initiated by deployment' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(watch.signal.aborted).toBe(true);
    expect(watch.signal.reason).toBeInstanceOf(TaskStoppingError);
    expect((watch.signal.reason as TaskStoppingError).userMessage).toContain(
      'stopping: Scaling activity initiated by deployment',
    );
    watch.stop();
  });

  it('does not take a run that started during a poll for a task that is gone', async () => {
    const first = task();
    const second = task({ id: 'fedcba9876543210fedcba9876543210' });
    let answer: ((value: { tasks: EcsTask[]; missing: string[] }) => void) | undefined;
    const gateway: EcsGateway = {
      ...gatewayReturning({ task: undefined, calls: 0 }),
      // The poll's answer stays on the wire until the second run has started watching.
      describeTasks: () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
    };
    const watchFirst = watchTask({ gateway, cluster: 'prod', taskArn: first.taskArn, intervalMs: 1000 });
    await vi.advanceTimersByTimeAsync(1000);
    const watchSecond = watchTask({ gateway, cluster: 'prod', taskArn: second.taskArn, intervalMs: 1000 });
    answer?.({ tasks: [first], missing: [] });
    await vi.advanceTimersByTimeAsync(0);
    expect(watchFirst.signal.aborted).toBe(false);
    expect(watchSecond.signal.aborted).toBe(false);
    watchFirst.stop();
    watchSecond.stop();
  });

  it('does not end a healthy run because a poll failed', async () => {
    const state = { task: task() as EcsTask | undefined, fail: true, calls: 0 };
    const watch = watchTask({
      gateway: gatewayReturning(state),
      cluster: 'prod',
      taskArn: task().taskArn,
      intervalMs: 1000,
    });
    await vi.advanceTimersByTimeAsync(5000);
    expect(state.calls).toBe(5);
    expect(watch.signal.aborted).toBe(false);
    watch.stop();
  });

  it('stops polling when stopped', async () => {
    const state = { task: task() as EcsTask | undefined, calls: 0 };
    const watch = watchTask({
      gateway: gatewayReturning(state),
      cluster: 'prod',
      taskArn: task().taskArn,
      intervalMs: 1000,
    });
    await vi.advanceTimersByTimeAsync(1000);
    watch.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(state.calls).toBe(1);
  });
});

describe('watching many runs', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('polls 50 concurrent runs with one DescribeTasks per period, and ends only the stopping one', async () => {
    const tasks = Array.from({ length: 50 }, (_, i) => task({ id: i.toString(16).padStart(32, '0') }));
    const requests: string[][] = [];
    const never = async (): Promise<never> => {
      throw new Error('not used');
    };
    const gateway: EcsGateway = {
      listTasks: never,
      describeTasks: async (_cluster, refs) => {
        requests.push([...refs]);
        return { tasks: tasks.filter((t) => refs.includes(t.taskArn)), missing: [] };
      },
      describeCluster: never,
      describeTaskDefinition: never,
      describeContainerInstance: never,
      invalidate: () => {},
      executeCommand: never,
    };
    const watches = tasks.map((t) => watchTask({ gateway, cluster: 'prod', taskArn: t.taskArn, intervalMs: 1000 }));
    await vi.advanceTimersByTimeAsync(3000);
    expect(requests).toHaveLength(3);
    expect(requests[0]).toHaveLength(50);
    tasks[7] = task({ id: (7).toString(16).padStart(32, '0'), desiredStatus: 'STOPPED' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(watches.filter((w) => w.signal.aborted)).toEqual([watches[7]]);
    for (const w of watches) w.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(requests).toHaveLength(4);
  });
});

describe('stoppingReason', () => {
  it('sees a vanished task, a stopping task and a stopped target container', () => {
    expect(stoppingReason(undefined)).toBe('the task is gone');
    expect(stoppingReason(task({ lastStatus: 'DEACTIVATING', desiredStatus: 'STOPPED' }))).toBe('deactivating');
    expect(stoppingReason(task({ containers: [container('app', 'STOPPED', 'STOPPED')] }), 'app')).toBe(
      'container app stopped',
    );
    expect(stoppingReason(task(), 'app')).toBeUndefined();
  });
});
