import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { RunningBot } from '../../../src/main.js';
import { type Delivery, SlackUserActions } from '../../../src/sandbox/slack/slack-actions.js';
import type { SocketDisconnectReason } from '../../../src/sandbox/slack/types.js';
import { ALICE, CHANNEL, type FlowFixture, startFlow } from './flow-fixture.js';
import { startSocketReplica } from './socket-replica.js';

let flow: FlowFixture | undefined;
let replica: Promise<RunningBot> | undefined;

afterEach(async () => {
  await (await replica?.catch(() => undefined))?.stop();
  replica = undefined;
  await flow?.stack.stop();
  flow = undefined;
});

const BURST = 500;
/** Envelopes Slack has in flight at once during the burst. */
const IN_FLIGHT = 25;

/** A slash command that does not parse: acked at once with an error, and audited as a rejection (one entry each). */
const unparsable = (index: number): string => `"envelope ${index} has an unclosed quote`;

/** The audited rejections, by the text that was typed. */
async function rejectedTexts(fixture: FlowFixture): Promise<string[]> {
  return (await fixture.auditEntries())
    .filter((entry) => entry.action === 'reject')
    .map((entry) => String(entry.detail['request']));
}

/** How many acks the stand-in received for each envelope id. */
function acksPerEnvelope(fixture: FlowFixture): Map<string, number> {
  const counts = new Map<string, number>();
  for (const frame of fixture.stack.slack.socketFrames) {
    const id = frame['envelope_id'];
    if (typeof id === 'string') counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe('Socket Mode under connection refreshes', () => {
  it.each<[SocketDisconnectReason, number | undefined]>([
    ['refresh_requested', undefined],
    // A warning is followed by Slack closing the connection a little later.
    ['warning', 5_000],
  ])(
    'answers every one of 500 envelopes once when Slack sends %s mid-burst',
    async (reason, closeAfterMs) => {
      flow = await startFlow(inject('redisUrl'), { socketMode: true });
      const fixture = flow;
      const slack = fixture.stack.slack;
      // Slack's 3 s ack deadline is the bot's to meet, but a loaded test machine can stretch an ack past it; what
      // is checked here is that every envelope is answered once, so each one gets a generous deadline.
      const user = new SlackUserActions(slack, { kind: 'socket', ackTimeoutMs: 15_000 });
      const deliveries: Delivery[] = new Array(BURST);
      let next = 0;
      const sender = async (): Promise<void> => {
        while (next < BURST) {
          const index = next;
          next += 1;
          if (index === BURST / 2) {
            expect(slack.sendSocketDisconnect(reason, closeAfterMs === undefined ? {} : { closeAfterMs })).toBe(1);
          }
          deliveries[index] = await user.slashCommand({ user: ALICE, channel: CHANNEL, text: unparsable(index) });
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, sender));

      // Every envelope was answered in time, none was told "dispatch_failed" or "operation_timeout".
      const failed = deliveries.flatMap((delivery, index) =>
        delivery.failure ? [`${index}: ${delivery.failure}`] : [],
      );
      expect(failed).toEqual([]);
      expect(deliveries.every((delivery) => JSON.stringify(delivery.body).includes('close every quote'))).toBe(true);
      // The new connection said hello before the old one closed.
      await expect.poll(() => slack.socketConnectionHistory[0]?.closedAt).toBeDefined();
      const [old, replacement] = slack.socketConnectionHistory;
      expect(old?.disconnectRequestedAt).toBeDefined();
      expect(replacement?.helloAt).toBeLessThanOrEqual(old?.closedAt ?? 0);
      expect(slack.socketConnectionCount).toBe(1);
      // Each envelope was acknowledged exactly once.
      const acks = acksPerEnvelope(fixture);
      expect(acks.size).toBe(BURST);
      expect([...acks.values()].every((count) => count === 1)).toBe(true);
      // Each envelope had exactly one effect: one audited rejection per typed text.
      await expect.poll(async () => (await rejectedTexts(fixture)).length, { timeout: 30_000 }).toBe(BURST);
      const texts = await rejectedTexts(fixture);
      expect(new Set(texts).size).toBe(BURST);
    },
    120_000,
  );

  it('acts once on an envelope delivered again to another replica because its ack was lost with the connection', async () => {
    const prefix = `test:${randomUUID()}:`;
    flow = await startFlow(inject('redisUrl'), { socketMode: true, redisKeyPrefix: prefix });
    const fixture = flow;
    const slack = fixture.stack.slack;
    const other = startSocketReplica(fixture, { redisUrl: inject('redisUrl'), prefix });
    replica = other.started;
    await replica;
    expect(slack.socketConnectionCount).toBe(2);
    const payload = {
      token: 'unused',
      team_id: slack.identity.teamId,
      api_app_id: slack.identity.appId,
      channel_id: CHANNEL,
      user_id: ALICE,
      user_name: 'alice',
      command: '/ecs-exec',
      text: unparsable(1),
      response_url: slack.createResponseUrl({ channel: CHANNEL, user: ALICE }),
      trigger_id: slack.createTriggerId(ALICE),
    };
    // The first replica acts and acks; the ack is lost with its connection, and Slack delivers the envelope again on
    // the connection that remains: the other replica's.
    const ack = await slack.sendSocketEnvelope('slash_commands', payload, { firstAckLost: true, ackTimeoutMs: 10_000 });
    // The second delivery is only acknowledged: the work was done on the first.
    expect(ack.payload).toEqual({});
    expect(slack.socketRedeliveries).toBe(1);
    const logs = () => [...fixture.logs, ...other.lines];
    await expect.poll(() => logs().filter((line) => line.includes('an envelope Slack delivered again')).length).toBe(1);
    await expect.poll(async () => (await rejectedTexts(fixture)).length).toBe(1);
    expect(await rejectedTexts(fixture)).toEqual([unparsable(1)]);
    // The replica that recognised the redelivery is not the one whose connection was cut.
    const said = (lines: string[], text: string) => lines.some((line) => line.includes(text));
    const cut = 'Socket Mode connection closed by Slack or the network';
    const dropped = 'an envelope Slack delivered again';
    expect([said(fixture.logs, cut), said(other.lines, cut)].sort()).toEqual([false, true]);
    expect(said(fixture.logs, dropped)).toBe(said(other.lines, cut));
    // The replica whose connection was cut opened a new one by itself.
    await expect.poll(() => slack.socketConnectionCount).toBe(2);
  }, 60_000);
});
