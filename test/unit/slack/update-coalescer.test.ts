import { describe, expect, it } from 'vitest';
import {
  clampUpdateInterval,
  createUpdateCoalescer,
  type DeliveryOutcome,
} from '../../../src/slack/update-coalescer.js';
import { FakeTime } from '../../fakes/fake-time.js';

function setup(options: { intervalMs?: number; outcomes?: (DeliveryOutcome | Error)[]; maxAttempts?: number } = {}) {
  const time = new FakeTime(0);
  const sent: { state: string; at: number }[] = [];
  const outcomes = [...(options.outcomes ?? [])];
  const errors: unknown[] = [];
  const coalescer = createUpdateCoalescer<string>({
    clock: time,
    timers: time,
    intervalMs: options.intervalMs ?? 1000,
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    onError: (error) => errors.push(error),
    deliver: async (state) => {
      sent.push({ state, at: time.now() });
      const outcome = outcomes.shift();
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  });
  return { time, sent, coalescer, errors };
}

describe('createUpdateCoalescer', () => {
  it('sends the first state at once, then at most one per interval, always the latest', async () => {
    const { time, sent, coalescer } = setup();
    coalescer.offer('a');
    await time.advance(0);
    for (const state of ['b', 'c', 'd']) {
      coalescer.offer(state);
      await time.advance(100);
    }
    expect(sent).toEqual([{ state: 'a', at: 0 }]);
    await time.advance(700);
    expect(sent).toEqual([
      { state: 'a', at: 0 },
      { state: 'd', at: 1000 },
    ]);
    expect(coalescer.delivered).toBe(2);
  });

  it('never delivers more than once per interval under a flood of states', async () => {
    const { time, sent, coalescer } = setup({ intervalMs: 1500 });
    for (let i = 0; i < 600; i++) {
      coalescer.offer(`s${i}`);
      await time.advance(50);
    }
    await coalescer.close();
    const gaps = sent.slice(1).map((s, i) => s.at - (sent[i]?.at ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1500);
    expect(sent.length).toBeLessThanOrEqual(Math.ceil((600 * 50) / 1500) + 1);
    expect(sent.at(-1)?.state).toBe('s599');
  });

  it('pauses for the retry-after of a 429 and then delivers the latest state', async () => {
    const { time, sent, coalescer } = setup({ outcomes: [undefined, { retryAfterMs: 30_000 }] });
    coalescer.offer('a');
    await time.advance(1000);
    coalescer.offer('b');
    await time.advance(0);
    expect(sent.map((s) => s.state)).toEqual(['a', 'b']);
    coalescer.offer('c');
    await time.advance(29_000);
    expect(sent).toHaveLength(2);
    await time.advance(1000);
    expect(sent.at(-1)).toEqual({ state: 'c', at: 31_000 });
  });

  it('retries a rate-limited state itself when nothing newer came', async () => {
    const { time, sent, coalescer } = setup({ outcomes: [{ retryAfterMs: 5000 }] });
    coalescer.offer('only');
    await time.advance(5000);
    expect(sent).toEqual([
      { state: 'only', at: 0 },
      { state: 'only', at: 5000 },
    ]);
    expect(coalescer.delivered).toBe(1);
  });

  it('close delivers the final state after the interval and any rate limiting', async () => {
    const { time, sent, coalescer } = setup({
      outcomes: [undefined, { retryAfterMs: 10_000 }, { retryAfterMs: 3000 }],
    });
    coalescer.offer('running');
    await time.advance(0);
    let done: boolean | undefined;
    void coalescer.close('final').then((ok) => {
      done = ok;
    });
    await time.advance(999);
    expect(sent).toHaveLength(1);
    await time.advance(1);
    expect(sent.at(-1)).toEqual({ state: 'final', at: 1000 });
    await time.advance(10_000);
    await time.advance(3000);
    expect(sent.map((s) => s.state)).toEqual(['running', 'final', 'final', 'final']);
    expect(done).toBe(true);
    coalescer.offer('too late');
    await time.advance(60_000);
    expect(sent).toHaveLength(4);
  });

  it('sends the final state one second after the last update, without waiting out a longer live-tail interval', async () => {
    const { time, sent, coalescer } = setup({ intervalMs: 1500 });
    coalescer.offer('running');
    await time.advance(0);
    coalescer.offer('still running');
    await time.advance(500);
    void coalescer.close('final');
    await time.advance(499);
    expect(sent.map((s) => s.state)).toEqual(['running']);
    await time.advance(1);
    expect(sent.at(-1)).toEqual({ state: 'final', at: 1000 });
  });

  it('retries a failed delivery a bounded number of times, then reports it dropped', async () => {
    const boom = new Error('channel_not_found');
    const { time, sent, coalescer, errors } = setup({ outcomes: [boom, boom, boom], maxAttempts: 3 });
    const done = coalescer.close('final');
    await time.advance(10_000);
    expect(sent.map((s) => s.at)).toEqual([0, 1000, 2000]);
    expect(errors).toEqual([boom, boom, boom]);
    await expect(done).resolves.toBe(false);
  });

  it('has one delivery in flight at a time', async () => {
    const time = new FakeTime(0);
    let release: () => void = () => {};
    let inFlight = 0;
    let maxInFlight = 0;
    const coalescer = createUpdateCoalescer<number>({
      clock: time,
      timers: time,
      intervalMs: 1000,
      deliver: () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return new Promise((resolve) => {
          release = () => {
            inFlight--;
            resolve(undefined);
          };
        });
      },
    });
    coalescer.offer(1);
    await time.advance(5000);
    coalescer.offer(2);
    await time.advance(5000);
    expect(maxInFlight).toBe(1);
    release();
    await time.advance(0);
    expect(inFlight).toBe(1);
    release();
    await time.advance(0);
    expect(coalescer.delivered).toBe(2);
  });

  it('abandon drops what is pending', async () => {
    const { time, sent, coalescer } = setup();
    coalescer.offer('a');
    await time.advance(0);
    coalescer.offer('b');
    coalescer.abandon();
    await time.advance(10_000);
    expect(sent.map((s) => s.state)).toEqual(['a']);
  });

  it.each([
    [500, 1000],
    [999, 1000],
    [0, 1000],
    [-5, 1000],
    [Number.NaN, 1000],
    [1500, 1500],
  ])('clamps a requested interval of %s ms to %s ms', (requested, used) => {
    expect(clampUpdateInterval(requested)).toBe(used);
  });

  it('slows an interval faster than Slack allows down to one second instead of refusing it', async () => {
    const { time, sent, coalescer } = setup({ intervalMs: 500 });
    coalescer.offer('a');
    await time.advance(0);
    coalescer.offer('b');
    await time.advance(500);
    expect(sent.map((s) => s.state)).toEqual(['a']);
    await time.advance(500);
    expect(sent).toEqual([
      { state: 'a', at: 0 },
      { state: 'b', at: 1000 },
    ]);
  });
});
