import { App, LogLevel, SocketModeReceiver } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import { ErrorCode, type Logger, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type SlackStandIn, startSlackStandIn } from '../../../src/sandbox/slack/index.js';

let standIn: SlackStandIn;

/** The SDK logs dropped sockets as errors; here they are the point of the test. */
const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};
const stoppers: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  standIn = await startSlackStandIn({ socketAckTimeoutMs: 2000, socketPingIntervalMs: 500 });
});

afterEach(async () => {
  for (const stop of stoppers.splice(0).reverse()) await stop();
  await standIn.close();
});

function socketClient(appToken = standIn.appToken): SocketModeClient {
  const client = new SocketModeClient({
    appToken,
    // Also the reconnect delay; short so a reconnect takes about two seconds, long enough not to trip on a busy machine.
    clientPingTimeout: 2000,
    logger: silentLogger,
    clientOptions: { slackApiUrl: standIn.apiUrl, retryConfig: { retries: 0 } },
  });
  stoppers.push(() => client.disconnect());
  return client;
}

/** The WebSocket URL the n-th `apps.connections.open` handed out. */
function openedUrl(index: number): string {
  const body = standIn.callsTo('apps.connections.open')[index]?.response.body;
  return typeof body === 'object' && typeof body['url'] === 'string' ? body['url'] : '';
}

const slashCommand = {
  token: 'sandbox-verification-token',
  team_id: 'T0SANDBOX',
  channel_id: 'C1OPS',
  user_id: 'U1ALICE',
  command: '/ecs-exec',
  text: 'help',
  response_url: 'http://127.0.0.1:9/unused',
  trigger_id: '1.2.3',
  api_app_id: 'A0ECSEXEC',
};

