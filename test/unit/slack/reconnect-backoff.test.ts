import { describe, expect, it } from 'vitest';
import { DEFAULT_RECONNECT_BACKOFF, reconnectDelayMs } from '../../../src/slack/socket-mode/reconnect-backoff.js';

/** A small deterministic generator, so two "replicas" draw different numbers. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe('Socket Mode reconnect backoff', () => {
  it('waits between half and all of a step that doubles with each failure, up to the cap', () => {
    const backoff = { baseMs: 1_000, maxMs: 60_000 };
    for (let failures = 1; failures <= 12; failures += 1) {
      const step = Math.min(60_000, 1_000 * 2 ** (failures - 1));
      expect(reconnectDelayMs(failures, backoff, () => 0)).toBe(step / 2);
      expect(reconnectDelayMs(failures, backoff, () => 0.999_999)).toBe(step);
    }
    expect(reconnectDelayMs(40, backoff, () => 1)).toBe(60_000);
  });

  it('keeps replicas refused at the same moment from retrying at the same moments', () => {
    const schedule = (random: () => number): number[] => {
      let at = 0;
      return Array.from({ length: 8 }, (_, index) => {
        at += reconnectDelayMs(index + 1, DEFAULT_RECONNECT_BACKOFF, random);
        return at;
      });
    };
    const replicas = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((seed) => schedule(seeded(seed)));
    // Ten replicas refused together: after a few rounds their retries are spread over more than half a minute, and
    // no two come within 50 ms of each other (a fixed period would have all ten at the same instant every time).
    const lastRound = replicas.map((attempts) => attempts.at(-1) as number).sort((a, b) => a - b);
    const closest = Math.min(...lastRound.slice(1).map((at, index) => at - (lastRound[index] as number)));
    expect(closest).toBeGreaterThan(50);
    expect((lastRound.at(-1) as number) - (lastRound[0] as number)).toBeGreaterThan(30_000);
    // And over the first minute each makes a handful of attempts, not one per second.
    for (const attempts of replicas) expect(attempts.filter((at) => at <= 60_000).length).toBeLessThanOrEqual(7);
  });
});
