import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Delivery } from '../../../src/sandbox/slack/slack-actions.js';
import { ALICE, CHANNEL, type FlowFixture, startFlow } from './flow-fixture.js';

let flow: FlowFixture | undefined;

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
});

const BURST = 500;
/** Envelopes Slack has in flight at once during the burst. */
const IN_FLIGHT = 25;

/** A slash command that does not parse: acked at once with an error, and audited as a rejection (one entry each). */
const unparsable = (index: number): string => `"envelope ${index} has an unclosed quote`;

describe('Socket Mode under connection refreshes', () => {
  it('answers every one of 500 envelopes once when Slack asks for a refresh mid-burst', async () => {
    flow = await startFlow(inject('redisUrl'), { socketMode: true });
    const fixture = flow;
    const deliveries: Delivery[] = new Array(BURST);
    let next = 0;
    let refreshed = false;
    const sender = async (): Promise<void> => {
      while (next < BURST) {
        const index = next;
        next += 1;
        if (!refreshed && index === BURST / 2) {
          refreshed = true;
          expect(fixture.stack.slack.sendSocketDisconnect('refresh_requested')).toBe(1);
        }
        deliveries[index] = await fixture.stack.slash(ALICE, CHANNEL, unparsable(index));
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, sender));

    const failed = deliveries.flatMap((delivery, index) => (delivery.failure ? [`${index}: ${delivery.failure}`] : []));
    expect(failed).toEqual([]);
    // A second connection was opened for the refresh.
    expect(fixture.stack.slack.socketHelloCount).toBeGreaterThanOrEqual(2);
    // Each envelope produced exactly one effect: one audited rejection per typed text.
    await expect
      .poll(async () => (await fixture.auditEntries()).filter((entry) => entry.action === 'reject').length, {
        timeout: 30_000,
      })
      .toBe(BURST);
  }, 120_000);
});
