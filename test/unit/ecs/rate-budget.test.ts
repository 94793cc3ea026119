import { describe, expect, it } from 'vitest';
import { ApiBudget, backoffDelay, TokenBucket } from '../../../src/ecs/rate-budget.js';

function fakeClock(start = 0) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

describe('TokenBucket', () => {
  it('allows a burst, then one call per refill period', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ perSecond: 1, burst: 5 }, clock);
    const burst = Array.from({ length: 5 }, () => bucket.tryTake());
    expect(burst).toEqual([0, 0, 0, 0, 0]);
    expect(bucket.tryTake()).toBe(1000);
    clock.t += 1000;
    expect(bucket.tryTake()).toBe(0);
    expect(bucket.tryTake()).toBeGreaterThan(0);
  });

  it('never accumulates more than the burst, however long it idles', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ perSecond: 2, burst: 3 }, clock);
    clock.t += 3_600_000;
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([0, 0, 0]);
    expect(bucket.tryTake()).toBe(500);
  });

  it('queues reservations so concurrent callers are spaced by the sustained rate', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ perSecond: 1, burst: 1 }, clock);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 1000, 2000]);
  });
});

describe('ApiBudget', () => {
  it('refuses a burst of 50 ExecuteCommand requests beyond what it would send within its wait limit', async () => {
    const clock = fakeClock();
    const budget = new ApiBudget(clock, { execute: { perSecond: 1, burst: 5 }, read: { perSecond: 10, burst: 20 } }, 0);
    const results = await Promise.all(Array.from({ length: 50 }, () => budget.acquire('execute')));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(results.filter((r) => !r.ok)).toHaveLength(45);
  });

  it('lets refused calls through again once tokens refill', async () => {
    const clock = fakeClock();
    const budget = new ApiBudget(clock, { execute: { perSecond: 1, burst: 1 }, read: { perSecond: 1, burst: 1 } }, 0);
    expect((await budget.acquire('execute')).ok).toBe(true);
    expect((await budget.acquire('execute')).ok).toBe(false);
    clock.t += 1000;
    expect((await budget.acquire('execute')).ok).toBe(true);
  });

  it('keeps the classes apart: reads do not spend ExecuteCommand tokens', async () => {
    const clock = fakeClock();
    const budget = new ApiBudget(clock, { execute: { perSecond: 1, burst: 1 }, read: { perSecond: 1, burst: 3 } }, 0);
    await budget.acquire('read');
    await budget.acquire('read');
    expect((await budget.acquire('execute')).ok).toBe(true);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially and stays within the cap', () => {
    const max = (attempt: number) => backoffDelay(attempt, 250, 4000, () => 1);
    const min = (attempt: number) => backoffDelay(attempt, 250, 4000, () => 0);
    expect([1, 2, 3, 4, 5, 6, 10].map(max)).toEqual([250, 500, 1000, 2000, 4000, 4000, 4000]);
    expect(min(3)).toBe(500);
  });
});

describe('ApiBudget queue', () => {
  function observed() {
    const seen = { depth: [] as number[], waits: [] as number[], refused: 0 };
    const observer = {
      queueDepth: (_kind: string, depth: number) => void seen.depth.push(depth),
      waited: (_kind: string, waitMs: number) => void seen.waits.push(waitMs),
      refused: () => {
        seen.refused += 1;
      },
    };
    return { seen, observer };
  }

  it('tells a caller at once that it is queued, and for how long, and reports the depth', async () => {
    const clock = fakeClock();
    const { seen, observer } = observed();
    const budget = new ApiBudget(
      clock,
      { execute: { perSecond: 1, burst: 1 }, read: { perSecond: 100, burst: 1 } },
      30_000,
      observer,
    );
    const told: number[] = [];
    expect(await budget.acquire('read', { onQueued: (ms) => told.push(ms) })).toEqual({ ok: true });
    const second = budget.acquire('read', { onQueued: (ms) => told.push(ms) });
    const third = budget.acquire('read', { onQueued: (ms) => told.push(ms) });
    // Told before any waiting happened.
    expect(told).toEqual([10, 20]);
    expect(budget.queued('read')).toBe(2);
    await Promise.all([second, third]);
    expect(budget.queued('read')).toBe(0);
    expect(seen.depth).toEqual([1, 2, 1, 0]);
    expect(seen.waits).toEqual([0, 10, 20]);
  });

  it('refuses only when the queue is full, saying how many wait', async () => {
    const clock = fakeClock();
    const { seen, observer } = observed();
    const budget = new ApiBudget(
      clock,
      { execute: { perSecond: 1, burst: 1 }, read: { perSecond: 1, burst: 1 } },
      2_000,
      observer,
    );
    const stop = new AbortController();
    const waiting = [budget.acquire('execute'), budget.acquire('execute', stop), budget.acquire('execute', stop)];
    const refused = await budget.acquire('execute');
    expect(refused).toEqual({ ok: false, waitMs: 3_000, queued: 2 });
    expect(seen.refused).toBe(1);
    // The two queued calls are given up rather than waited for; their places go back to the queue.
    stop.abort(new Error('test over'));
    const settled = await Promise.allSettled(waiting);
    expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(budget.queued('execute')).toBe(0);
  });
});
