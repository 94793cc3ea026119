import { ErrorCode, LogLevel, WebClient, WebClientEvent } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../../src/sandbox/slack/index.js';

let standIn: SlackStandIn;

beforeEach(async () => {
  standIn = await startSlackStandIn({ channels: [{ id: 'C1OPS', name: 'ops' }] });
});

afterEach(async () => {
  await standIn.close();
});

function clientWith(options: ConstructorParameters<typeof WebClient>[1] = {}): WebClient {
  return new WebClient(standIn.botToken, { slackApiUrl: standIn.apiUrl, logLevel: LogLevel.ERROR, ...options });
}

describe('rate limiting', () => {
  it('answers 429 with Retry-After as Slack does', async () => {
    standIn.injectFault({ method: 'chat.postMessage', kind: 'rate_limited', retryAfterSeconds: 7 });
    const response = await fetch(`${standIn.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${standIn.botToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'channel=C1OPS&text=hi',
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toEqual({ ok: false, error: 'ratelimited' });
    expect(standIn.messages('C1OPS')).toHaveLength(0);
  });

  it('makes a WebClient with its default retry policy wait Retry-After, then retry and post once', async () => {
    const fault = standIn.injectFault({ method: 'chat.postMessage', kind: 'rate_limited', retryAfterSeconds: 1 });
    const client = clientWith();
    const rateLimited: number[] = [];
    client.on(WebClientEvent.RATE_LIMITED, (seconds: number) => rateLimited.push(seconds));
    const started = Date.now();
    const result = await client.chat.postMessage({ channel: 'C1OPS', text: 'after the limit' });
    const elapsed = Date.now() - started;

    expect(result.ok).toBe(true);
    expect(rateLimited).toEqual([1]);
    expect(fault.hits).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    const attempts = standIn.callsTo('chat.postMessage');
    expect(attempts.map((call) => call.response.status)).toEqual([429, 200]);
    expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    expect(standIn.messages('C1OPS').map((message) => message.text)).toEqual(['after the limit']);
  });

  it('surfaces the limit as a rate-limited error when the client is told to reject', async () => {
    standIn.injectFault({ method: 'chat.update', kind: 'rate_limited', retryAfterSeconds: 30 });
    const error = await clientWith({ rejectRateLimitedCalls: true })
      .chat.update({ channel: 'C1OPS', ts: '1.000001', text: 'x' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 30 });
  });
});

describe('errors and delays', () => {
  it('surfaces an injected ok:false as a platform error, then behaves again', async () => {
    standIn.injectFault({ method: 'chat.postMessage', kind: 'error', error: 'channel_not_found' });
    const client = clientWith();
    const error = await client.chat.postMessage({ channel: 'C1OPS', text: 'x' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ErrorCode.PlatformError, data: { ok: false, error: 'channel_not_found' } });
    expect(standIn.messages('C1OPS')).toHaveLength(0);

    await client.chat.postMessage({ channel: 'C1OPS', text: 'second try' });
    expect(standIn.messages('C1OPS').map((message) => message.text)).toEqual(['second try']);
  });

  it('hits only calls that match, as many times as asked', async () => {
    const fault = standIn.injectFault({
      method: 'chat.postMessage',
      kind: 'error',
      error: 'msg_blocks_too_long',
      times: 2,
      match: (args) => args['thread_ts'] !== undefined,
    });
    const client = clientWith();
    await client.chat.postMessage({ channel: 'C1OPS', text: 'parent' });
    const replies = await Promise.allSettled(
      [1, 2, 3].map((n) => client.chat.postMessage({ channel: 'C1OPS', thread_ts: '1.000001', text: `reply ${n}` })),
    );
    expect(replies.map((reply) => reply.status).sort()).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(fault.hits).toBe(2);
    expect(fault.remaining).toBe(0);
  });

  it('delays a slow call so a client timeout fires', async () => {
    standIn.injectFault({ method: 'users.info', kind: 'slow', delayMs: 400 });
    standIn.seedUser({ id: 'U1ALICE', name: 'alice' });
    const started = Date.now();
    const result = await clientWith().users.info({ user: 'U1ALICE' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(result.user?.name).toBe('alice');

    standIn.injectFault({ method: 'users.info', kind: 'slow', delayMs: 2000 });
    const timedOut = await clientWith({ timeout: 100, retryConfig: { retries: 0 } })
      .users.info({ user: 'U1ALICE' })
      .catch((caught: unknown) => caught);
    expect(timedOut).toMatchObject({ code: ErrorCode.RequestError });
  });

  it('can apply a call and lose its response, which makes a retrying client post twice', async () => {
    standIn.injectFault({ method: 'chat.postMessage', kind: 'lost_response' });
    const result = await clientWith({ retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 10 } }).chat.postMessage({
      channel: 'C1OPS',
      text: 'exit 0',
    });
    expect(result.ok).toBe(true);
    // The hazard the bot's post-once-then-update design exists for.
    expect(standIn.messages('C1OPS').map((message) => message.text)).toEqual(['exit 0', 'exit 0']);
  });

  it('answers an injected HTTP error status', async () => {
    standIn.injectFault({ method: 'auth.test', kind: 'http_error', status: 503 });
    const error = await clientWith({ retryConfig: { retries: 0 } })
      .auth.test()
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
  });
});

describe("Slack's rate-limit tiers", () => {
  it('answers 429 once a method goes over its tier in a minute, with the wait until a slot frees', async () => {
    let now = 1_700_000_000_000;
    const limited = await startSlackStandIn({ rateLimits: true, clock: { now: () => now } });
    try {
      const call = async (method: string, body: string): Promise<Response> =>
        await fetch(`${limited.apiUrl}${method}`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${limited.botToken}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body,
        });
      const posted = (await (await call('chat.postMessage', 'channel=C1&text=card')).json()) as { ts: string };
      const statuses: number[] = [];
      for (let update = 0; update < 50; update += 1) {
        statuses.push((await call('chat.update', `channel=C1&ts=${posted.ts}&text=tick ${update}`)).status);
        now += 100;
      }
      expect(new Set(statuses)).toEqual(new Set([200]));
      const over = await call('chat.update', `channel=C1&ts=${posted.ts}&text=too fast`);
      expect(over.status).toBe(429);
      expect(over.headers.get('retry-after')).toBe('55');
      expect(limited.message('C1', posted.ts)?.text).toBe('tick 49');

      // Posting is counted per channel: another channel still has room.
      now += 55_000;
      expect((await call('chat.update', `channel=C1&ts=${posted.ts}&text=later`)).status).toBe(200);
      expect((await call('chat.postMessage', 'channel=C2&text=other')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
