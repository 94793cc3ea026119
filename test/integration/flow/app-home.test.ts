import { afterEach, describe, expect, inject, it } from 'vitest';
import { homeDecisionValue } from '../../../src/slack/blocks/home-view.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { ALICE, BOB, CHANNEL, type FlowFixture, MALLORY, startFlow } from './flow-fixture.js';

let flow: FlowFixture | undefined;

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
});

const text = (value: unknown): string => JSON.stringify(value);

/** Opens `user`'s Home tab and waits until a view newer than `after` (a hash) is published. */
async function openHome(fixture: FlowFixture, user: string): Promise<string> {
  const before = fixture.stack.slack.homeView(user)?.hash;
  const delivery = await fixture.stack.actions.openHome({ user });
  expect(delivery.status).toBe(200);
  await expect.poll(() => fixture.stack.slack.homeView(user)?.hash).not.toBe(before);
  return text(fixture.stack.slack.homeView(user)?.view['blocks']);
}

/** The Approve button's value on `user`'s Home tab for the request, as the bot published it. */
function approveValue(fixture: FlowFixture, user: string, requestId: string): string | undefined {
  const blocks = (fixture.stack.slack.homeView(user)?.view['blocks'] ?? []) as {
    elements?: { action_id?: string; value?: string }[];
  }[];
  return blocks
    .flatMap((block) => block.elements ?? [])
    .find((element) => element.action_id === ACTION_IDS.homeApprove && element.value?.startsWith(`${requestId} `))
    ?.value;
}

describe('App Home', () => {
  it('lists a waiting request for its approver, who approves it from there: card updated, run, audited, Home refreshed', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker --reason "queue stuck" -- echo from-home');
    const card = await flow.card();
    const requestId = /ecs-exec (\S+) by/.exec(card.text)?.[1] ?? '';
    expect(requestId).not.toBe('');

    // The requester sees the request among their own, with no button to approve it.
    const alicesHome = await openHome(flow, ALICE);
    // Linked to its card, whose thread will have the output.
    expect(alicesHome).toContain(`/archives/${CHANNEL}/p${card.ts.replace('.', '')}|${requestId}>`);
    expect(approveValue(flow, ALICE, requestId)).toBeUndefined();
    expect(alicesHome).toContain('greet');

    // Someone in no approver group sees nothing to approve.
    await openHome(flow, MALLORY);
    expect(approveValue(flow, MALLORY, requestId)).toBeUndefined();

    const bobsHome = await openHome(flow, BOB);
    expect(bobsHome).toContain('queue stuck');
    const value = approveValue(flow, BOB, requestId);
    expect(value).toBeDefined();
    const hashBefore = flow.stack.slack.homeView(BOB)?.hash;

    await flow.stack.actions.clickHomeButton({ user: BOB, actionId: ACTION_IDS.homeApprove, value: value as string });
    const status = await flow.finalStatus(card);
    expect(status.text).toMatch(/exit 0/);
    expect(text(status.blocks)).toContain('from-home');
    expect(flow.stack.sandbox.sessions).toHaveLength(1);
    await expect
      .poll(() => text(flow?.stack.slack.message(CHANNEL, card.ts)?.blocks))
      .not.toContain(ACTION_IDS.approve);
    expect(text(flow.stack.slack.message(CHANNEL, card.ts)?.blocks)).toContain(`<@${BOB}>`);

    const approval = (await flow.auditEntries()).find((entry) => entry.action === 'approve' && entry.outcome === 'ok');
    expect(approval).toMatchObject({ requestId, actor: BOB });
    expect(approval?.detail).toMatchObject({ origin: 'home' });

    // The Home view was published again, without the request waiting.
    await expect.poll(() => flow?.stack.slack.homeView(BOB)?.hash).not.toBe(hashBefore);
    expect(approveValue(flow, BOB, requestId)).toBeUndefined();
  });

  it('refuses a forged Home click and a Home button sent from a message; nothing runs', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker -- echo never');
    const card = await flow.card();
    const requestId = /ecs-exec (\S+) by/.exec(card.text)?.[1] ?? '';
    await openHome(flow, BOB);
    const value = approveValue(flow, BOB, requestId) as string;

    // Mallory's own Home tab, with Bob's button value forged into the click: she is no approver.
    await openHome(flow, MALLORY);
    const before = flow.stack.slack.homeView(MALLORY)?.hash;
    await flow.stack.actions.clickHomeButton({ user: MALLORY, actionId: ACTION_IDS.homeApprove, value });
    await expect.poll(() => flow?.stack.slack.homeView(MALLORY)?.hash).not.toBe(before);
    expect(text(flow.stack.slack.homeView(MALLORY)?.view['blocks'])).toMatch(/only members of|can decide|may approve/i);

    // A value with a binding the Home never showed is refused by the binding check.
    const forged = homeDecisionValue(requestId, 'f'.repeat(64));
    await flow.stack.actions.clickHomeButton({ user: BOB, actionId: ACTION_IDS.homeApprove, value: forged });
    await expect
      .poll(() => text(flow?.stack.slack.homeView(BOB)?.view['blocks']))
      .toMatch(/changed|binding|no longer/i);

    // The Home button's action on a channel message is not a Home click.
    await flow.stack.actions.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: card.ts,
      actionId: ACTION_IDS.homeApprove,
      value,
    });
    await expect.poll(() => flow?.ephemerals(BOB).join('\n')).toMatch(/only works on your Home tab/);

    const entries = await flow.auditEntries();
    expect(entries.filter((entry) => entry.action === 'approve' && entry.outcome === 'ok')).toHaveLength(0);
    expect(entries.filter((entry) => entry.action === 'approve').map((entry) => entry.detail['origin'])).toEqual([
      'home',
      'home',
    ]);
    expect(flow.stack.sandbox.sessions).toHaveLength(0);
  });

  it("runs a runbook from the Home tab: its form opens and the request goes to the person's channel", async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo first');
    const first = await flow.card();
    await flow.finalStatus(first);
    await openHome(flow, ALICE);
    await flow.stack.actions.clickHomeButton({ user: ALICE, actionId: ACTION_IDS.homeRunbook, value: 'greet' });
    await expect.poll(() => flow?.stack.slack.views({ user: ALICE, openOnly: true }).length).toBe(1);
    const [form] = flow.stack.slack.views({ user: ALICE, openOnly: true });
    await flow.stack.submitView(ALICE, form?.id ?? '', { param_name: 'Home' });
    await expect.poll(async () => (await flow?.card())?.ts).not.toBe(first.ts);
    const card = await flow.card();
    expect((await flow.finalStatus(card)).text).toMatch(/exit 0/);
    expect(text(flow.thread(card).map((message) => message.blocks))).toContain('hello Home');
  });

  it('publishes the Home tab when opened over Socket Mode too', async () => {
    flow = await startFlow(inject('redisUrl'), { socketMode: true });
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker -- echo socket');
    await flow.card();
    expect(await openHome(flow, BOB)).toContain(ACTION_IDS.homeApprove);
  });
});
