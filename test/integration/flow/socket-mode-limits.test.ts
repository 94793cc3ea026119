import { randomUUID } from 'node:crypto';
import { SocketModeClient } from '@slack/socket-mode';
import { LogLevel, type Logger as SlackLogger } from '@slack/web-api';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { RunningBot } from '../../../src/main.js';
import { ALICE, CHANNEL, type FlowFixture, startFlow } from './flow-fixture.js';
import { startSocketReplica } from './socket-replica.js';

let flow: FlowFixture | undefined;
const others: SocketModeClient[] = [];
let late: Promise<RunningBot> | undefined;

afterEach(async () => {
  // Free every slot so a replica still waiting for one can connect, and stop it.
  await Promise.all(others.splice(0).map((client) => client.disconnect()));
  const bot = await late?.catch(() => undefined);
  await bot?.stop();
  late = undefined;
  await flow?.stack.stop();
  flow = undefined;
});

const silent: SlackLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

/** Slack's limit of Socket Mode connections per app. */
const SLACK_LIMIT = 10;
/** The bot's default backoff: 1 s after the first refusal, doubling (with up to half of each wait taken off). */
const FIRST_STEP_MS = 1_000;

describe('Socket Mode when all of the app’s connections are taken', () => {
  it('backs off with jitter, alerts, and the connections that remain keep processing', async () => {
    flow = await startFlow(inject('redisUrl'), { socketMode: true });
    const fixture = flow;
    const slack = fixture.stack.slack;
    // Nine more connections of the same app (other replicas) fill Slack's limit; they acknowledge what they get.
    let ackedByOthers = 0;
    for (let index = 1; index < SLACK_LIMIT; index += 1) {
      const client = new SocketModeClient({
        appToken: slack.appToken,
        logger: silent,
        clientOptions: { slackApiUrl: slack.apiUrl },
      });
      client.on('slash_commands', async ({ ack }) => {
        ackedByOthers += 1;
        await ack();
      });
      await client.start();
      others.push(client);
    }
    expect(slack.socketConnectionCount).toBe(SLACK_LIMIT);

    // One more replica of the bot starts and is refused.
    const opensBefore = slack.callsTo('apps.connections.open').length;
    const replica = startSocketReplica(fixture, { redisUrl: inject('redisUrl'), prefix: `test:${randomUUID()}:` });
    late = replica.started;
    const lines = replica.lines;
    const alerts = () => lines.filter((line) => line.includes('ALERT: Slack refused a Socket Mode connection'));
    await expect.poll(() => alerts().length, { timeout: 60_000, interval: 100 }).toBeGreaterThanOrEqual(4);
    expect(JSON.parse(alerts()[0] as string)).toMatchObject({ level: 50, reason: 'too_many_websockets' });

    // No stampede: attempt n+1 comes at least half of 1 s * 2^(n-1) after attempt n (load only adds to that).
    const attempts = slack
      .callsTo('apps.connections.open')
      .slice(opensBefore)
      .map((call) => call.at);
    const gaps = attempts.slice(1, 4).map((at, index) => at - (attempts[index] as number));
    expect(gaps).toHaveLength(3);
    gaps.forEach((gap, index) => {
      expect(gap).toBeGreaterThanOrEqual((FIRST_STEP_MS * 2 ** index) / 2 - 5);
    });
    // The waits grow instead of repeating one fixed period.
    expect(gaps[2]).toBeGreaterThan(gaps[0] as number);
    expect(slack.socketRefusals).toBeGreaterThanOrEqual(4);
    expect(slack.socketConnectionCount).toBe(SLACK_LIMIT);

    // Meanwhile every envelope goes to a connection that remains, and is processed there.
    const texts = Array.from({ length: 30 }, (_, index) => `"while refused ${index}`);
    for (const text of texts) {
      const delivery = await fixture.stack.slash(ALICE, CHANNEL, text);
      expect(delivery.failure).toBeUndefined();
    }
    const rejected = async () =>
      (await fixture.auditEntries())
        .filter((entry) => entry.action === 'reject')
        .map((entry) => entry.detail['request']);
    await expect.poll(async () => (await rejected()).length).toBe(texts.length - ackedByOthers);
    expect(ackedByOthers).toBeGreaterThan(0);

    // A slot frees up: the late replica takes it on its next attempt, and counted every refusal.
    await others.pop()?.disconnect();
    const bot = await late;
    expect(slack.socketConnectionCount).toBe(SLACK_LIMIT);
    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    const refused = /ecs_exec_socket_mode_connection_failures_total\{reason="too_many_websockets"\} (\d+)/.exec(
      metrics,
    );
    expect(Number(refused?.[1])).toBe(alerts().length);
    expect(metrics).toMatch(/^ecs_exec_socket_mode_connections 1$/m);
  }, 120_000);

  it('keeps serving on the old connection while Slack refuses its replacement, and hands over when it can', async () => {
    flow = await startFlow(inject('redisUrl'), { socketMode: true });
    const fixture = flow;
    const slack = fixture.stack.slack;
    // Slack asks for a refresh while it cannot give the app another connection: apps.connections.open says so twice.
    const refusal = slack.injectFault({
      method: 'apps.connections.open',
      kind: 'error',
      error: 'too_many_websockets',
      times: 2,
    });
    expect(slack.sendSocketDisconnect('refresh_requested')).toBe(1);
    const alerts = () => fixture.logs.filter((line) => line.includes('ALERT: Slack refused a Socket Mode connection'));
    await expect.poll(() => alerts().length).toBeGreaterThanOrEqual(1);
    // The connection Slack asked to replace still serves meanwhile.
    const during = await fixture.stack.slash(ALICE, CHANNEL, '"during the refusal');
    expect(during.failure).toBeUndefined();
    // The third attempt gets a connection; the old one is closed after it said hello.
    await slack.waitForSocketHello(2, 30_000);
    await expect.poll(() => slack.socketConnectionHistory[0]?.closedAt).toBeDefined();
    const [old, replacement] = slack.socketConnectionHistory;
    expect(replacement?.helloAt).toBeLessThanOrEqual(old?.closedAt ?? 0);
    expect(refusal.hits).toBe(2);
    expect(alerts()).toHaveLength(2);
    const after = await fixture.stack.slash(ALICE, CHANNEL, '"after the handover');
    expect(after.failure).toBeUndefined();
    await expect
      .poll(async () => (await fixture.auditEntries()).filter((entry) => entry.action === 'reject').length)
      .toBe(2);
  }, 60_000);
});
