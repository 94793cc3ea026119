import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../../src/sandbox/slack/index.js';

let standIn: SlackStandIn;
let now: number;

beforeEach(async () => {
  now = Date.now();
  standIn = await startSlackStandIn({ channels: [{ id: 'C1OPS', name: 'ops' }], clock: { now: () => now } });
});

afterEach(async () => {
  await standIn.close();
});

async function post(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('response_url', () => {
  it('shows a post to the invoking user only, by default', async () => {
    const url = standIn.createResponseUrl({ channel: 'C1OPS', user: 'U1ALICE' });
    expect(await post(url, { text: 'Usage: /ecs-exec …' })).toEqual({ status: 200, body: { ok: true } });
    expect(standIn.ephemeralsFor('U1ALICE', 'C1OPS')).toEqual([
      expect.objectContaining({ text: 'Usage: /ecs-exec …', source: 'response_url' }),
    ]);
    expect(standIn.messages('C1OPS')).toHaveLength(0);
    expect(standIn.callsTo('response_url')[0]?.args).toMatchObject({ text: 'Usage: /ecs-exec …' });
  });

  it('posts in the channel, or in a thread, with response_type in_channel', async () => {
    const url = standIn.createResponseUrl({ channel: 'C1OPS', user: 'U1ALICE' });
    await post(url, { response_type: 'in_channel', text: 'Request posted' });
    const [card] = standIn.messages('C1OPS');
    expect(card).toMatchObject({ text: 'Request posted', bot_id: 'B0ECSEXEC' });
    await post(url, { response_type: 'in_channel', text: 'in thread', thread_ts: card?.ts });
    expect(standIn.threadReplies('C1OPS', card?.ts as string).map((message) => message.text)).toEqual(['in thread']);
  });

  it('replaces the clicked message with replace_original, blocks and all', async () => {
    const client = new WebClient(standIn.botToken, { slackApiUrl: standIn.apiUrl, logLevel: LogLevel.ERROR });
    const card = await client.chat.postMessage({
      channel: 'C1OPS',
      text: 'Approve?',
      blocks: [
        {
          type: 'actions',
          elements: [{ type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' } }],
        },
      ],
    });
    const url = standIn.createResponseUrl({ channel: 'C1OPS', user: 'U2BOB', message_ts: card.ts as string });
    await post(url, { replace_original: true, text: 'Approved by <@U2BOB>' });
    expect(standIn.messages('C1OPS')).toEqual([
      expect.objectContaining({ ts: card.ts, text: 'Approved by <@U2BOB>', edited: expect.any(Object) }),
    ]);
    expect(standIn.messages('C1OPS')[0]?.blocks).toBeUndefined();
  });

  it('replaces or deletes an ephemeral the button sat on', async () => {
    const first = standIn.createResponseUrl({ channel: 'C1OPS', user: 'U1ALICE' });
    await post(first, { text: 'Choose a runbook' });
    const ephemeral = standIn.ephemeralsFor('U1ALICE')[0];
    const click = standIn.createResponseUrl({
      channel: 'C1OPS',
      user: 'U1ALICE',
      message_ts: ephemeral?.ts as string,
      message_is_ephemeral: true,
    });
    await post(click, { replace_original: true, text: 'Opening…' });
    expect(standIn.ephemeralsFor('U1ALICE').map((message) => message.text)).toEqual(['Opening…']);
    await post(click, { delete_original: true });
    expect(standIn.ephemeralsFor('U1ALICE')).toHaveLength(0);
  });

  it('accepts five posts, then answers used_url', async () => {
    const url = standIn.createResponseUrl({ channel: 'C1OPS', user: 'U1ALICE' });
    for (let use = 1; use <= 5; use += 1) expect((await post(url, { text: `use ${use}` })).status).toBe(200);
    expect(await post(url, { text: 'sixth' })).toEqual({ status: 404, body: { ok: false, error: 'used_url' } });
    expect(standIn.ephemeralsFor('U1ALICE')).toHaveLength(5);
  });

  it('expires after thirty minutes', async () => {
    const url = standIn.createResponseUrl({ channel: 'C1OPS', user: 'U1ALICE' });
    now += 30 * 60 * 1000 + 1;
    expect(await post(url, { text: 'late' })).toEqual({ status: 404, body: { ok: false, error: 'expired_url' } });
    expect(standIn.ephemeralsFor('U1ALICE')).toHaveLength(0);
  });

  it('refuses an empty post and can be made to fail', async () => {
    const url = standIn.createResponseUrl({ channel: 'C1OPS', user: 'U1ALICE' });
    expect((await post(url, {})).status).toBe(400);
    standIn.injectFault({ method: 'response_url', kind: 'http_error', status: 500 });
    expect((await post(url, { text: 'x' })).status).toBe(500);
    expect(standIn.ephemeralsFor('U1ALICE')).toHaveLength(0);
  });
});
