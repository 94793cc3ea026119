import { ErrorCode, LogLevel, type WebAPIPlatformError, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SlackStandIn, type StandInChange, startSlackStandIn } from '../../../src/sandbox/slack/index.js';

let standIn: SlackStandIn;
let client: WebClient;

beforeEach(async () => {
  standIn = await startSlackStandIn({
    users: [
      { id: 'U1ALICE', name: 'alice', real_name: 'Alice Example' },
      { id: 'U2BOB', name: 'bob', real_name: 'Bob Example', is_restricted: true },
    ],
    usergroups: [{ id: 'S1SRE', handle: 'sre-leads', users: ['U2BOB'] }],
    channels: [{ id: 'C1OPS', name: 'ops' }],
  });
  client = new WebClient(standIn.botToken, { slackApiUrl: standIn.apiUrl, logLevel: LogLevel.ERROR });
});

afterEach(async () => {
  await standIn.close();
});

async function platformError(promise: Promise<unknown>): Promise<WebAPIPlatformError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toMatchObject({ code: ErrorCode.PlatformError });
  return error as WebAPIPlatformError;
}

describe('authentication', () => {
  it('answers auth.test with the bot identity Bolt reads at start-up', async () => {
    const result = await client.auth.test();
    expect(result).toMatchObject({
      ok: true,
      user_id: 'U0ECSEXEC',
      bot_id: 'B0ECSEXEC',
      team_id: 'T0SANDBOX',
      user: 'ecs-exec',
    });
    expect(result.response_metadata?.scopes).toEqual([
      'commands',
      'chat:write',
      'files:write',
      'usergroups:read',
      'users:read',
    ]);
  });

  it('refuses a wrong token with invalid_auth and a missing one with not_authed', async () => {
    const wrong = new WebClient('xoxb-not-the-token', { slackApiUrl: standIn.apiUrl, logLevel: LogLevel.ERROR });
    expect((await platformError(wrong.auth.test())).data.error).toBe('invalid_auth');
    const none = new WebClient(undefined, { slackApiUrl: standIn.apiUrl, logLevel: LogLevel.ERROR });
    expect((await platformError(none.chat.postMessage({ channel: 'C1OPS', text: 'hi' }))).data.error).toBe(
      'not_authed',
    );
    expect(standIn.messages('C1OPS')).toHaveLength(0);
  });

  it('refuses the app token for bot methods', async () => {
    const app = new WebClient(standIn.appToken, { slackApiUrl: standIn.apiUrl, logLevel: LogLevel.ERROR });
    expect((await platformError(app.auth.test())).data.error).toBe('not_allowed_token_type');
  });

  it('accepts the token as a form field, as older clients send it', async () => {
    const response = await fetch(`${standIn.apiUrl}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${standIn.botToken}`,
    });
    expect(await response.json()).toMatchObject({ ok: true, user_id: 'U0ECSEXEC' });
    expect(standIn.calls.at(-1)).toMatchObject({ method: 'auth.test', token: standIn.botToken });
  });
});

