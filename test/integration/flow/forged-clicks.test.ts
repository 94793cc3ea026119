import { afterEach, describe, expect, inject, it } from 'vitest';
import { blockActionsPayload } from '../../../src/sandbox/slack/payloads.js';
import { interactionBody, postToBot } from '../../../src/sandbox/slack/sign.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { ALICE, BOB, CHANNEL, type FlowFixture, startFlow } from './flow-fixture.js';

let flow: FlowFixture | undefined;

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
});

describe('a signed Approve click that names no card', () => {
  it.each([
    ['neither channel nor message', { channel: false, message: false }],
    ['no channel', { channel: false, message: true }],
    ['no message', { channel: true, message: false }],
  ])('with %s is refused and runs nothing (Redis store)', async (_name, keep) => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker -- echo must-not-run');
    const card = await flow.card();
    // The approver's own Approve button, signed with the real secret, with the card's coordinates left out.
    const payload = blockActionsPayload({
      user: { id: BOB, name: 'bob' },
      channel: { id: CHANNEL },
      message: card,
      action: { action_id: ACTION_IDS.approve },
      responseUrl: 'https://hooks.slack.invalid/none',
      triggerId: 'trigger',
    });
    const container = payload['container'] as Record<string, unknown>;
    if (!keep.channel) {
      delete payload['channel'];
      delete container['channel_id'];
    }
    if (!keep.message) {
      delete payload['message'];
      delete container['message_ts'];
    }
    const response = await postToBot(
      `${flow.stack.bot.url}/slack/events`,
      flow.stack.signingSecret,
      interactionBody(payload),
    );
    expect(response.status).toBe(200);
    await expect
      .poll(async () => (await flow?.auditEntries())?.filter((entry) => entry.action === 'approve').length)
      .toBe(1);
    const [attempt] = (await flow.auditEntries()).filter((entry) => entry.action === 'approve');
    expect(attempt?.outcome).toBe('context_mismatch');
    expect(flow.stack.sandbox.calls.filter((call) => call.operation === 'ExecuteCommand')).toHaveLength(0);
    // The real card still works.
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    const status = await flow.finalStatus(card);
    expect(JSON.stringify(status.blocks)).toContain('must-not-run');
  });
});
