import { afterEach, describe, expect, inject, it } from 'vitest';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { startRedisServer } from '../../setup/redis.global-setup.js';
import { ALICE, BOB, CHANNEL, FLOW_CONFIG, type FlowFixture, MALLORY, startFlow } from './flow-fixture.js';

let flow: FlowFixture | undefined;

// Stopping waits for every run's last Slack writes (the card refresh, the live tail's end); under Slack's real
// rate limits those can queue for a minute after the final statuses are in.
afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
}, 120_000);

const text = (value: unknown): string => JSON.stringify(value);
const FINAL = /exit \d+|timed out|cancelled|interrupted|could not run/i;

describe('output people can read', () => {
  it('drops colours and cursor codes and collapses a carriage-return progress bar to its last state', async () => {
    flow = await startFlow(inject('redisUrl'));
    const script = `printf "\\033[31mred alert\\033[0m\\n"; for p in 10 50 100; do printf "\\rprogress %s%%" $p; done; printf "\\n\\033[2Kdone\\n"`;
    await flow.stack.slash(ALICE, CHANNEL, `demo/web -- sh -c '${script}'`);
    const status = await flow.finalStatus(await flow.card());
    const shown = text(status.blocks);
    expect(shown).toContain('red alert');
    expect(shown).toContain('progress 100%');
    expect(shown).not.toContain('progress 10%');
    expect(shown).not.toMatch(/\\u001b|\[31m/);
  });
});

describe('runs that do not end well still end visibly', () => {
  it('ends the run as interrupted when the agent vanishes, saying the command may still run', async () => {
    flow = await startFlow(inject('redisUrl'), {
      engine: { sessionOptions: { pauseTimeoutMs: 1_500, silenceTimeoutMs: 1_500, watchdogIntervalMs: 200 } },
    });
    flow.stack.sandbox.faults.agent.forNextSession({ pausePublicationAfterFrames: 1 });
    await flow.stack.slash(ALICE, CHANNEL, "demo/web -- sh -c 'echo first; sleep 1; echo second; sleep 20'");
    const status = await flow.finalStatus(await flow.card(), 20_000);
    expect(status.text).toMatch(/interrupted/i);
    expect(status.text).toMatch(/may still be running/i);
  });

  it('delivers one final status per run for 20 runs at once under Slack rate limits and random 429s', async () => {
    // Slack's real per-minute budgets, and the production live-tail delay: quick runs post a card and a result.
    flow = await startFlow(inject('redisUrl'), {
      slack: { rateLimits: true },
      tuning: { liveTailIntervalMs: 1_500, liveTailDelayMs: 2_000, expirySweepIntervalMs: 0 },
    });
    let calls = 0;
    flow.stack.slack.injectFault({
      method: '*',
      times: 40,
      kind: 'rate_limited',
      retryAfterSeconds: 1,
      // Every third chat write is refused once: deterministic, and spread over posts and updates.
      match: (args) => typeof args['channel'] === 'string' && ++calls % 3 === 0,
    });
    const runs = 20;
    await Promise.all(
      Array.from({ length: runs }, (_, i) => flow?.stack.slash(ALICE, CHANNEL, `demo/web -- echo run-${i}`)),
    );
    const cards = () =>
      flow?.stack.slack.messages(CHANNEL).filter((m) => !m.thread_ts && m.source === 'chat.postMessage') ?? [];
    // Ceilings for a loaded machine: 20 runs at Slack's real pace take well under a minute on an idle one.
    await expect.poll(() => cards().length, { timeout: 150_000 }).toBe(runs);
    await expect
      .poll(() => cards().filter((card) => flow?.thread(card).some((reply) => FINAL.test(reply.text))).length, {
        timeout: 150_000,
        interval: 250,
      })
      .toBe(runs);
    for (const card of cards()) {
      const finals = flow.thread(card).filter((reply) => FINAL.test(reply.text));
      expect(finals, `final statuses under ${card.ts}`).toHaveLength(1);
    }
    const outputs = cards().map((card) => text(flow?.thread(card).map((reply) => reply.blocks)));
    for (let i = 0; i < runs; i += 1) {
      const matching = outputs.filter((o) => new RegExp(`run-${i}(?!\\d)`).test(o));
      expect(matching, `the output of run-${i} is in exactly one thread`).toHaveLength(1);
    }
  }, 330_000);

  it('never posts a result twice when Slack posts it but the answer is lost', async () => {
    flow = await startFlow(inject('redisUrl'));
    flow.stack.slack.injectFault({
      method: 'chat.postMessage',
      kind: 'lost_response',
      match: (args) => typeof args['thread_ts'] === 'string',
    });
    await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo once');
    const card = await flow.card();
    await expect.poll(() => flow?.thread(card).filter((reply) => FINAL.test(reply.text)).length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(flow.thread(card).filter((reply) => FINAL.test(reply.text))).toHaveLength(1);
  });
});

describe('shutting down', () => {
  it('lets a running command finish within the grace period and posts its result', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, "demo/web -- sh -c 'sleep 1; echo finished-during-shutdown'");
    const card = await flow.card();
    await expect.poll(() => flow?.stack.sandbox.sessions.length).toBe(1);
    await flow.stack.bot.stop(10_000);
    const status = await flow.finalStatus(card);
    expect(status.text).toMatch(/exit 0/);
    expect(text(status.blocks)).toContain('finished-during-shutdown');
  });
});

