import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBotMetrics } from '../../../src/metrics/bot-metrics.js';
import { createLogger } from '../../../src/output/redacting-logger.js';
import { type SlackStandIn, startSlackStandIn } from '../../../src/sandbox/slack/index.js';
import { type PostToBotOptions, postToBot, slashCommandBody } from '../../../src/sandbox/slack/sign.js';
import { createSlackApp } from '../../../src/slack/app.js';
import { type BotHttpServer, startBotHttpServer } from '../../../src/slack/http-server.js';
import type { SlackHandlers } from '../../../src/slack/listeners/index.js';

const SIGNING_SECRET = 'front-door-signing-secret-0123456789';
const BOT_TOKEN = 'xoxb-111-222-frontdoortokenvalue';

let server: BotHttpServer;
let slackStandIn: SlackStandIn;
let handled: { kind: string; userId: string }[];
let malformed: { typedText: string; why: string; userId: string }[];
let logLines: string[];
let registry: Registry;
/**
 * The receiver's clock: real time, unless a test fixes it at an instant years away from real time, so a request
 * judged by any other clock (Bolt's own check, Date.now()) would be refused and the test would fail.
 */
let fixedNowMs: number | undefined;
const FIXED_NOW_SECONDS = Date.UTC(2031, 4, 6, 7, 8, 9) / 1000;

beforeEach(async () => {
  slackStandIn = await startSlackStandIn({ botToken: BOT_TOKEN });
  handled = [];
  malformed = [];
  fixedNowMs = undefined;
  logLines = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(String(chunk));
        callback();
      },
    }),
  });
  const handlers: SlackHandlers = {
    command: async (command, context) => {
      handled.push({ kind: command.kind, userId: context.userId });
    },
    malformed: async (typedText, why, context) => {
      malformed.push({ typedText, why, userId: context.userId });
    },
    actions: {},
    views: {},
  };
  registry = new Registry();
  const slack = createSlackApp(
    {
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      apiUrl: slackStandIn.apiUrl,
      clock: { now: () => fixedNowMs ?? Date.now() },
    },
    handlers,
    logger,
    createBotMetrics(registry),
  );
  server = await startBotHttpServer({
    host: '127.0.0.1',
    port: 0,
    handleSlackRequest: slack.handleSlackRequest,
    readiness: [],
    metrics: registry,
    logger,
  });
});

afterEach(async () => {
  await server.close();
  await slackStandIn.close();
});

const events = () => `${server.url}/slack/events`;
/** How many requests /metrics says were refused at the door, by reason. */
async function refusedAtTheDoor(): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('ecs_exec_slack_requests_refused_total')?.get();
  return Object.fromEntries((metric?.values ?? []).map(({ labels, value }) => [String(labels['reason']), value]));
}
const command = (text: string) => slashCommandBody({ channel_id: 'C0OPS', user_id: 'U0ALICE', text });

