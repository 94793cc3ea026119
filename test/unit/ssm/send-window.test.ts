import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReorderBuffer } from '../../../src/ssm/reorder-buffer.js';
import { RTO_CONSTANTS, RtoEstimator, SendWindow, type WindowEntry } from '../../../src/ssm/send-window.js';
import { FakeTime } from '../../fakes/fake-time.js';

function setup(options: { canResend?: () => boolean } = {}) {
  const time = new FakeTime();
  const resent: number[] = [];
  const window = new SendWindow({
    clock: time,
    timers: time,
    resendIntervalMs: 100,
    canResend: options.canResend ?? (() => true),
    resend: (entry: WindowEntry) => resent.push(entry.seq),
  });
  return { time, window, resent };
}

const frame = (seq: number) => new Uint8Array([seq]);

describe('RtoEstimator', () => {
  it('starts at 200 ms and follows Jacobson/Karels on each sample', () => {
    const rto = new RtoEstimator();
    expect(rto.rto).toBe(200);
    rto.sample(50);
    // RTTVAR = 0.25·|100−50| = 12.5; SRTT = 0.875·100 + 0.125·50 = 93.75; RTO = 93.75 + max(10, 50)
    expect(rto.rto).toBeCloseTo(143.75);
  });

  it('stays between the clock granularity and one second, whatever the samples', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60_000 }), { minLength: 1, maxLength: 200 }), (samples) => {
        const rto = new RtoEstimator();
        for (const sample of samples) rto.sample(sample);
        expect(rto.rto).toBeLessThanOrEqual(RTO_CONSTANTS.maxRtoMs);
        expect(rto.rto).toBeGreaterThanOrEqual(RTO_CONSTANTS.granularityMs);
      }),
    );
  });

  it('settles near a steady round trip', () => {
    const rto = new RtoEstimator();
    for (let i = 0; i < 100; i += 1) rto.sample(30);
    expect(rto.rto).toBeCloseTo(40, 0);
  });
});

describe('SendWindow', () => {
  it('resends only the oldest frame, once it is older than the RTO, and refreshes its send time', async () => {
    const { time, window, resent } = setup();
    window.track(0, frame(0));
    window.track(1, frame(1));
    await time.advance(100);
    expect(resent).toEqual([]);
    await time.advance(100);
    expect(resent).toEqual([0]);
    // Sent again at 200 ms: the next resend waits another RTO, not one tick.
    await time.advance(100);
    expect(resent).toEqual([0]);
    await time.advance(100);
    expect(resent).toEqual([0, 0]);
  });

  it('matches acks by sequence number, and stops its timer once nothing is unacknowledged', async () => {
    const { time, window, resent } = setup();
    window.track(0, frame(0));
    window.track(1, frame(1));
    expect(window.acknowledge(1)?.seq).toBe(1);
    expect(window.acknowledge(1)).toBeUndefined();
    expect(window.size).toBe(1);
    window.acknowledge(0);
    expect(window.size).toBe(0);
    expect(time.pendingTimers).toBe(0);
    await time.advance(1_000);
    expect(resent).toEqual([]);
  });

  it('takes round-trip samples only from frames sent once (Karn)', async () => {
    const { time, window } = setup();
    window.track(0, frame(0));
    await time.advance(250);
    window.acknowledge(0);
    expect(window.rto).toBe(200);
    window.track(1, frame(1));
    await time.advance(50);
    window.acknowledge(1);
    expect(window.rto).toBeCloseTo(143.75);
  });

  it('holds resends while it may not resend, and goes on afterwards', async () => {
    let allowed = false;
    const { time, window, resent } = setup({ canResend: () => allowed });
    window.track(0, frame(0));
    await time.advance(1_000);
    expect(resent).toEqual([]);
    allowed = true;
    await time.advance(100);
    expect(resent).toEqual([0]);
  });

  it('resends the head at the next tick after expediteHead, and everything in order on resendAll', async () => {
    const { time, window, resent } = setup();
    window.track(0, frame(0));
    window.track(1, frame(1));
    window.expediteHead();
    await time.advance(100);
    expect(resent).toEqual([0]);
    window.resendAll();
    expect(resent).toEqual([0, 0, 1]);
    expect(window.oldestFirstSentAt).toBe(time.now() - 100);
  });

  it('sends nothing after close, yet still reports what is unacknowledged', async () => {
    const { time, window, resent } = setup();
    window.track(0, frame(0));
    window.close();
    window.track(1, frame(1));
    await time.advance(2_000);
    expect(resent).toEqual([]);
    expect(window.size).toBe(2);
    window.clear();
    expect(window.size).toBe(0);
  });

  it('always resends the lowest unacknowledged sequence number, whatever order acks come in', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: 19 }), { maxLength: 19 }), async (acked) => {
        const { time, window, resent } = setup();
        for (let seq = 0; seq < 20; seq += 1) window.track(seq, frame(seq));
        for (const seq of acked) window.acknowledge(seq);
        // The RTO never exceeds one second, so within it the head is due at least once.
        await time.advance(RTO_CONSTANTS.maxRtoMs);
        const lowest = Array.from({ length: 20 }, (_, seq) => seq).find((seq) => !acked.includes(seq));
        // Acks with no delay shrink the RTO, so the head may go out more than once; never any other frame.
        expect(resent.length).toBeGreaterThan(0);
        expect(new Set(resent)).toEqual(new Set([lowest]));
      }),
      { numRuns: 50 },
    );
  });
});

describe('ReorderBuffer', () => {
  it('delivers in order whatever the arrival order, and reports a gap until it closes', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7], { minLength: 8 }), (arrivals) => {
        const buffer = new ReorderBuffer<number>(100);
        const delivered: number[] = [];
        for (const seq of arrivals) {
          buffer.see(seq);
          if (seq > buffer.expected) {
            buffer.hold(seq, () => seq);
            continue;
          }
          delivered.push(seq);
          buffer.advance();
          for (let next = buffer.takeNext(); next !== undefined; next = buffer.takeNext()) {
            delivered.push(next);
            buffer.advance();
          }
        }
        expect(delivered).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
        expect(buffer.hasGap).toBe(false);
      }),
    );
  });

  it('refuses frames beyond its capacity and says when one is already held', () => {
    const buffer = new ReorderBuffer<string>(1);
    buffer.see(3);
    expect(buffer.hold(2, () => 'two')).toBe('held');
    expect(buffer.hold(2, () => 'again')).toBe('already-held');
    expect(buffer.hold(3, () => 'three')).toBe('full');
    expect(buffer.hasGap).toBe(true);
    expect(buffer.highestSeen).toBe(3);
  });
});
