import { afterEach, describe, expect, inject, it } from 'vitest';
import { DEFAULT_TASK_IDS } from '../../../src/sandbox/index.js';
import { blockActionsPayload } from '../../../src/sandbox/slack/payloads.js';
import { interactionBody, postToBot, slashCommandBody } from '../../../src/sandbox/slack/sign.js';
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

describe('a task ARN from another account, partition or region', () => {
  const own = `arn:aws:ecs:us-east-1:111122223333:task/demo/${DEFAULT_TASK_IDS.web}`;
  it.each([
    ['another account', own.replace('111122223333', '999999999999'), /not a task of cluster demo/],
    ['another partition', own.replace('arn:aws:', 'arn:aws-cn:'), /not a task of cluster demo/],
    ['another region', own.replace('us-east-1', 'eu-west-1'), /not in the config/],
  ])('is refused and runs nothing: %s', async (_name, arn, why) => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, `${arn} -- echo must-not-run`);
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toMatch(why);
    expect(flow.stack.sandbox.calls.filter((call) => call.operation === 'ExecuteCommand')).toHaveLength(0);
  });

  it("is accepted when it is the configured cluster's own task", async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, `${own} -- echo by-arn`);
    const status = await flow.finalStatus(await flow.card());
    expect(JSON.stringify(status.blocks)).toContain('by-arn');
  });
});

describe('the same signed slash command delivered twice', () => {
  const cards = (fixture: FlowFixture) =>
    fixture.stack.slack.messages(CHANNEL).filter((message) => message.source === 'chat.postMessage');
  const executeCalls = (fixture: FlowFixture) =>
    fixture.stack.sandbox.calls.filter((call) => call.operation === 'ExecuteCommand');

  it.each([['Redis', true] as const, ['embedded', false] as const])(
    'runs once (%s store); typing it again is a new request',
    async (_name, withRedis) => {
      flow = await startFlow(withRedis ? inject('redisUrl') : '');
      const url = `${flow.stack.bot.url}/slack/events`;
      const body = (text: string) =>
        slashCommandBody({
          channel_id: CHANNEL,
          user_id: ALICE,
          text,
          response_url: flow?.stack.slack.createResponseUrl({ channel: CHANNEL, user: ALICE }) as string,
        });
      const signed = body('demo/web -- echo once');
      const timestampSeconds = Math.floor(Date.now() / 1_000);
      const first = await postToBot(url, flow.stack.signingSecret, signed, { timestampSeconds });
      const replay = await postToBot(url, flow.stack.signingSecret, signed, { timestampSeconds });
      expect([first.status, replay.status]).toEqual([200, 200]);
      await flow.finalStatus(await flow.card());
      // The replay was acknowledged and dropped; a request that came after it is handled, so it had its turn.
      await postToBot(url, flow.stack.signingSecret, body('demo/web -- echo after'), {
        timestampSeconds: timestampSeconds + 1,
      });
      await expect.poll(() => executeCalls(flow as FlowFixture).length).toBe(2);
      expect(cards(flow).map((card) => JSON.stringify(card.blocks).includes('echo once'))).toEqual([true, false]);
      expect(flow.logs.join('\n')).toContain('already seen (a replay)');
    },
  );
});
