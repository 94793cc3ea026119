import { describe, expect, it } from 'vitest';
import type { FleetScope } from '../../../src/approval/approval-port.js';
import { DEFAULT_FLEET_LIMITS } from '../../../src/fleet/limits.js';
import type { FleetPlan, PlannedTask } from '../../../src/fleet/plan.js';
import { boundToApproval } from '../../../src/workflow/fleet-run-step.js';

const task = (n: number): PlannedTask => ({
  taskArn: `arn:aws:ecs:us-east-1:111122223333:task/fleet/${String(n).padStart(32, '0')}`,
  taskId: String(n).padStart(32, '0'),
  shortId: String(n).padStart(8, '0'),
  container: 'app',
});

const planOf = (count: number): FleetPlan => ({
  cluster: { cluster: 'fleet', region: 'us-east-1' } as FleetPlan['cluster'],
  service: 'api',
  selection: { kind: 'all' },
  limits: { maxConcurrency: { kind: 'count', value: 10 }, maxErrors: { kind: 'percent', value: 50 } },
  tasks: Array.from({ length: count }, (_, i) => task(i)),
  skipped: [],
  concurrency: Math.min(10, count),
  errorBudget: Math.floor(count / 2),
  eligible: count,
});

const approved = (taskCount: number): FleetScope => ({
  service: 'api',
  selection: { kind: 'all' },
  limits: DEFAULT_FLEET_LIMITS,
  taskCount,
  skipped: 0,
  maxTasks: 100,
});

describe('a fan-out at dispatch is bound to the task count approved', () => {
  it('runs as planned when the count is the approved one, with nothing to say', () => {
    const bound = boundToApproval(planOf(8), approved(8));
    expect(bound.plan.tasks).toHaveLength(8);
    expect(bound.note).toBeUndefined();
  });

  it('never runs more tasks than approved, and says so', () => {
    const bound = boundToApproval(planOf(12), approved(8));
    expect(bound.plan.tasks).toHaveLength(8);
    expect(bound.plan.errorBudget).toBe(4);
    expect(bound.plan.concurrency).toBe(8);
    expect(bound.note).toBe('12 tasks can take the command now, but 8 were approved: it runs on 8 only.');
  });

  it('runs on the fewer tasks left, and says so', () => {
    const bound = boundToApproval(planOf(5), approved(8));
    expect(bound.plan.tasks).toHaveLength(5);
    expect(bound.note).toBe('8 tasks were approved, but only 5 can take the command now: it runs on those 5.');
  });
});