describe('approvals over time', () => {
  it('expires a request nobody approved, updates its card and refuses a late click', async () => {
    const config = FLOW_CONFIG.replace('ttl: 10m', 'ttl: 1s');
    flow = await startFlow(inject('redisUrl'), {
      configYaml: config,
      tuning: { liveTailIntervalMs: 1_000, liveTailDelayMs: 300, expirySweepIntervalMs: 200 },
    });
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker -- echo too-late');
    const card = structuredClone(await flow.card());
    await expect
      .poll(() => text(flow?.stack.slack.message(CHANNEL, card.ts)?.blocks), { timeout: 10_000 })
      .toMatch(/[Ee]xpired/);
    expect(text(flow.stack.slack.message(CHANNEL, card.ts)?.blocks)).not.toContain(ACTION_IDS.approve);
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    await expect.poll(() => flow?.ephemerals(BOB).join('\n')).toMatch(/expired/i);
    expect(flow.stack.sandbox.sessions).toHaveLength(0);
  });

  it('runs with --break-glass only with a reason, and says so loudly on the card', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker --break-glass -- echo urgent');
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toMatch(/needs a reason/);
    expect(flow.stack.sandbox.sessions).toHaveLength(0);
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker --break-glass --reason "site down" -- echo urgent');
    const card = await flow.card();
    const status = await flow.finalStatus(card);
    expect(text(status.blocks)).toContain('urgent');
    expect(text(flow.stack.slack.message(CHANNEL, card.ts)?.blocks)).toMatch(/BREAK-GLASS/);
    expect(text(flow.stack.slack.message(CHANNEL, card.ts)?.blocks)).toContain('site down');
    const audit = () => flow?.stack.slack.messages('C0AUDIT').map((message) => message.text) ?? [];
    await expect.poll(() => audit().join('\n')).toMatch(/BREAK-GLASS\* r-[a-z0-9]+ by <@U0ALICE>.*site down/);
    // The run's end is the bot's step: its exit code, and no replica named as if it were a person.
    await expect.poll(() => audit().join('\n')).toMatch(/finished r-[a-z0-9]+ \(succeeded, exit 0\)$/m);
  });

  it('lets the requester cancel a pending request, and shows it in status and history', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker -- echo maybe');
    const card = await flow.card();
    const id = /r-[a-z0-9]+/.exec(text(card.blocks))?.[0] as string;
    expect(id).toBeDefined();
    await flow.stack.slash(ALICE, CHANNEL, `status ${id}`);
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toMatch(/waiting for approval/);
    await flow.stack.slash(ALICE, CHANNEL, `cancel ${id}`);
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toMatch(/is cancelled/);
    await expect
      .poll(() => text(flow?.stack.slack.message(CHANNEL, card.ts)?.blocks))
      .not.toContain(ACTION_IDS.approve);
    // Someone else, elsewhere, cannot read it (A4: authorization on every read path).
    await flow.stack.slash(MALLORY, 'C0ELSEWHERE', `status ${id}`);
    await expect
      .poll(() =>
        flow?.stack.slack
          .ephemeralsFor(MALLORY, 'C0ELSEWHERE')
          .map((e) => e.text)
          .join('\n'),
      )
      .toMatch(/no request .* that you can see here/);
    await flow.stack.slash(ALICE, CHANNEL, 'history 5');
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toMatch(new RegExp(`${id}.*cancelled`));
    expect(flow.stack.sandbox.sessions).toHaveLength(0);
  });

  it('explains a decision and lists runbooks without running anything', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, 'explain demo/worker -- uptime');
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toMatch(/worker-needs-sre[\s\S]*Nothing was run/);
    await flow.stack.slash(ALICE, CHANNEL, 'runbooks');
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toMatch(/run greet/);
    expect(flow.stack.sandbox.sessions).toHaveLength(0);
  });
});

describe('when the response_url is used up', () => {
  it('still answers privately, through chat.postEphemeral', async () => {
    flow = await startFlow(inject('redisUrl'));
    flow.stack.slack.injectFault({
      method: 'response_url',
      kind: 'http_error',
      status: 404,
      times: Number.POSITIVE_INFINITY,
    });
    await flow.stack.slash(ALICE, CHANNEL, 'explain demo/web -- uptime');
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toMatch(/Allowed[\s\S]*Nothing was run/);
    expect(flow.stack.slack.callsTo('chat.postEphemeral').length).toBeGreaterThan(0);
  });
});

describe('when Redis is down', () => {
  it('answers within a second that nothing ran, and leaves no half-made request', async () => {
    const redis = await startRedisServer();
    try {
      flow = await startFlow(redis.url);
      redis.process.kill('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      const delivery = await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo hello');
      expect(delivery.failure).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(1_000);
      await expect.poll(() => flow?.ephemerals(ALICE).join('\n'), { timeout: 5_000 }).toMatch(/nothing (was )?run/i);
      expect(flow.stack.slack.messages(CHANNEL).filter((m) => m.source === 'chat.postMessage')).toHaveLength(0);
      expect(flow.stack.sandbox.sessions).toHaveLength(0);
    } finally {
      redis.process.kill('SIGKILL');
    }
  });
});
