import { afterEach, describe, expect, inject, it } from 'vitest';
import { ALICE, BOB, CHANNEL, type FlowFixture, startFlow } from './flow-fixture.js';

let flow: FlowFixture | undefined;

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
});

/** One ECS read every two seconds, no burst: the second read of a request has to queue. */
const SLOW_READS = { execute: { perSecond: 2, burst: 10 }, read: { perSecond: 0.5, burst: 1 } };

const cards = (fixture: FlowFixture) =>
  fixture.stack.slack.messages(CHANNEL).filter((message) => message.source === 'chat.postMessage');
const responseUrlPosts = (fixture: FlowFixture) => fixture.stack.slack.callsTo('response_url');

async function budgetMetric(fixture: FlowFixture, name: string): Promise<string[]> {
  const text = await (await fetch(`${fixture.stack.bot.url}/metrics`)).text();
  return text.split('\n').filter((line) => line.startsWith(name));
}

describe('a request that has to wait for the ECS budget is told so', () => {
  it('says within 3 s that the request is queued and about how long, then posts its card', async () => {
    flow = await startFlow(inject('redisUrl'), { engine: { budget: { rates: SLOW_READS, maxWaitMs: 30_000 } } });
    const sentAt = Date.now();
    const delivery = await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo waits');
    expect(delivery.failure).toBeUndefined();

    await expect.poll(() => flow?.ephemerals(ALICE).join('\n'), { timeout: 5_000 }).toMatch(/queued/);
    const notice = responseUrlPosts(flow).find((call) => JSON.stringify(call.args).includes('queued'));
    expect(notice?.at).toBeDefined();
    expect((notice?.at ?? Number.POSITIVE_INFINITY) - sentAt).toBeLessThan(3_000);
    expect(flow.ephemerals(ALICE).join('\n')).toMatch(/about \d+ s/);

    await expect.poll(() => cards(flow as FlowFixture).length, { timeout: 10_000 }).toBe(1);
    // Told once, and nothing else went to the requester privately.
    expect(flow.ephemerals(ALICE).filter((text) => /queued/.test(text))).toHaveLength(1);
    // The wait shows on /metrics: at least the second or so the request was queued.
    const [sum] = await budgetMetric(flow, 'ecs_exec_ecs_budget_wait_seconds_sum{class="read"}');
    expect(Number(sum?.split(' ')[1])).toBeGreaterThanOrEqual(1);
  });

  it('refuses with a clear message only when the queue is full', async () => {
    // A queue of at most one second: the second read of the first request would wait two.
    flow = await startFlow(inject('redisUrl'), { engine: { budget: { rates: SLOW_READS, maxWaitMs: 1_000 } } });
    await flow.stack.slash(BOB, CHANNEL, 'demo/web -- echo refused');
    await expect
      .poll(() => flow?.ephemerals(BOB).join('\n'), { timeout: 5_000 })
      .toMatch(/queue for ECS requests is full .*Nothing was run/);
    expect(cards(flow)).toHaveLength(0);
    expect(await budgetMetric(flow, 'ecs_exec_ecs_budget_refused_total')).toEqual([
      'ecs_exec_ecs_budget_refused_total{class="read"} 1',
    ]);
  });
});
