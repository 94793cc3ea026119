import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { type SentinelGroup, startSentinelGroup } from '../../setup/redis-sentinel.js';
import { ALICE, BOB, CHANNEL, type FlowFixture, startFlow } from './flow-fixture.js';

let group: SentinelGroup;
let flow: FlowFixture | undefined;
let dir: string;

beforeEach(async () => {
  group = await startSentinelGroup();
  dir = mkdtempSync(join(tmpdir(), 'ecs-exec-failover-'));
});

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
  await group.stop();
  rmSync(dir, { recursive: true, force: true });
});

const FINAL = /exit \d+|timed out|cancelled|interrupted|could not run/i;
const executeCommands = (fixture: FlowFixture) =>
  fixture.stack.sandbox.calls.filter((call) => call.operation === 'ExecuteCommand');

/** Waits until the bot answers /readyz again: it has found the promoted primary through the Sentinels. */
async function botReady(fixture: FlowFixture): Promise<void> {
  await expect
    .poll(async () => (await fetch(`${fixture.stack.bot.url}/readyz`)).status, { timeout: 30_000, interval: 100 })
    .toBe(200);
}

describe('Redis behind Sentinel: the primary dies', () => {
  it('while a request waits for approval: a click meanwhile is told to try again, the request survives and runs once', async () => {
    flow = await startFlow(group.url);
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker -- echo approved-across-failover');
    const card = structuredClone(await flow.card());
    await group.replicated();

    group.killPrimary();
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    await expect
      .poll(() => flow?.ephemerals(BOB).join('\n'), { timeout: 10_000 })
      .toMatch(/could not handle this click right now.*Try again/);
    expect(executeCommands(flow)).toHaveLength(0);

    await group.failedOver();
    await botReady(flow);
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    const status = await flow.finalStatus(card);
    expect(status.text).toMatch(/exit 0/);
    expect(JSON.stringify(status.blocks)).toContain('approved-across-failover');

    // A second click after the run finds it done; nothing runs again.
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    await expect.poll(() => flow?.ephemerals(BOB).length).toBeGreaterThan(1);
    expect(executeCommands(flow)).toHaveLength(1);
    expect(flow.thread(card).filter((reply) => FINAL.test(reply.text))).toHaveLength(1);
    const actions = (await flow.auditEntries()).map((entry) => `${entry.action}:${entry.outcome}`);
    expect(actions.filter((action) => action === 'approve:ok')).toHaveLength(1);
    expect(actions.filter((action) => action.startsWith('dispatch:ok'))).toHaveLength(1);
  }, 90_000);

  it('while a command runs: the run ends once with its real exit code and is never started again', async () => {
    flow = await startFlow(group.url);
    const gate = join(dir, 'go');
    await flow.stack.slash(
      ALICE,
      CHANNEL,
      `demo/web -- sh -c 'echo started; while [ ! -e ${gate} ]; do sleep 0.1; done; echo finished-after-failover'`,
    );
    const card = structuredClone(await flow.card());
    await expect.poll(() => flow?.stack.sandbox.sessions.length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => JSON.stringify(flow?.thread(card)), { timeout: 10_000 }).toContain('started');
    await group.replicated();

    group.killPrimary();
    await group.failedOver();
    await botReady(flow);
    expect(existsSync(gate)).toBe(false);
    writeFileSync(gate, '');

    const status = await flow.finalStatus(card, 30_000);
    expect(status.text).toMatch(/exit 0/);
    expect(JSON.stringify(status.blocks)).toContain('finished-after-failover');
    expect(executeCommands(flow)).toHaveLength(1);
    expect(flow.stack.sandbox.sessions).toHaveLength(1);
    expect(flow.thread(card).filter((reply) => FINAL.test(reply.text))).toHaveLength(1);
  }, 90_000);
});