describe('the Slack front door (HTTP receiver)', () => {
  it('answers a signed /ecs-exec help with the usage, privately', async () => {
    const response = await postToBot(events(), SIGNING_SECRET, command('help'));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ response_type: 'ephemeral' });
    expect((response.json as { text: string }).text).toContain('/ecs-exec <cluster>/<service>');
    expect(handled).toEqual([]);
  });

  it('explains a malformed command privately and says how to write it', async () => {
    const response = await postToBot(events(), SIGNING_SECRET, command('prod/api --force -- ls'));
    expect(response.status).toBe(200);
    const body = response.json as { response_type: string; text: string };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toContain('unknown option "--force"');
    expect(body.text).toContain('Try:');
    expect(handled).toEqual([]);
    // Answered by the front door, and still handed on whole so the refusal is audited.
    expect(malformed).toEqual([
      { typedText: 'prod/api --force -- ls', why: 'unknown option "--force"', userId: 'U0ALICE' },
    ]);
  });

  it('hands a well-formed request to the product after acknowledging it', async () => {
    const started = Date.now();
    const response = await postToBot(events(), SIGNING_SECRET, command('prod/api -- uptime'));
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3_000);
    await expect.poll(() => handled).toEqual([{ kind: 'exec', userId: 'U0ALICE' }]);
  });

  it.each<[string, PostToBotOptions & { offsetSeconds?: number }]>([
    ['unsigned', { unsigned: true }],
    [
      'signed with another secret',
      { signature: 'v0=0000000000000000000000000000000000000000000000000000000000000000' },
    ],
    ['a v1 signature', { signature: 'v1=abc' }],
    ['stale by 301 s', { offsetSeconds: -301 }],
    ['301 s in the future', { offsetSeconds: 301 }],
    [
      'with a non-numeric timestamp',
      { unsigned: true, headers: { 'x-slack-request-timestamp': 'yesterday', 'x-slack-signature': 'v0=00' } },
    ],
    [
      'with only a timestamp',
      { unsigned: true, headers: { 'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)) } },
    ],
  ])('refuses a request %s with 401 and does nothing', async (_name, { offsetSeconds, ...options }) => {
    if (offsetSeconds !== undefined) fixedNowMs = FIXED_NOW_SECONDS * 1000;
    const timestamp = offsetSeconds === undefined ? {} : { timestampSeconds: FIXED_NOW_SECONDS + offsetSeconds };
    const response = await postToBot(events(), SIGNING_SECRET, command('prod/api -- uptime'), {
      ...options,
      ...timestamp,
    });
    expect(response.status).toBe(401);
    // Refused before Bolt sees the request, so nothing can still be on its way to a handler.
    expect(handled).toEqual([]);
    const refused = await refusedAtTheDoor();
    expect(Object.values(refused).reduce((sum, count) => sum + count, 0)).toBe(1);
  });

  it('refuses a body changed after signing (one flipped byte)', async () => {
    const body = command('prod/api -- uptime');
    const { signSlackRequest } = await import('../../../src/sandbox/slack/sign.js');
    const signature = signSlackRequest(SIGNING_SECRET, body)['x-slack-signature'];
    const tampered = body.replace('uptime', 'uptimf');
    const response = await postToBot(events(), SIGNING_SECRET, tampered, { signature });
    expect(response.status).toBe(401);
    expect(handled).toEqual([]);
    await expect.poll(refusedAtTheDoor).toEqual({ bad_signature: 1 });
  });

  it.each([-300, -299, 299, 300])('accepts a timestamp %i s from the receiver clock', async (offset) => {
    fixedNowMs = FIXED_NOW_SECONDS * 1000;
    const response = await postToBot(events(), SIGNING_SECRET, command('prod/api -- uptime'), {
      timestampSeconds: FIXED_NOW_SECONDS + offset,
    });
    expect(response.status).toBe(200);
    await expect.poll(() => handled).toEqual([{ kind: 'exec', userId: 'U0ALICE' }]);
  });

  it.each([-301, 301])('refuses a timestamp %i s from the receiver clock', async (offset) => {
    fixedNowMs = FIXED_NOW_SECONDS * 1000;
    const response = await postToBot(events(), SIGNING_SECRET, command('prod/api -- uptime'), {
      timestampSeconds: FIXED_NOW_SECONDS + offset,
    });
    expect(response.status).toBe(401);
    expect(handled).toEqual([]);
    expect(await refusedAtTheDoor()).toEqual({ stale_or_unsigned: 1 });
  });

  it('refuses a signed body over 4 MiB with 413 before handing it on', async () => {
    const body = command(`prod/api -- echo ${'x'.repeat(4 * 1024 * 1024)}`);
    const response = await postToBot(events(), SIGNING_SECRET, body);
    expect(response.status).toBe(413);
    expect(handled).toEqual([]);
  });

  it('counts a request it cannot act on because Slack is unreachable as an outage, not a bad signature', async () => {
    // Bolt asks Slack (auth.test) who the bot is before handing a request to a listener.
    slackStandIn.injectFault({ method: 'auth.test', kind: 'http_error', status: 503, times: Number.POSITIVE_INFINITY });
    const response = await postToBot(events(), SIGNING_SECRET, command('prod/api -- uptime'));
    expect(response.status).toBe(503);
    expect(handled).toEqual([]);
    await expect.poll(refusedAtTheDoor).toEqual({ slack_unavailable: 1 });
  });

  it('verifies the raw bytes: +, %2B, emoji and CRLF survive', async () => {
    const response = await postToBot(events(), SIGNING_SECRET, command('prod/api -- echo a+b %2B 🚀\r\nx'));
    expect(response.status).toBe(200);
    await expect.poll(() => handled.length).toBe(1);
  });

  it('serves liveness and readiness probes', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });

  it('never writes the signing secret or the bot token to the logs', async () => {
    await postToBot(events(), SIGNING_SECRET, command('prod/api -- uptime'), { unsigned: true });
    await postToBot(events(), SIGNING_SECRET, command('help'));
    const logs = logLines.join('');
    expect(logs).not.toContain(SIGNING_SECRET);
    expect(logs).not.toContain(BOT_TOKEN);
  });
});
