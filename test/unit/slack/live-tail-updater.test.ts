import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/output/redacting-logger.js';
import { createLiveTail } from '../../../src/slack/live-tail-updater.js';
import type { SlackMessage, SlackNotifier } from '../../../src/slack/slack-port.js';
import { FakeTime } from '../../fakes/fake-time.js';

function recordingNotifier() {
  const calls: { kind: 'post' | 'update'; at: number; text: string }[] = [];
  let now = () => 0;
  const notifier: Pick<SlackNotifier, 'postMessage' | 'updateMessage'> = {
    async postMessage(_channel, message) {
      calls.push({ kind: 'post', at: now(), text: message.text });
      return { ts: '1.000001' };
    },
    async updateMessage(_channel, _ts, message) {
      calls.push({ kind: 'update', at: now(), text: message.text });
    },
  };
  return { calls, notifier: notifier as SlackNotifier, setClock: (clock: () => number) => (now = clock) };
}

describe('createLiveTail', () => {
  it('takes an interval faster than Slack allows, updates once a second and ends on the final state', async () => {
    const time = new FakeTime(0);
    const { calls, notifier, setClock } = recordingNotifier();
    setClock(() => time.now());
    const logs: string[] = [];
    const logger = createLogger({
      destination: new Writable({
        write(chunk, _encoding, done) {
          logs.push(String(chunk));
          done();
        },
      }),
    });
    let state = 0;
    const tail = createLiveTail({
      notifier,
      channel: 'C1',
      threadTs: '1.000000',
      requestId: 'r-1',
      render: (): SlackMessage => ({ text: `state ${state}` }),
      intervalMs: 500,
      delayMs: 2_000,
      clock: time,
      timers: time,
      logger,
    });
    tail.start();
    state = 1;
    tail.changed();
    await time.advance(2_000);
    expect(calls).toEqual([{ kind: 'post', at: 2_000, text: 'state 1' }]);
    for (let step = 2; step <= 6; step++) {
      state = step;
      tail.changed();
      await time.advance(250);
    }
    await time.advance(1_000);
    const updates = calls.filter((call) => call.kind === 'update');
    expect(updates.length).toBeGreaterThan(0);
    for (let i = 1; i < updates.length; i++) {
      expect((updates[i]?.at ?? 0) - (updates[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(1_000);
    }
    expect(updates.at(-1)?.text).toBe('state 6');
    const done = tail.finish({ text: 'ended' });
    await time.advance(1_000);
    await done;
    expect(calls.at(-1)?.text).toBe('ended');
    expect(logs.join('')).not.toMatch(/not posted|update failed/);
  });

  it('posts nothing for a run that ends before the delay', async () => {
    const time = new FakeTime(0);
    const { calls, notifier } = recordingNotifier();
    const tail = createLiveTail({
      notifier,
      channel: 'C1',
      threadTs: '1.000000',
      requestId: 'r-2',
      render: () => ({ text: 'running' }),
      intervalMs: 1_000,
      delayMs: 2_000,
      clock: time,
      timers: time,
      logger: createLogger({ destination: new Writable({ write: (_c, _e, done) => done() }) }),
    });
    tail.start();
    await time.advance(1_000);
    await tail.finish({ text: 'ended' });
    await time.advance(5_000);
    expect(calls).toEqual([]);
  });
});
