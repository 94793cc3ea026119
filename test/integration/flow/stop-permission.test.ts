import { afterEach, describe, expect, inject, it } from 'vitest';
import type { StoredMessage } from '../../../src/sandbox/slack/types.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { ALICE, BOB, CHANNEL, FLOW_CONFIG, type FlowFixture, MALLORY, startFlow } from './flow-fixture.js';

const CAROL = 'U0CAROL'; // admin: in no rule, but may stop any run

const CONFIG = FLOW_CONFIG.replace('  devs: {', `  leads: { users: [${CAROL}] }\n  devs: {`).replace(
  'rules:',
  'admins: [leads]\nrules:',
);

let flow: FlowFixture | undefined;

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
});

const text = (value: unknown): string => JSON.stringify(value);

async function start(): Promise<FlowFixture> {
  return await startFlow(inject('redisUrl'), {
    configYaml: CONFIG,
    slack: {
      users: [
        { id: ALICE, name: 'alice' },
        { id: BOB, name: 'bob' },
        { id: MALLORY, name: 'mallory' },
        { id: CAROL, name: 'carol' },
      ],
      usergroups: [{ id: 'S0SRE', handle: 'sre', users: [BOB] }],
    },
  });
}

/** Waits for the live tail under the card to show `marker` and returns it (with its Stop button). */
async function liveTail(fixture: FlowFixture, card: StoredMessage, marker: string): Promise<StoredMessage> {
  let tail: StoredMessage | undefined;
  await expect
    .poll(
      () => {
        tail = fixture.thread(card).find((message) => text(message.blocks).includes(ACTION_IDS.stop));
        return tail !== undefined && text(tail.blocks).includes(marker);
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  return tail as StoredMessage;
}

describe('who may stop a run', () => {
  it('tells someone else who can stop it, lets an admin stop it, and audits both', async () => {
    flow = await start();
    await flow.stack.slash(ALICE, CHANNEL, "demo/web -- sh -c 'echo started; sleep 30'");
    const card = await flow.card();
    const tail = await liveTail(flow, card, 'started');

    await flow.stack.click(MALLORY, tail, ACTION_IDS.stop);
    await expect
      .poll(() => flow?.ephemerals(MALLORY).join('\n'))
      .toContain(`Only the requester (<@${ALICE}>) or an admin (leads) can stop`);
    expect(flow.thread(card).some((message) => /cancelled/.test(message.text))).toBe(false);

    await flow.stack.click(CAROL, tail, ACTION_IDS.stop);
    const status = await flow.finalStatus(card);
    expect(status.text).toMatch(/cancelled/i);

    const stops = (await flow.auditEntries()).filter((entry) => entry.action === 'stop');
    expect(stops.map(({ actor, outcome, detail }) => ({ actor, outcome, detail }))).toEqual([
      { actor: MALLORY, outcome: 'refused', detail: { why: 'not the requester, an approver or an admin' } },
      { actor: CAROL, outcome: 'ok', detail: { as: 'admin' } },
    ]);
  });

  it('lets an approver of the rule stop a run they approved', async () => {
    flow = await start();
    await flow.stack.slash(ALICE, CHANNEL, "demo/worker --reason 'slow queue' -- sh -c 'echo working; sleep 30'");
    const card = await flow.card();
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    const tail = await liveTail(flow, card, 'working');
    await flow.stack.click(BOB, tail, ACTION_IDS.stop);
    const status = await flow.finalStatus(card);
    expect(status.text).toMatch(/cancelled/i);
    const stops = (await flow.auditEntries()).filter((entry) => entry.action === 'stop');
    expect(stops.map(({ actor, outcome, detail }) => ({ actor, outcome, detail }))).toEqual([
      { actor: BOB, outcome: 'ok', detail: { as: 'approver' } },
    ]);
  });
});
