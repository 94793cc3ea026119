import { afterEach, describe, expect, inject, it } from 'vitest';
import { MAX_COMMAND_CHARS } from '../../../src/slack/parse-command.js';
import { CHANNEL, FLOW_CONFIG, type FlowFixture, MALLORY, startFlow } from './flow-fixture.js';

let flow: FlowFixture | undefined;

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
});

// Rules whose globs have several `*`: a backtracking matcher took seconds on 1 KB and minutes on 4 KB against them.
const HOSTILE_RULES = `
  - name: no-log-greps
    effect: deny
    commands: ["grep * * * * * /var/log/*.secret", "*a*a*a*a*a*b"]
  - name: greps-for-devs
    effect: allow
    who: [devs]
    targets: ["demo/*"]
    commands: ["grep -e * -e * -e * * *.log"]
`;

/** Polls `/healthz` back to back until stopped; returns the slowest answer in milliseconds. */
function watchHealth(url: string): { stop(): Promise<number> } {
  let running = true;
  let slowest = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(url);
      await response.arrayBuffer();
      slowest = Math.max(slowest, performance.now() - started);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return slowest;
    },
  };
}

describe('a long hostile command', () => {
  it('is refused without holding up /healthz or anyone else', async () => {
    flow = await startFlow(inject('redisUrl'), {
      configYaml: FLOW_CONFIG.replace('rules:\n', `rules:\n${HOSTILE_RULES.slice(1)}`),
    });
    const healthz = `${flow.stack.bot.url}/healthz`;
    /** The slowest /healthz answer while `typed` is refused. */
    const slowestWhileRefusing = async (typed: string, refusals: number): Promise<number> => {
      const health = watchHealth(healthz);
      await flow?.stack.slash(MALLORY, CHANNEL, `demo/web -- ${typed}`);
      await expect
        .poll(() => flow?.ephemerals(MALLORY).filter((text) => /no rule allows this/.test(text)).length, {
          timeout: 10_000,
        })
        .toBe(refusals);
      return await health.stop();
    };
    // An ordinary refusal first: it warms the code and shows what this machine takes anyway (a busy one is slow).
    const baseline = await slowestWhileRefusing('grep -e a', 1);
    // Just under the length limit, from a user no rule allows: every rule's patterns are matched against it.
    const command = `grep -e ${'a '.repeat((MAX_COMMAND_CHARS - 20) / 2)}`.trimEnd();
    expect(command.length).toBeLessThanOrEqual(MAX_COMMAND_CHARS);
    const hostile = await slowestWhileRefusing(command, 2);
    // The promise is 100 ms; matching this command takes well under a millisecond per pattern.
    expect(hostile - baseline).toBeLessThan(100);
  });

  it('is refused at the door, with the limit, when it is longer than a person would type', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(MALLORY, CHANNEL, `demo/web -- echo ${'x'.repeat(MAX_COMMAND_CHARS)}`);
    await expect
      .poll(() => flow?.ephemerals(MALLORY).join('\n'))
      .toMatch(
        new RegExp(`the command is ${MAX_COMMAND_CHARS + 5} characters long; the limit is ${MAX_COMMAND_CHARS}`),
      );
  });

  it('is refused at the door when its reason is longer than the limit', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(MALLORY, CHANNEL, `demo/web --reason "${'why '.repeat(300)}" -- uptime`);
    await expect.poll(() => flow?.ephemerals(MALLORY).join('\n')).toMatch(/the limit is 1000/);
  });
});
