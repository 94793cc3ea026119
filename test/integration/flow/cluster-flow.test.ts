import { afterEach, describe, expect, inject, it } from 'vitest';
import type { StoredMessage } from '../../../src/sandbox/slack/types.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { ALICE, BOB, CHANNEL, type FlowFixture, MALLORY, startFlow } from './flow-fixture.js';

// The bot as an ElastiCache Serverless user runs it: REDIS_URL names one node, REDIS_CLUSTER=true.
let flow: FlowFixture | undefined;

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
});

const text = (value: unknown): string => JSON.stringify(value);

async function start(): Promise<FlowFixture> {
  return await startFlow(inject('redisClusterUrl'), { redisEnv: { REDIS_CLUSTER: 'true' } });
}

describe('the bot on a three-primary Redis Cluster', () => {
  it('waits for an SRE approval, refuses the requester and an outsider, runs once, and audits it all', async () => {
    flow = await start();
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker --reason "queue stuck" -- echo approved-run');
    const card = structuredClone(await flow.card());
    await flow.stack.click(ALICE, card, ACTION_IDS.approve);
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toMatch(/own request|requested this|cannot approve/i);
    await flow.stack.click(MALLORY, card, ACTION_IDS.approve);
    await expect.poll(() => flow?.ephemerals(MALLORY).join('\n')).toMatch(/only members of|can decide|may approve/i);
    expect(flow.stack.sandbox.sessions).toHaveLength(0);

    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    const status = await flow.finalStatus(card);
    expect(text(status.blocks)).toContain('approved-run');
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    await expect.poll(() => flow?.ephemerals(BOB).join('\n')).toMatch(/already|cannot/i);
    expect(flow.stack.sandbox.sessions).toHaveLength(1);

    const entries = await flow.auditEntries();
    expect(entries.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(['create', 'card', 'approve', 'dispatch', 'running', 'finish']),
    );
    expect(entries.filter((entry) => entry.action === 'approve' && entry.outcome === 'ok')).toHaveLength(1);
  });

  it('stops a running command when its approver presses Stop (pub/sub through the cluster)', async () => {
    flow = await start();
    await flow.stack.slash(ALICE, CHANNEL, "demo/worker --reason 'slow queue' -- sh -c 'echo working; sleep 30'");
    const card = await flow.card();
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    let tail: StoredMessage | undefined;
    await expect
      .poll(
        () => {
          tail = flow?.thread(card).find((message) => text(message.blocks).includes(ACTION_IDS.stop));
          return tail !== undefined && text(tail.blocks).includes('working');
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await flow.stack.click(BOB, tail as StoredMessage, ACTION_IDS.stop);
    const status = await flow.finalStatus(card);
    expect(status.text).toMatch(/cancelled/i);
  });
});
