import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type Logger, LogLevel, SocketModeReceiver } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type BotEndpoint,
  type SlackStandIn,
  SlackUserActions,
  startSlackStandIn,
} from '../../../src/sandbox/slack/index.js';

const SIGNING_SECRET = 'sandbox-signing-secret';
const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

let standIn: SlackStandIn;
const stoppers: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  standIn = await startSlackStandIn({
    users: [
      { id: 'U1ALICE', name: 'alice' },
      { id: 'U2BOB', name: 'bob' },
    ],
    channels: [{ id: 'C1OPS', name: 'ops' }],
  });
});

afterEach(async () => {
  for (const stop of stoppers.splice(0).reverse()) await stop();
  await standIn.close();
});

/** The same small app on either receiver: `help` answers in the ack, `ask` posts a card, `runbook` opens a modal. */
function registerListeners(app: App): void {
  app.command('/ecs-exec', async ({ ack, command, client }) => {
    if (command.text === 'help') {
      await ack({ text: 'Usage: /ecs-exec <cluster>/<service> -- <command>' });
      return;
    }
    if (command.text === 'history') {
      await ack({ response_type: 'in_channel', text: 'Last 3 runs: …' });
      return;
    }
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
    await client.chat.postMessage({
      channel: command.channel_id,
      text: 'Approve?',
      blocks: [
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'approve', value: 'req-9', text: { type: 'plain_text', text: 'Approve' } },
          ],
        },
      ],
    });
  });
  app.action('approve', async ({ ack, body, respond, action }) => {
    await ack();
    const value = 'value' in action ? action.value : '';
    await respond({ replace_original: true, text: `Approved ${value} by <@${body.user.id}>` });
  });
  app.view('runbook_params', async ({ ack, view }) => {
    const reason = view.state.values['reason']?.['value']?.value ?? '';
    if (reason.trim() === '') {
      await ack({ response_action: 'errors', errors: { reason: 'Say why you run it' } });
      return;
    }
    await ack();
  });
}

async function httpBot(): Promise<BotEndpoint> {
  const app = new App({
    token: standIn.botToken,
    signingSecret: SIGNING_SECRET,
    logger: silentLogger,
    clientOptions: { slackApiUrl: standIn.apiUrl },
  });
  registerListeners(app);
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
  stoppers.push(() => app.stop());
  return {
    kind: 'http',
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`,
    signingSecret: SIGNING_SECRET,
  };
}

async function socketBot(): Promise<BotEndpoint> {
  const receiver = new SocketModeReceiver({
    appToken: standIn.appToken,
    clientPingTimeout: 2000,
    logger: silentLogger,
    installerOptions: { clientOptions: { slackApiUrl: standIn.apiUrl } },
  });
  const app = new App({
    token: standIn.botToken,
    receiver,
    logger: silentLogger,
    clientOptions: { slackApiUrl: standIn.apiUrl },
  });
  registerListeners(app);
  await app.start();
  stoppers.push(() => app.stop());
  return { kind: 'socket' };
}

describe.each([
  ['HTTP receiver', httpBot],
  ['Socket Mode', socketBot],
])('acting as a person, through the %s', (_name, startBot) => {
  it('shows a slash command ack body to the person who typed it, and only to them', async () => {
    const actions = new SlackUserActions(standIn, await startBot());
    const delivery = await actions.slashCommand({ user: 'U1ALICE', channel: 'C1OPS', text: 'help' });
    expect(delivery).toMatchObject({ status: 200 });
    expect(standIn.ephemeralsFor('U1ALICE', 'C1OPS')).toEqual([
      expect.objectContaining({ text: 'Usage: /ecs-exec <cluster>/<service> -- <command>', source: 'ack' }),
    ]);
    expect(standIn.ephemeralsFor('U2BOB')).toEqual([]);
    expect(standIn.messages('C1OPS')).toEqual([]);
  });

  it('shows an in_channel ack to everyone, under the command that was typed', async () => {
    const actions = new SlackUserActions(standIn, await startBot());
    await actions.slashCommand({ user: 'U1ALICE', channel: 'C1OPS', text: 'history' });
    expect(standIn.messages('C1OPS').map((message) => [message.user, message.text])).toEqual([
      ['U1ALICE', '/ecs-exec history'],
      ['U0ECSEXEC', 'Last 3 runs: …'],
    ]);
    expect(standIn.ephemeralsFor('U1ALICE')).toEqual([]);
  });

  it('clicks a button on the card and sees the card replaced', async () => {
    const actions = new SlackUserActions(standIn, await startBot());
    await actions.slashCommand({ user: 'U1ALICE', channel: 'C1OPS', text: 'ask' });
    const card = await standIn.waitForCall('chat.postMessage');
    const ts = (card.response.body as { ts: string }).ts;

    expect(
      (await actions.clickButton({ user: 'U2BOB', channel: 'C1OPS', messageTs: ts, actionId: 'approve' })).status,
    ).toBe(200);
    await standIn.waitForCall('response_url');
    expect(standIn.message('C1OPS', ts)).toMatchObject({ text: 'Approved req-9 by <@U2BOB>' });
  });

  it('keeps a modal open with the errors the app returns, and closes it on a good submission', async () => {
    const actions = new SlackUserActions(standIn, await startBot());
    await actions.slashCommand({ user: 'U1ALICE', channel: 'C1OPS', text: 'runbook' });
    await standIn.waitForCall('views.open');
    const [modal] = standIn.views({ user: 'U1ALICE', openOnly: true });
    const viewId = modal?.id ?? '';

    await actions.submitView({ user: 'U1ALICE', viewId, values: { reason: { value: '  ' } } });
    expect(standIn.views({ openOnly: true })[0]).toMatchObject({
      id: viewId,
      errors: { reason: 'Say why you run it' },
    });

    await actions.submitView({ user: 'U1ALICE', viewId, values: { reason: { value: 'restart' } } });
    expect(standIn.views({ openOnly: true })).toEqual([]);
  });
});

describe('when the bot does not answer', () => {
  it('tells the person the command failed, as Slack does', async () => {
    const actions = new SlackUserActions(standIn, {
      kind: 'http',
      url: 'http://127.0.0.1:9/slack/events',
      signingSecret: SIGNING_SECRET,
    });
    const delivery = await actions.slashCommand({ user: 'U1ALICE', channel: 'C1OPS', text: 'help' });
    expect(delivery.failure).toBe('dispatch_failed');
    expect(standIn.ephemeralsFor('U1ALICE')).toEqual([
      expect.objectContaining({ text: '/ecs-exec failed with the error "dispatch_failed"', source: 'slackbot' }),
    ]);
  });

  it('reports operation_timeout when no Socket Mode ack comes in time', async () => {
    const silentApp = new SocketModeClient({
      appToken: standIn.appToken,
      clientPingTimeout: 2000,
      logger: silentLogger,
      clientOptions: { slackApiUrl: standIn.apiUrl },
    });
    await silentApp.start();
    stoppers.push(() => silentApp.disconnect());
    const actions = new SlackUserActions(standIn, { kind: 'socket', ackTimeoutMs: 200 });
    const delivery = await actions.slashCommand({ user: 'U1ALICE', channel: 'C1OPS', text: 'help' });
    expect(delivery).toMatchObject({ status: 0, failure: 'operation_timeout' });
    expect(standIn.ephemeralsFor('U1ALICE').map((message) => message.text)).toEqual([
      '/ecs-exec failed with the error "operation_timeout"',
    ]);
  });
});
