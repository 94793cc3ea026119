import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  blockActionsPayload,
  interactionBody,
  postToBot,
  type SlackStandIn,
  slashCommandBody,
  startSlackStandIn,
  viewSubmissionPayload,
} from '../../../src/sandbox/slack/index.js';

const SIGNING_SECRET = 'sandbox-signing-secret';
let standIn: SlackStandIn;
let app: App;
let botUrl: string;

/** A small Bolt app on its real HTTP receiver: the path the playground drives. */
beforeEach(async () => {
  standIn = await startSlackStandIn({
    users: [
      { id: 'U1ALICE', name: 'alice' },
      { id: 'U2BOB', name: 'bob' },
    ],
    channels: [{ id: 'C1OPS', name: 'ops' }],
  });
  app = new App({
    token: standIn.botToken,
    signingSecret: SIGNING_SECRET,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: standIn.apiUrl },
  });
  app.command('/ecs-exec', async ({ ack, command, client, respond }) => {
    await ack();
    if (command.text === 'runbook') {
      await client.views.open({
        trigger_id: command.trigger_id,
        view: {
          type: 'modal',
          callback_id: 'runbook_params',
          title: { type: 'plain_text', text: 'Runbook' },
          submit: { type: 'plain_text', text: 'Run' },
          blocks: [
            {
              type: 'input',
              block_id: 'reason',
              label: { type: 'plain_text', text: 'Reason' },
              element: { type: 'plain_text_input', action_id: 'value' },
            },
          ],
        },
      });
      return;
    }
    await respond({ text: `Request received: ${command.text}` });
    await client.chat.postMessage({
      channel: command.channel_id,
      text: `<@${command.user_id}> asks to run ${command.text}`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `<@${command.user_id}> asks to run \`${command.text}\`` } },
        {
          type: 'actions',
          block_id: 'decision',
          elements: [
            { type: 'button', action_id: 'approve', value: 'req-1', text: { type: 'plain_text', text: 'Approve' } },
          ],
        },
      ],
    });
  });
  app.action('approve', async ({ ack, body, respond }) => {
    await ack();
    await respond({ replace_original: true, text: `Approved by <@${body.user.id}>` });
  });
  app.view('runbook_params', async ({ ack, view, body, client }) => {
    await ack();
    await client.chat.postMessage({
      channel: 'C1OPS',
      text: `Runbook started by <@${body.user.id}>: ${view.state.values['reason']?.['value']?.value ?? ''}`,
    });
  });
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
  botUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
});

afterEach(async () => {
  await app.stop();
  await standIn.close();
});

function command(text: string, user = 'U1ALICE'): string {
  return slashCommandBody({
    channel_id: 'C1OPS',
    user_id: user,
    text,
    response_url: standIn.createResponseUrl({ channel: 'C1OPS', user }),
    trigger_id: standIn.createTriggerId(user),
  });
}

describe('signed requests to a Bolt HTTP receiver', () => {
  it('runs a slash command, then a button click, end to end through the stand-in', async () => {
    const commandResponse = await postToBot(botUrl, SIGNING_SECRET, command('demo/worker -- ls'));
    expect(commandResponse.status).toBe(200);
    const card = await standIn.waitForCall('chat.postMessage');
    expect(standIn.ephemeralsFor('U1ALICE', 'C1OPS').map((message) => message.text)).toEqual([
      'Request received: demo/worker -- ls',
    ]);
    const ts = (card.response.body as { ts: string }).ts;
    const message = standIn.message('C1OPS', ts);
    expect(message?.blocks).toHaveLength(2);

    const click = blockActionsPayload({
      user: { id: 'U2BOB', name: 'bob' },
      channel: { id: 'C1OPS', name: 'ops' },
      message: message as NonNullable<typeof message>,
      action: { action_id: 'approve' },
      responseUrl: standIn.createResponseUrl({ channel: 'C1OPS', user: 'U2BOB', message_ts: ts }),
      triggerId: standIn.createTriggerId('U2BOB'),
    });
    expect((await postToBot(botUrl, SIGNING_SECRET, interactionBody(click))).status).toBe(200);
    await standIn.waitForCall('response_url', (call) => call.args['replace_original'] === true);
    expect(standIn.message('C1OPS', ts)).toMatchObject({ text: 'Approved by <@U2BOB>' });
  });

  it('opens a modal for the requester and delivers its submission', async () => {
    expect((await postToBot(botUrl, SIGNING_SECRET, command('runbook'))).status).toBe(200);
    await standIn.waitForCall('views.open');
    const [opened] = standIn.views({ user: 'U1ALICE', openOnly: true });
    expect(opened?.view['callback_id']).toBe('runbook_params');

    const submission = viewSubmissionPayload({
      user: { id: 'U1ALICE' },
      view: opened?.view ?? {},
      values: { reason: { value: 'restart after deploy' } },
      triggerId: standIn.createTriggerId('U1ALICE'),
    });
    const response = await postToBot(botUrl, SIGNING_SECRET, interactionBody(submission));
    expect(response.status).toBe(200);
    standIn.closeView(opened?.id ?? '');
    await standIn.waitForCall('chat.postMessage');
    expect(standIn.messages('C1OPS').map((message) => message.text)).toEqual([
      'Runbook started by <@U1ALICE>: restart after deploy',
    ]);
  });

  it('is refused with 401 when unsigned, stale or tampered, and nothing happens', async () => {
    const body = command('demo/web -- ls');
    expect((await postToBot(botUrl, SIGNING_SECRET, body, { unsigned: true })).status).toBe(401);
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;
    expect((await postToBot(botUrl, SIGNING_SECRET, body, { timestampSeconds: sixMinutesAgo })).status).toBe(401);
    expect((await postToBot(botUrl, 'another-secret', body)).status).toBe(401);
    expect((await postToBot(botUrl, SIGNING_SECRET, body, { signature: `v0=${'0'.repeat(64)}` })).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(standIn.calls.filter((call) => call.method !== 'auth.test')).toEqual([]);
  });
});
