import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import type { ApprovalRecord } from '../../../src/approval/approval-port.js';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import type { StoredMessage } from '../../../src/sandbox/slack/types.js';
import { ALICE, CHANNEL, FLOW_CONFIG, type FlowFixture, startFlow } from './flow-fixture.js';
import { type ReplicaProcess, spawnReplica } from './replica-process.js';
import { startTcpCut, type TcpCut } from './tcp-cut.js';

const FINAL = /exit \d+|timed out|cancelled|interrupted|could not run/i;

let flow: FlowFixture | undefined;
let replica: ReplicaProcess | undefined;
let link: TcpCut | undefined;
let redis: Redis | undefined;

const gates = mkdtempSync(join(tmpdir(), 'ecs-exec-gates-'));
afterAll(() => rmSync(gates, { recursive: true, force: true }));

/** A command that waits until the test opens its gate (a file), so the test decides when it ends. */
function gated(name: string): { command: string; open: () => void } {
  const path = join(gates, name);
  return {
    command: `sh -c 'while [ ! -f ${path} ]; do sleep 0.05; done; echo done-ok'`,
    open: () => writeFileSync(path, ''),
  };
}

afterEach(async () => {
  if (replica && replica.child.exitCode === null && replica.child.signalCode === null) {
    replica.child.kill('SIGCONT');
    replica.child.kill('SIGKILL');
    await replica.exited;
  }
  replica = undefined;
  // A test that failed mid-outage leaves the link cut; the bot's drain needs its store back to finish.
  link?.restore();
  await flow?.stack.stop();
  flow = undefined;
  await link?.close();
  link = undefined;
  redis?.disconnect();
  redis = undefined;
});

/** Reads requests straight from Redis, as any replica would. */
async function storeAt(url: string, prefix: string): Promise<RedisApprovalStore> {
  redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  return new RedisApprovalStore(redis, { prefix });
}

const requestIdOf = (card: StoredMessage): string => /r-[a-z0-9]+/.exec(JSON.stringify(card.blocks))?.[0] ?? '';
const finals = (fixture: FlowFixture, card: StoredMessage) =>
  fixture
    .thread(card)
    .filter((reply) => FINAL.test(reply.text) && !JSON.stringify(reply.blocks ?? []).includes('stop'));

