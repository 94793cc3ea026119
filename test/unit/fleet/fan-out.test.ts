import { describe, expect, it } from 'vitest';
import { EcsBudgetExceededError, EcsThrottledError, EcsUnreachableError } from '../../../src/ecs/errors.js';
import type { ExecRunResult } from '../../../src/ecs/exec-runner.js';
import { type FleetTaskRunner, runFleet } from '../../../src/fleet/fan-out.js';
import type { FleetPlan, PlannedTask } from '../../../src/fleet/plan.js';

const planned = (n: number): PlannedTask => ({
  taskArn: `arn:aws:ecs:us-east-1:111122223333:task/c/${String(n).padStart(32, '0')}`,
  taskId: String(n).padStart(32, '0'),
  shortId: String(n).padStart(8, '0'),
  container: 'app',
});

function planOf(tasks: PlannedTask[], errorBudget = 10): FleetPlan {
  return {
    cluster: { alias: 'c', cluster: 'c', shell: '/bin/sh' },
    service: 'api',
    selection: { kind: 'all' },
    limits: { maxConcurrency: { kind: 'count', value: 2 }, maxErrors: { kind: 'count', value: errorBudget } },
    tasks,
    skipped: [],
    concurrency: 2,
    errorBudget,
    eligible: tasks.length,
  };
}

/** A runner (the fan-out's own port) whose nth start of each task fails as `failures` says. */
function runnerFailing(failures: (task: PlannedTask, attempt: number) => Error | undefined) {
  const attempts = new Map<string, number>();
  const runner: FleetTaskRunner = async (task, io) => {
    const attempt = (attempts.get(task.taskId) ?? 0) + 1;
    attempts.set(task.taskId, attempt);
    const failure = failures(task, attempt);
    if (failure) throw failure;
    io.onOutput(new TextEncoder().encode('ok\n'));
    return { outcome: 'completed', exitCode: 0, sessionId: `s-${task.taskId}`, bytes: 3 } as ExecRunResult;
  };
  return { runner, attempts };
}

const fast = { throttleBackoff: { baseMs: 1, capMs: 2 }, maxOutputBytes: 1024 };

describe('runFleet starts', () => {
  it('asks again for a start refused for its rate (ECS throttling, our full budget queue), as no session exists', async () => {
    const { runner, attempts } = runnerFailing((task, attempt) => {
      if (task.shortId === '00000001' && attempt < 3) return new EcsThrottledError('Rate exceeded');
      if (task.shortId === '00000002' && attempt < 2) return new EcsBudgetExceededError('ExecuteCommand', 40_000, 80);
      return undefined;
    });
    const result = await runFleet(planOf([planned(1), planned(2)]), { ...fast, runTask: runner });
    expect(result.summary).toBe('2 tasks: exit 0 `ok`');
    expect(attempts.get(planned(1).taskId)).toBe(3);
    expect(result.results[0]?.throttled).toBe(2);
    expect(attempts.get(planned(2).taskId)).toBe(2);
  });

  it('gives up on throttling after the configured starts, and never repeats a start that may have made a session', async () => {
    const { runner, attempts } = runnerFailing((task) =>
      task.shortId === '00000001'
        ? new EcsThrottledError('Rate exceeded')
        : new EcsUnreachableError('ExecuteCommand', 'socket hang up', false),
    );
    const result = await runFleet(planOf([planned(1), planned(2)]), {
      ...fast,
      maxThrottledStarts: 4,
      runTask: runner,
    });
    expect(attempts.get(planned(1).taskId)).toBe(4);
    expect(attempts.get(planned(2).taskId)).toBe(1);
    expect(result.results.map((r) => r.status)).toEqual(['not_started', 'not_started']);
  });

  it('stops starting once failures exceed the error budget, leaving the rest not run', async () => {
    const { runner, attempts } = runnerFailing(() => new EcsUnreachableError('ExecuteCommand', 'reset', false));
    const tasks = [1, 2, 3, 4, 5].map(planned);
    const result = await runFleet(planOf(tasks, 0), { ...fast, runTask: runner });
    expect(attempts.size).toBe(2);
    expect(result.stopped?.message).toBe('stopped starting tasks after 1 failure (--max-errors 0)');
    expect(result.results.filter((r) => r.status === 'not_run')).toHaveLength(3);
  });
});
