import { afterEach, describe, expect, inject, it } from 'vitest';
import { ALICE, CHANNEL, type FlowFixture, startFlow } from '../flow/flow-fixture.js';

let flow: FlowFixture | undefined;

afterEach(async () => {
  flow?.stack.slack.clearFaults();
  flow?.stack.sandbox.faults.api.clear();
  await flow?.stack.stop();
  flow = undefined;
});

const authTests = (fixture: FlowFixture): number => fixture.stack.slack.callsTo('auth.test').length;
const cards = (fixture: FlowFixture) =>
  fixture.stack.slack.messages(CHANNEL).filter((message) => message.source === 'chat.postMessage');

describe("the bot's identity is asked of Slack once, not before every request", () => {
  it('calls auth.test once at start and never again for a series of requests', async () => {
    flow = await startFlow(inject('redisUrl'));
    await expect.poll(() => authTests(flow as FlowFixture)).toBe(1);
    for (let i = 0; i < 5; i += 1) {
      const delivery = await flow.stack.slash(ALICE, CHANNEL, `demo/web -- echo identity-${i}`);
      expect(delivery.failure).toBeUndefined();
    }
    await expect.poll(() => cards(flow as FlowFixture).length, { timeout: 10_000 }).toBe(5);
    expect(authTests(flow)).toBe(1);
  });

  it('acknowledges while Slack holds every call: no Slack call comes before the ack', async () => {
    flow = await startFlow(inject('redisUrl'));
    await expect.poll(() => authTests(flow as FlowFixture)).toBe(1);
    const slackCallsBefore = flow.stack.slack.calls.length;
    // Held far beyond Slack's 3 s ack deadline: an ack that waited for any Slack call would time out.
    flow.stack.slack.injectFault({ method: '*', kind: 'slow', delayMs: 60_000, times: Number.POSITIVE_INFINITY });

    const delivery = await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo held');

    expect(delivery).toMatchObject({ status: 200 });
    expect(delivery.failure).toBeUndefined();
    // The stand-in records a call when it answers, and it has answered nothing since.
    expect(flow.stack.slack.calls.length).toBe(slackCallsBefore);
  });

  it('acknowledges while ECS holds every read: no ECS call comes before the ack', async () => {
    flow = await startFlow(inject('redisUrl'));
    // Longer than Slack's 3 s ack deadline, short enough for the stop at the end to wait it out.
    flow.stack.sandbox.faults.api.delay('ecs:ListTasks', 4_000);
    flow.stack.sandbox.faults.api.delay('ecs:DescribeTasks', 4_000);

    const delivery = await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo held');

    expect(delivery).toMatchObject({ status: 200 });
    expect(delivery.failure).toBeUndefined();
    // The request did go on to ECS after its ack, and is still waiting there.
    await expect.poll(() => flow?.stack.sandbox.calls.some((call) => call.operation === 'ListTasks')).toBe(true);
    expect(cards(flow)).toHaveLength(0);
  });

  it('asks Slack again when a call is refused with invalid_auth', async () => {
    flow = await startFlow(inject('redisUrl'));
    await expect.poll(() => authTests(flow as FlowFixture)).toBe(1);
    flow.stack.slack.injectFault({ method: 'chat.postMessage', kind: 'error', error: 'invalid_auth' });
    await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo refused');
    await expect.poll(() => authTests(flow as FlowFixture)).toBe(2);
  });
});