describe('Socket Mode with @slack/socket-mode', () => {
  it('opens a connection with the app token, says hello, and returns the ack payload of an envelope', async () => {
    const client = socketClient();
    const received: unknown[] = [];
    client.on('slash_commands', async ({ ack, body }) => {
      received.push(body);
      await ack({ response_type: 'ephemeral', text: 'Usage: /ecs-exec cluster/service -- command' });
    });
    await client.start();

    const open = standIn.callsTo('apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0]?.token).toBe(standIn.appToken);
    expect(openedUrl(0)).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket-mode\/link\//);
    expect(standIn.socketConnectionCount).toBe(1);

    const ack = await standIn.sendSocketEnvelope('slash_commands', slashCommand);
    expect(ack.payload).toEqual({ response_type: 'ephemeral', text: 'Usage: /ecs-exec cluster/service -- command' });
    expect(received).toEqual([slashCommand]);
    expect(standIn.socketFrames.at(-1)).toMatchObject({ envelope_id: ack.envelope_id });
  });

  it('refuses a bot token for apps.connections.open and a wrong app token outright', async () => {
    const bot = new WebClient(standIn.botToken, { slackApiUrl: standIn.apiUrl, logLevel: LogLevel.ERROR });
    await expect(bot.apps.connections.open()).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { error: 'not_allowed_token_type' },
    });
    await expect(socketClient('xapp-wrong').start()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    expect(standIn.socketConnectionCount).toBe(0);
  });

  it('reconnects after a refresh_requested disconnect frame and keeps delivering', async () => {
    const client = socketClient();
    client.on('interactive', async ({ ack }) => {
      await ack();
    });
    await client.start();

    expect(standIn.sendSocketDisconnect('refresh_requested')).toBe(1);
    await standIn.waitForSocketHello(2);
    expect(standIn.callsTo('apps.connections.open')).toHaveLength(2);

    const ack = await standIn.sendSocketEnvelope('interactive', { type: 'block_actions', actions: [] });
    expect(ack.payload).toEqual({});
    expect(standIn.socketConnectionCount).toBe(1);
  });

  it('reconnects after a warning frame when the server closes the link, and after a dropped socket', async () => {
    const client = socketClient();
    // The SDK emits Events API envelopes under the inner event's type.
    client.on('app_mention', async ({ ack }) => {
      await ack();
    });
    await client.start();

    standIn.sendSocketDisconnect('warning', { closeAfterMs: 50 });
    await standIn.waitForSocketHello(2);
    expect(standIn.dropSocketConnections()).toBe(1);
    await standIn.waitForSocketHello(3);

    const ack = await standIn.sendSocketEnvelope('events_api', {
      type: 'event_callback',
      event_id: 'Ev1',
      event: { type: 'app_mention', text: 'hi' },
    });
    expect(ack.envelope_id).toBeTypeOf('string');
    expect(standIn.callsTo('apps.connections.open')).toHaveLength(3);
  });

  it('delivers an envelope again, with the same id, when its connection closes before the ack', async () => {
    const first = socketClient();
    const seen: string[] = [];
    first.on('interactive', ({ envelope_id }) => {
      seen.push(`first:${envelope_id}`);
      // No ack: this connection goes away with the envelope unanswered.
      void first.disconnect();
    });
    await first.start();
    const second = socketClient();
    second.on('interactive', async ({ envelope_id, ack }) => {
      seen.push(`second:${envelope_id}`);
      await ack();
    });
    await second.start();
    // Envelopes go to the connections in turn; send until the first connection has had one.
    let ack = await standIn.sendSocketEnvelope('interactive', { type: 'block_actions', actions: [] });
    if (!seen.some((entry) => entry.startsWith('first:'))) {
      ack = await standIn.sendSocketEnvelope('interactive', { type: 'block_actions', actions: [] });
    }
    expect(seen.filter((entry) => entry.endsWith(ack.envelope_id))).toEqual([
      `first:${ack.envelope_id}`,
      `second:${ack.envelope_id}`,
    ]);
    expect(standIn.socketRedeliveries).toBe(1);
  });

  it('rejects when the app never acknowledges', async () => {
    const client = socketClient();
    await client.start();
    const started = Date.now();
    await expect(
      standIn.sendSocketEnvelope('slash_commands', slashCommand, { ackTimeoutMs: 300 }),
    ).rejects.toMatchObject({ code: 'sandbox.slack.ack_timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('tells a connection beyond the limit too_many_websockets', async () => {
    const limited = await startSlackStandIn({ maxSocketConnections: 1 });
    try {
      const first = new SocketModeClient({
        appToken: limited.appToken,
        clientPingTimeout: 2000,
        logger: silentLogger,
        clientOptions: { slackApiUrl: limited.apiUrl },
      });
      await first.start();
      stoppers.push(() => first.disconnect());
      const app = new WebClient(limited.appToken, { slackApiUrl: limited.apiUrl, logLevel: LogLevel.ERROR });
      const { url } = await app.apps.connections.open();
      const frame = await new Promise<unknown>((resolve, reject) => {
        const socket = new WebSocket(url as string);
        socket.on('message', (data) => resolve(JSON.parse(String(data))));
        socket.on('error', reject);
      });
      expect(frame).toMatchObject({ type: 'disconnect', reason: 'too_many_websockets' });
      expect(limited.socketConnectionCount).toBe(1);
    } finally {
      await limited.close();
    }
  });

  it('refuses a reused connection ticket', async () => {
    const client = socketClient();
    await client.start();
    const url = openedUrl(0);
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('open', () => reject(new Error('a used ticket opened a second connection')));
      socket.on('error', () => {});
    });
    expect(status).toBe(401);
    expect(standIn.socketConnectionCount).toBe(1);
  });
});

describe('Socket Mode with Bolt 5', () => {
  it('delivers a slash command to a Bolt app and returns its ack; respond() lands in the channel', async () => {
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
    app.command('/ecs-exec', async ({ ack, respond }) => {
      await ack({ text: 'Working on it' });
      await respond({ response_type: 'in_channel', text: 'Done' });
    });
    await app.start();
    stoppers.push(() => app.stop());

    const responseUrl = standIn.createResponseUrl({ channel: 'C1OPS', user: 'U1ALICE' });
    const ack = await standIn.sendSocketEnvelope('slash_commands', { ...slashCommand, response_url: responseUrl });
    expect(ack.payload).toMatchObject({ text: 'Working on it' });
    await standIn.waitForCall('response_url');
    expect(standIn.messages('C1OPS').map((message) => message.text)).toEqual(['Done']);

    standIn.sendSocketDisconnect('refresh_requested');
    await standIn.waitForSocketHello(2);
    const second = await standIn.sendSocketEnvelope('slash_commands', { ...slashCommand, response_url: responseUrl });
    expect(second.payload).toMatchObject({ text: 'Working on it' });
  });
});