describe('messages', () => {
  it('posts, threads, edits in place and deletes, recording each call', async () => {
    const changes: StandInChange[] = [];
    standIn.on('change', (change) => changes.push(change));
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Approve* `ls`?' } }];
    const parent = await client.chat.postMessage({ channel: 'C1OPS', text: 'Approve ls?', blocks });
    expect(parent).toMatchObject({
      ok: true,
      channel: 'C1OPS',
      message: { text: 'Approve ls?', user: 'U0ECSEXEC', bot_id: 'B0ECSEXEC', blocks },
    });
    expect(parent.ts).toMatch(/^\d{10}\.\d{6}$/);

    const reply = await client.chat.postMessage({ channel: 'C1OPS', thread_ts: parent.ts as string, text: 'output' });
    expect(reply.message?.thread_ts).toBe(parent.ts);
    expect(Number(reply.ts)).toBeGreaterThan(Number(parent.ts));

    const updated = await client.chat.update({ channel: 'C1OPS', ts: parent.ts as string, text: 'Approved by bob' });
    expect(updated).toMatchObject({ ok: true, ts: parent.ts, text: 'Approved by bob' });

    expect(standIn.messages('C1OPS')).toHaveLength(1);
    expect(standIn.messages('C1OPS')[0]).toMatchObject({
      text: 'Approved by bob',
      blocks,
      edited: { user: 'U0ECSEXEC' },
    });
    expect(standIn.threadReplies('C1OPS', parent.ts as string).map((message) => message.text)).toEqual(['output']);

    await client.chat.delete({ channel: 'C1OPS', ts: reply.ts as string });
    expect(standIn.threadReplies('C1OPS', parent.ts as string)).toHaveLength(0);
    expect(changes.map((change) => change.kind)).toEqual([
      'message_posted',
      'message_posted',
      'message_updated',
      'message_deleted',
    ]);

    const call = await standIn.waitForCall('chat.postMessage', (recorded) => recorded.args['thread_ts'] === parent.ts);
    expect(call.args['text']).toBe('output');
    expect(call.token).toBe(standIn.botToken);
    expect(standIn.callsTo('chat.postMessage')[0]?.args['blocks']).toEqual(blocks);
  });

  it('accepts JSON bodies as Slack does', async () => {
    const response = await fetch(`${standIn.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${standIn.botToken}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C1OPS', text: 'from json', blocks: [{ type: 'divider' }] }),
    });
    expect(await response.json()).toMatchObject({ ok: true, channel: 'C1OPS' });
    expect(standIn.messages('C1OPS')[0]).toMatchObject({ text: 'from json', blocks: [{ type: 'divider' }] });
  });

  it('refuses what Slack refuses: no content, unknown message, blocks beyond the limits', async () => {
    expect((await platformError(client.chat.postMessage({ channel: 'C1OPS', text: '' }))).data.error).toBe('no_text');
    expect((await platformError(client.chat.update({ channel: 'C1OPS', ts: '1.000001', text: 'x' }))).data.error).toBe(
      'message_not_found',
    );
    const tooMany = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    const error = await platformError(client.chat.postMessage({ channel: 'C1OPS', text: 'x', blocks: tooMany }));
    expect(error.data.error).toBe('invalid_blocks');
    const longSection = [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }];
    expect(
      (await platformError(client.chat.postMessage({ channel: 'C1OPS', text: 'x', blocks: longSection }))).data
        .response_metadata?.messages?.[0],
    ).toContain('/blocks/0/text');
    expect(standIn.messages('C1OPS')).toHaveLength(0);
  });

  it('refuses blocks whose text adds up beyond the 12,000-character budget', async () => {
    const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    const blocks = Array.from({ length: 5 }, () => section('z'.repeat(2500)));
    const error = await platformError(client.chat.postMessage({ channel: 'C1OPS', text: 'output', blocks }));
    expect(error.data.error).toBe('msg_blocks_too_long');
    await client.chat.postMessage({ channel: 'C1OPS', text: 'output', blocks: blocks.slice(0, 4) });
    expect(standIn.messages('C1OPS')).toHaveLength(1);
  });

  it('refuses to edit a message a person wrote', async () => {
    const human = standIn.postUserMessage('C1OPS', 'U1ALICE', '/ecs-exec demo/web -- ls');
    expect((await platformError(client.chat.update({ channel: 'C1OPS', ts: human.ts, text: 'x' }))).data.error).toBe(
      'cant_update_message',
    );
  });

  it('truncates text beyond 40,000 characters with a warning', async () => {
    const result = await client.chat.postMessage({ channel: 'C1OPS', text: 'y'.repeat(40_010) });
    expect(result.warning).toBe('message_truncated');
    expect(standIn.messages('C1OPS')[0]?.text).toHaveLength(40_000);
  });

  it('shows ephemeral messages only to their user', async () => {
    const result = await client.chat.postEphemeral({
      channel: 'C1OPS',
      user: 'U1ALICE',
      text: 'Only you can see this',
    });
    expect(result.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(standIn.ephemeralsFor('U1ALICE', 'C1OPS').map((ephemeral) => ephemeral.text)).toEqual([
      'Only you can see this',
    ]);
    expect(standIn.ephemeralsFor('U2BOB')).toHaveLength(0);
    expect(standIn.messages('C1OPS')).toHaveLength(0);
    expect(
      (await platformError(client.chat.postEphemeral({ channel: 'C1OPS', user: 'U9NOBODY', text: 'x' }))).data.error,
    ).toBe('user_not_found');
  });

  it('refuses unseeded channels when strict, like Slack', async () => {
    const strict = await startSlackStandIn({ strictChannels: true, channels: [{ id: 'C1OPS', name: 'ops' }] });
    try {
      const strictClient = new WebClient(strict.botToken, { slackApiUrl: strict.apiUrl, logLevel: LogLevel.ERROR });
      expect((await platformError(strictClient.chat.postMessage({ channel: 'C404', text: 'x' }))).data.error).toBe(
        'channel_not_found',
      );
      await strictClient.chat.postMessage({ channel: 'C1OPS', text: 'x' });
      expect(strict.messages('C1OPS')).toHaveLength(1);
    } finally {
      await strict.close();
    }
  });

  it('gives permalinks to posted messages', async () => {
    const posted = await client.chat.postMessage({ channel: 'C1OPS', text: 'card' });
    const link = await client.chat.getPermalink({ channel: 'C1OPS', message_ts: posted.ts as string });
    expect(link.permalink).toBe(`${standIn.url}/archives/C1OPS/p${(posted.ts as string).replace('.', '')}`);
  });
});

describe('modals', () => {
  const view = {
    type: 'modal' as const,
    callback_id: 'runbook_params',
    title: { type: 'plain_text' as const, text: 'Run restart-web' },
    submit: { type: 'plain_text' as const, text: 'Run' },
    blocks: [
      {
        type: 'input',
        block_id: 'replicas',
        label: { type: 'plain_text' as const, text: 'Replicas' },
        element: { type: 'plain_text_input', action_id: 'value' },
      },
    ],
    private_metadata: 'req-1',
  };

  it('opens a modal for the user the trigger belongs to and updates it by id and hash', async () => {
    const changes: StandInChange[] = [];
    standIn.on('change', (change) => changes.push(change));
    const trigger = standIn.createTriggerId('U1ALICE');
    const opened = await client.views.open({ trigger_id: trigger, view });
    expect(opened.view).toMatchObject({
      id: expect.stringMatching(/^V/),
      callback_id: 'runbook_params',
      private_metadata: 'req-1',
      state: { values: {} },
      app_id: 'A0ECSEXEC',
      bot_id: 'B0ECSEXEC',
    });
    const viewId = opened.view?.id as string;
    expect(standIn.views({ user: 'U1ALICE', openOnly: true }).map((stored) => stored.id)).toEqual([viewId]);

    const stale = await platformError(
      client.views.update({ view_id: viewId, hash: 'not-the-hash', view: { ...view, private_metadata: 'x' } }),
    );
    expect(stale.data.error).toBe('hash_conflict');
    const updated = await client.views.update({
      view_id: viewId,
      hash: opened.view?.hash as string,
      view: { ...view, title: { type: 'plain_text', text: 'Running…' } },
    });
    expect(updated.view?.id).toBe(viewId);
    expect(standIn.views()[0]?.view['title']).toEqual({ type: 'plain_text', text: 'Running…' });

    standIn.closeView(viewId);
    expect(standIn.views({ openOnly: true })).toHaveLength(0);
    expect(changes.map((change) => change.kind)).toEqual(['view_opened', 'view_updated', 'view_closed']);
  });

  it('refuses a trigger id once it is older than its lifetime', async () => {
    let now = Date.now();
    const clocked = await startSlackStandIn({ clock: { now: () => now } });
    try {
      const clockedClient = new WebClient(clocked.botToken, { slackApiUrl: clocked.apiUrl, logLevel: LogLevel.ERROR });
      const trigger = clocked.createTriggerId('U1ALICE');
      now += 3001;
      expect((await platformError(clockedClient.views.open({ trigger_id: trigger, view }))).data.error).toBe(
        'expired_trigger_id',
      );
      expect(clocked.views()).toHaveLength(0);
    } finally {
      await clocked.close();
    }
  });

  it('refuses a view that is not a modal', async () => {
    const error = await platformError(
      client.views.open({ trigger_id: standIn.createTriggerId('U1ALICE'), view: { ...view, type: 'home' } as never }),
    );
    expect(error.data.error).toBe('invalid_arguments');
  });
});

describe('Home tabs', () => {
  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

  it('publishes a home view for a user and replaces it on the next publish, keeping its id', async () => {
    const changes: StandInChange[] = [];
    standIn.on('change', (change) => changes.push(change));
    const first = await client.views.publish({ user_id: 'U1ALICE', view: { type: 'home', blocks: [section('one')] } });
    const second = await client.views.publish({ user_id: 'U1ALICE', view: { type: 'home', blocks: [section('two')] } });
    expect(second.view?.id).toBe(first.view?.id);
    expect(second.view?.hash).not.toBe(first.view?.hash);
    expect(JSON.stringify(standIn.homeView('U1ALICE')?.view)).toContain('two');
    expect(standIn.homeView('U2BOB')).toBeUndefined();
    expect(changes.filter((change) => change.kind === 'home_published')).toHaveLength(2);
  });

  it('refuses what Slack refuses: a modal, more than 100 blocks, an unknown user, a stale hash', async () => {
    const errorOf = async (args: Parameters<typeof client.views.publish>[0]) =>
      (await platformError(client.views.publish(args))).data.error;
    expect(await errorOf({ user_id: 'U1ALICE', view: { type: 'modal', blocks: [] } as never })).toBe(
      'invalid_arguments',
    );
    const tooMany = Array.from({ length: 101 }, (_, i) => section(`row ${i}`));
    expect(await errorOf({ user_id: 'U1ALICE', view: { type: 'home', blocks: tooMany as never } })).toBe(
      'invalid_arguments',
    );
    expect(await errorOf({ user_id: 'U9NOBODY', view: { type: 'home', blocks: [] } })).toBe('user_not_found');
    await client.views.publish({ user_id: 'U1ALICE', view: { type: 'home', blocks: [] } });
    expect(await errorOf({ user_id: 'U1ALICE', hash: 'stale', view: { type: 'home', blocks: [] } })).toBe(
      'hash_conflict',
    );
    const hundred = Array.from({ length: 100 }, (_, i) => section(`row ${i}`));
    await expect(
      client.views.publish({ user_id: 'U1ALICE', view: { type: 'home', blocks: hundred as never } }),
    ).resolves.toMatchObject({ ok: true });
  });
});

describe('directory lookups', () => {
  it('answers users.info with Slack user objects, guests flagged', async () => {
    const bob = await client.users.info({ user: 'U2BOB' });
    expect(bob.user).toMatchObject({
      id: 'U2BOB',
      name: 'bob',
      real_name: 'Bob Example',
      is_restricted: true,
      is_bot: false,
      deleted: false,
      profile: { real_name: 'Bob Example' },
    });
    expect((await platformError(client.users.info({ user: 'U404' }))).data.error).toBe('user_not_found');
  });

  it('answers usergroups.users.list and usergroups.list from the seeded groups', async () => {
    expect((await client.usergroups.users.list({ usergroup: 'S1SRE' })).users).toEqual(['U2BOB']);
    standIn.seedUserGroup({ id: 'S1SRE', handle: 'sre-leads', users: ['U2BOB', 'U1ALICE'] });
    expect((await client.usergroups.users.list({ usergroup: 'S1SRE' })).users).toEqual(['U2BOB', 'U1ALICE']);
    expect((await platformError(client.usergroups.users.list({ usergroup: 'S404' }))).data.error).toBe(
      'no_such_subteam',
    );
    const groups = await client.usergroups.list({ include_users: true });
    expect(groups.usergroups).toEqual([
      expect.objectContaining({ id: 'S1SRE', handle: 'sre-leads', users: ['U2BOB', 'U1ALICE'], user_count: 2 }),
    ]);
  });

  it('answers conversations.info for known channels', async () => {
    expect((await client.conversations.info({ channel: 'C1OPS' })).channel).toMatchObject({
      id: 'C1OPS',
      name: 'ops',
      is_channel: true,
      is_private: false,
    });
    expect((await platformError(client.conversations.info({ channel: 'C404' }))).data.error).toBe('channel_not_found');
  });
});

describe('snapshot', () => {
  it('gives a page everything to render, JSON-serialisable', async () => {
    const parent = await client.chat.postMessage({ channel: 'C1OPS', text: '<script>alert(1)</script>' });
    await client.chat.postEphemeral({ channel: 'C1OPS', user: 'U1ALICE', text: 'psst' });
    const snapshot = JSON.parse(JSON.stringify(standIn.snapshot()));
    expect(snapshot.channels).toEqual([
      expect.objectContaining({
        id: 'C1OPS',
        messages: [expect.objectContaining({ ts: parent.ts, text: '<script>alert(1)</script>' })],
        ephemerals: [expect.objectContaining({ user: 'U1ALICE', text: 'psst' })],
      }),
    ]);
    expect(snapshot.users).toHaveLength(2);
    expect(snapshot.identity.botUserId).toBe('U0ECSEXEC');
  });
});
