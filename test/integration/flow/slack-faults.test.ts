import { afterEach, describe, expect, inject, it } from 'vitest';
import { ALICE, CHANNEL, type FlowFixture, startFlow } from './flow-fixture.js';

let flow: FlowFixture | undefined;

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
});

const FINAL = /exit \d+|timed out|cancelled|interrupted|could not run/i;
/** No live tail however slow the machine: the result is posted as its own reply. */
const NO_TAIL = { tuning: { liveTailIntervalMs: 1_000, liveTailDelayMs: 60_000, expirySweepIntervalMs: 0 } };
const text = (value: unknown): string => JSON.stringify(value);
/** A result reply in a thread (not a live tail, which a slow machine may post first). */
const isThreadPost = (args: Record<string, unknown>) =>
  typeof args['thread_ts'] === 'string' && FINAL.test(String(args['text']));

describe('Slack failing while the result is delivered', () => {
  it('retries a result post refused with a 500 and with ok:false, and shows the output once', async () => {
    flow = await startFlow(inject('redisUrl'), NO_TAIL);
    flow.stack.slack.injectFault({ method: 'chat.postMessage', kind: 'http_error', status: 500, match: isThreadPost });
    flow.stack.slack.injectFault({
      method: 'chat.postMessage',
      kind: 'error',
      error: 'internal_error',
      match: isThreadPost,
    });
    await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo survived-5xx');
    const card = await flow.card();
    const status = await flow.finalStatus(card);
    expect(status.text).toMatch(/exit 0/);
    expect(text(status.blocks)).toContain('survived-5xx');
    expect(flow.thread(card).filter((reply) => FINAL.test(reply.text))).toHaveLength(1);
    const attempts = flow.stack.slack.callsTo('chat.postMessage').filter((call) => isThreadPost(call.args));
    expect(attempts).toHaveLength(3);
    await expect.poll(() => text(flow?.stack.slack.message(CHANNEL, card.ts)?.blocks)).toMatch(/Succeeded/);
    expect(text(flow.stack.slack.message(CHANNEL, card.ts)?.blocks)).not.toMatch(
      /could not be delivered|did not confirm/,
    );
  });

  it('never posts the result again when the post went through but its answer was lost, and says so on the card', async () => {
    flow = await startFlow(inject('redisUrl'), NO_TAIL);
    flow.stack.slack.injectFault({ method: 'chat.postMessage', kind: 'lost_response', match: isThreadPost });
    await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo once-only');
    const card = await flow.card();
    await expect
      .poll(() => text(flow?.stack.slack.message(CHANNEL, card.ts)?.blocks), { timeout: 10_000 })
      .toMatch(/did not confirm the result/);
    expect(flow.thread(card).filter((reply) => FINAL.test(reply.text))).toHaveLength(1);
    expect(flow.stack.slack.callsTo('chat.postMessage').filter((call) => isThreadPost(call.args))).toHaveLength(1);
  });

  it('says on the card that the output could not be delivered when Slack keeps refusing the post', async () => {
    flow = await startFlow(inject('redisUrl'), NO_TAIL);
    flow.stack.slack.injectFault({
      method: 'chat.postMessage',
      kind: 'http_error',
      status: 503,
      times: Number.POSITIVE_INFINITY,
      match: isThreadPost,
    });
    await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo nowhere');
    const card = await flow.card();
    await expect
      .poll(() => text(flow?.stack.slack.message(CHANNEL, card.ts)?.blocks), { timeout: 20_000 })
      .toMatch(/output could not be delivered/);
    expect(text(flow.stack.slack.message(CHANNEL, card.ts)?.blocks)).toMatch(/Succeeded/);
  }, 30_000);

  it('puts the result of a long run into its live tail, retrying an update whose answer was lost, without a duplicate', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, "demo/web -- sh -c 'echo start; sleep 1; echo long-run-output'");
    const card = await flow.card();
    flow.stack.slack.injectFault({
      method: 'chat.update',
      kind: 'lost_response',
      match: (args) => args['ts'] !== card.ts && /exit 0/.test(String(args['text'])),
    });
    const status = await flow.finalStatus(card);
    expect(text(status.blocks)).toContain('long-run-output');
    expect(flow.thread(card).filter((reply) => FINAL.test(reply.text))).toHaveLength(1);
    // The result replaced the live tail: no result was posted as a new message.
    expect(flow.stack.slack.callsTo('chat.postMessage').filter((call) => isThreadPost(call.args))).toHaveLength(0);
  });
});
