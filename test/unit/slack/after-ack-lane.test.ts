import { describe, expect, it } from 'vitest';
import { createAfterAckLane } from '../../../src/slack/after-ack-lane.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the after-ack lane', () => {
  it('starts queued work on a later turn of the event loop, never in the turn that queued it', async () => {
    const lane = createAfterAckLane(4);
    let ran = false;
    const done = lane.run(async () => {
      ran = true;
    });
    await Promise.resolve();
    expect(ran).toBe(false);
    expect(lane.depth()).toEqual({ waiting: 1, running: 0 });
    await done;
    expect(ran).toBe(true);
  });

  it('starts one piece per turn, at most `concurrency` at once, in arrival order', async () => {
    const lane = createAfterAckLane(2);
    const started: number[] = [];
    const releases: Array<() => void> = [];
    const all = [0, 1, 2, 3].map((i) =>
      lane.run(async () => {
        started.push(i);
        await new Promise<void>((resolve) => releases.push(resolve));
      }),
    );
    await nextTurn();
    expect(started).toEqual([0]);
    await nextTurn();
    await nextTurn();
    expect(started).toEqual([0, 1]);
    expect(lane.depth()).toEqual({ waiting: 2, running: 2 });
    releases[0]?.();
    await expect.poll(() => started).toEqual([0, 1, 2]);
    for (const release of releases) release();
    await expect.poll(() => started).toEqual([0, 1, 2, 3]);
    releases[3]?.();
    await Promise.all(all);
    expect(lane.depth()).toEqual({ waiting: 0, running: 0 });
  });

  it('hands a failure back to its caller and goes on with the next piece', async () => {
    const lane = createAfterAckLane(1);
    const failed = lane.run(async () => {
      throw new Error('the store did not answer');
    });
    const thrown = lane.run(() => {
      throw new Error('thrown before any await');
    });
    const next = lane.run(async () => 'done');
    await expect(failed).rejects.toThrow('the store did not answer');
    await expect(thrown).rejects.toThrow('thrown before any await');
    await expect(next).resolves.toBe('done');
  });

  it('settles once every piece handed in so far has settled, failed ones included', async () => {
    const lane = createAfterAckLane(1);
    const releases: Array<() => void> = [];
    const done: number[] = [];
    for (const i of [0, 1]) {
      void lane.run(async () => {
        await new Promise<void>((resolve) => releases.push(resolve));
        done.push(i);
      });
    }
    lane
      .run(async () => {
        throw new Error('the card could not be posted');
      })
      .catch(() => {});
    let settled = false;
    const all = lane.settled().then(() => {
      settled = true;
    });
    await expect.poll(() => releases.length).toBe(1);
    releases[0]?.();
    await expect.poll(() => releases.length).toBe(2);
    expect(settled).toBe(false);
    releases[1]?.();
    await all;
    expect(done).toEqual([0, 1]);
    expect(lane.depth()).toEqual({ waiting: 0, running: 0 });
  });

  it('calls the long-wait callback for a piece still waiting, never for one that started in time', async () => {
    const lane = createAfterAckLane(1, 50);
    let release = (): void => {};
    const told: string[] = [];
    const first = lane.run(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      () => told.push('first'),
    );
    const second = lane.run(
      async () => {},
      () => told.push('second'),
    );
    await expect.poll(() => told).toEqual(['second']);
    release();
    await Promise.all([first, second]);
    expect(told).toEqual(['second']);
  });

  it('refuses a concurrency below one', () => {
    expect(() => createAfterAckLane(0)).toThrow(RangeError);
  });
});
