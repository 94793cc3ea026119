import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/output/redacting-logger.js';
import { type SlackStandIn, startSlackStandIn } from '../../../src/sandbox/slack/index.js';
import { postToBot, slashCommandBody } from '../../../src/sandbox/slack/sign.js';
import { createSlackApp, type SlackApp } from '../../../src/slack/app.js';
import { type BotHttpServer, startBotHttpServer } from '../../../src/slack/http-server.js';
import type { SlackHandlers } from '../../../src/slack/listeners/index.js';

const SIGNING_SECRET = 'after-ack-signing-secret-0123456789';
const BOT_TOKEN = 'xoxb-111-222-afteracktokenvalue';

let server: BotHttpServer;
let slack: SlackApp;
let slackStandIn: SlackStandIn;
/** The commands whose post-ack work has begun, and those whose work is done, in order. */
let started: string[];
let finished: string[];
let openGate: () => void;

beforeEach(async () => {
  slackStandIn = await startSlackStandIn({ botToken: BOT_TOKEN });
  started = [];
  finished = [];
  const gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
  const logger = createLogger({
    level: 'error',
    destination: new Writable({ write: (_c, _e, callback) => callback() }),
  });
  // Every request's work holds its place until the gate opens, like a slow card or a busy store would.
  const handlers: SlackHandlers = {
    command: async (command) => {
      const text = command.kind === 'exec' ? command.command : command.kind;
      started.push(text);
      await gate;
      finished.push(text);
    },
    malformed: async () => {},
    actions: {},
    views: {},
  };
  slack = createSlackApp(
    {
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      apiUrl: slackStandIn.apiUrl,
      afterAck: { concurrency: 2, longWaitMs: 200 },
    },
    handlers,
    logger,
  );
  server = await startBotHttpServer({
    host: '127.0.0.1',
    port: 0,
    handleSlackRequest: slack.handleSlackRequest,
    logger,
  });
});

afterEach(async () => {
  openGate();
  await server.close();
  await slackStandIn.close();
});

const send = (text: string) =>
  postToBot(
    `${server.url}/slack/events`,
    SIGNING_SECRET,
    slashCommandBody({
      channel_id: 'C0OPS',
      user_id: 'U0ALICE',
      text: `prod/api -- ${text}`,
      response_url: slackStandIn.createResponseUrl({ channel: 'C0OPS', user: 'U0ALICE' }),
    }),
  );

describe('the front door under post-ack work', () => {
  it('acknowledges new requests while earlier requests still do their work, and then does all of it in order', async () => {
    for (const text of ['first', 'second']) expect((await send(text)).status).toBe(200);
    await expect.poll(() => started).toEqual(['first', 'second']);

    // The lane is full: these are acknowledged at once, and their work waits behind the running two.
    const later = Array.from({ length: 6 }, (_, i) => `later-${i}`);
    for (const text of later) expect((await send(text)).status).toBe(200);
    expect(started).toEqual(['first', 'second']);
    expect(finished).toEqual([]);

    openGate();
    await expect.poll(() => finished).toHaveLength(8);
    expect(started).toEqual(['first', 'second', ...later]);
  });

  it('tells someone whose request waits for its turn that it is queued, once', async () => {
    for (const text of ['first', 'second', 'third']) expect((await send(text)).status).toBe(200);
    const queuedNotices = () =>
      slackStandIn.ephemeralsFor('U0ALICE', 'C0OPS').filter((message) => message.text.includes('yours is queued'));
    await expect.poll(queuedNotices).toHaveLength(1);
    expect(started).toEqual(['first', 'second']);

    openGate();
    await expect.poll(() => finished).toEqual(['first', 'second', 'third']);
    expect(queuedNotices()).toHaveLength(1);
  });

  it('stops only once the work of every acknowledged request is done', async () => {
    const texts = ['one', 'two', 'three', 'four'];
    for (const text of texts) expect((await send(text)).status).toBe(200);
    let stopped = false;
    const stopping = slack.stop().then(() => {
      stopped = true;
    });
    await expect.poll(() => started).toEqual(['one', 'two']);
    expect(stopped).toBe(false);

    openGate();
    await stopping;
    expect(finished).toEqual(texts);
  });

  it('refuses new requests with 503 once stopping has begun, so steady traffic cannot hold the drain open', async () => {
    expect((await send('before')).status).toBe(200);
    await expect.poll(() => started).toEqual(['before']);
    const stopping = slack.stop();

    const refused = await send('during');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');

    openGate();
    await stopping;
    expect(finished).toEqual(['before']);
  });
});