describe('a run whose store goes away for a while', () => {
  it('keeps retrying the final write through a Redis outage longer than the stale period, and is never swept', async () => {
    const url = new URL(inject('redisUrl'));
    link = await startTcpCut({ host: url.hostname, port: Number(url.port) });
    const prefix = `test:${randomUUID()}:`;
    // Heartbeats every 200 ms, runs stale after 2 s without one (ten beats: room for a loaded machine), and a
    // sweeper in the same bot every 100 ms.
    flow = await startFlow(link.url, {
      redisKeyPrefix: prefix,
      tuning: {
        liveTailIntervalMs: 1_000,
        liveTailDelayMs: 60_000,
        expirySweepIntervalMs: 100,
        heartbeatMs: 200,
        staleRunMs: 2_000,
      },
    });
    const store = await storeAt(inject('redisUrl'), prefix);
    const gate = gated('outage');
    await flow.stack.slash(ALICE, CHANNEL, `demo/web -- ${gate.command}`);
    const card = await flow.card();
    const id = requestIdOf(card);
    await expect.poll(async () => (await store.get(id))?.state, { timeout: 10_000 }).toBe('running');
    link.cut();
    // The command ends while Redis is unreachable: the final write fails and is retried.
    gate.open();
    const retries = () => flow?.logs.filter((line) => line.includes('final state not stored yet')).length ?? 0;
    // The first failed attempt comes only after the Redis client gives up on the cut connection, which a loaded
    // machine can stretch well past the usual ceiling.
    await expect.poll(retries, { timeout: 45_000 }).toBeGreaterThan(0);
    // Keep the outage going well past the stale period (2 s; retries come at most every 200 ms), with sweeps
    // failing meanwhile.
    const logged = () => flow?.logs.join('') ?? '';
    await expect.poll(retries, { timeout: 20_000 }).toBeGreaterThan(20);
    expect(logged()).toContain('expiry sweep failed');
    link.restore();
    await expect.poll(async () => (await store.get(id))?.state, { timeout: 15_000 }).toBe('succeeded');
    const status = await flow.finalStatus(card);
    expect(status.text).toMatch(/exit 0/);
    expect(JSON.stringify(status.blocks)).toContain('done-ok');
    const stored = (await store.get(id)) as ApprovalRecord;
    expect(stored.result?.exitCode).toBe(0);
    expect(stored.result?.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Its ending is stored, so no later sweep can take it; and nobody posted "interrupted".
    expect(finals(flow, card)).toHaveLength(1);
    expect(JSON.stringify(flow.thread(card))).not.toMatch(/interrupted/);
  }, 120_000);
});

describe('a replica that dies or stalls mid-run', () => {
  it('reports a run whose replica was killed with SIGKILL as interrupted within 45 s, and never re-runs it', async () => {
    const prefix = `test:${randomUUID()}:`;
    // The surviving replica runs with the production heartbeat, stale period and sweep interval.
    flow = await startFlow(inject('redisUrl'), {
      redisKeyPrefix: prefix,
      tuning: { liveTailIntervalMs: 1_000, liveTailDelayMs: 300 },
    });
    replica = await spawnReplica(flow, {
      configYaml: FLOW_CONFIG,
      redisUrl: inject('redisUrl'),
      prefix,
      tuning: { liveTailIntervalMs: 1_000, liveTailDelayMs: 300 },
    });
    const store = await storeAt(inject('redisUrl'), prefix);
    const gate = gated('sigkill');
    await replica.slash(ALICE, CHANNEL, `demo/web -- ${gate.command}`);
    const card = await flow.card();
    const id = requestIdOf(card);
    await expect.poll(async () => (await store.get(id))?.state, { timeout: 20_000 }).toBe('running');
    expect((await store.get(id))?.owner).not.toBe(undefined);
    replica.child.kill('SIGKILL');
    await replica.exited;
    const killedAt = Date.now();
    await expect
      .poll(() => finals(flow as FlowFixture, card).length, { timeout: 45_000, interval: 250 })
      .toBeGreaterThan(0);
    expect(Date.now() - killedAt).toBeLessThan(45_000);
    const [status] = finals(flow, card);
    expect(status?.text).toMatch(/interrupted/);
    expect(status?.text).toMatch(/may still be running/);
    expect((await store.get(id))?.state).toBe('interrupted');
    await expect
      .poll(() => JSON.stringify(flow?.stack.slack.message(CHANNEL, card.ts)?.blocks))
      .toMatch(/[Ii]nterrupted/);
    // Posted once, and never re-run: the one session is the one the dead replica started.
    expect(finals(flow, card)).toHaveLength(1);
    expect(flow.stack.sandbox.sessions).toHaveLength(1);
    gate.open();
  }, 120_000);

  it('lets a replica paused past the stale period post nothing about the run another replica closed', async () => {
    const prefix = `test:${randomUUID()}:`;
    const fast = { liveTailIntervalMs: 500, liveTailDelayMs: 300, heartbeatMs: 200, staleRunMs: 1_000 };
    flow = await startFlow(inject('redisUrl'), {
      redisKeyPrefix: prefix,
      tuning: { ...fast, expirySweepIntervalMs: 100 },
    });
    replica = await spawnReplica(flow, {
      configYaml: FLOW_CONFIG,
      redisUrl: inject('redisUrl'),
      prefix,
      tuning: { ...fast, expirySweepIntervalMs: 0 },
    });
    const store = await storeAt(inject('redisUrl'), prefix);
    const gate = gated('sigstop');
    await replica.slash(ALICE, CHANNEL, `demo/web -- ${gate.command}`);
    const card = await flow.card();
    const id = requestIdOf(card);
    await expect.poll(async () => (await store.get(id))?.state, { timeout: 20_000 }).toBe('running');
    // The live tail is up: the paused replica has a message of its own it could still update.
    await expect.poll(() => flow?.thread(card).length ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    replica.child.kill('SIGSTOP');
    await expect.poll(async () => (await store.get(id))?.state, { timeout: 20_000 }).toBe('interrupted');
    await expect.poll(() => finals(flow as FlowFixture, card).length, { timeout: 10_000 }).toBe(1);
    const threadBefore = JSON.stringify(flow.thread(card));
    // The command ends while the replica sleeps; when it wakes it sees the end of the session, and its own ending.
    gate.open();
    replica.child.kill('SIGCONT');
    const woke = replica;
    await expect
      .poll(() => woke.logs.some((line) => line.includes('run closed by another replica; nothing posted')), {
        timeout: 20_000,
      })
      .toBe(true);
    expect(finals(flow, card)).toHaveLength(1);
    expect(JSON.stringify(flow.thread(card))).toBe(threadBefore);
    expect(JSON.stringify(flow.stack.slack.message(CHANNEL, card.ts)?.blocks)).toMatch(/[Ii]nterrupted/);
    expect((await store.get(id))?.state).toBe('interrupted');
  }, 90_000);
});
