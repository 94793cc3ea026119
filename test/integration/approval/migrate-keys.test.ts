import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Cluster, Redis } from 'ioredis';
import { afterEach, expect, inject, it } from 'vitest';
import { keys } from '../../../src/approval/keys.js';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import {
  createRedisClient,
  type RedisClient,
  redisConnectionSettings,
} from '../../../src/approval/redis-connection.js';
import { verifyAuditChain } from '../../../src/audit/verify-audit-chain.js';
import { runCli } from '../../../src/cli/main.js';
import { ManualClock, prodRequest } from './approval-store.contract.js';
import { deletePrefix } from './redis-test-helpers.js';

const SRE = ['U0ALICE', 'U0BOB'];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  let [out, err] = ['', ''];
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = await runCli(args, { stdout, stderr, env, signal: new AbortController().signal });
  return { code, out, err };
}

async function client(url: string, cluster = false): Promise<RedisClient> {
  const redis = createRedisClient(redisConnectionSettings(url, { REDIS_CLUSTER: String(cluster) }), {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
  });
  await redis.connect();
  return redis;
}

/**
 * Requests as a release before the hash tag left them: made by today's store, then every key renamed (RENAME keeps
 * the TTL) from the tagged prefix to the bare one. Returns the bare prefix and the ids: one pending, one approved.
 */
async function legacyData(
  redis: Redis,
  clock: ManualClock,
): Promise<{ legacy: string; pending: string; approved: string }> {
  const legacy = `legacy-${randomUUID()}:`;
  const store = new RedisApprovalStore(redis, { prefix: legacy, clock });
  const pending = (await store.create(prodRequest())).record.id;
  const approved = (await store.create(prodRequest({ idempotencyKey: 'second' }))).record.id;
  await store.approve({ id: approved, userId: 'U0BOB', eligibleApprovers: SRE });
  const tagged = keys(legacy).prefix;
  for (const key of await redis.keys(`${tagged}*`)) await redis.rename(key, `${legacy}${key.slice(tagged.length)}`);
  return { legacy, pending, approved };
}

it('copies a deployment from the bare prefix to the hash-tagged one, TTLs kept, and a second run changes nothing', async () => {
  const url = inject('redisUrl');
  const redis = (await client(url)) as Redis;
  const clock = new ManualClock();
  const { legacy, pending, approved } = await legacyData(redis, clock);
  cleanups.push(async () => {
    await deletePrefix(redis, legacy);
    for (const key of await redis.keys(`${legacy}*`)) await redis.del(key);
    redis.disconnect();
  });
  const store = new RedisApprovalStore(redis, { prefix: legacy, clock });
  expect(await store.get(pending)).toBeUndefined();

  const first = await cli(['redis', 'migrate-keys', '--from', legacy, `--to=${legacy}`], { REDIS_URL: url });
  expect(first.err).toBe('');
  expect(first.code).toBe(0);
  const copied = Number(/copied (\d+) keys/.exec(first.out)?.[1]);
  expect(copied).toBeGreaterThanOrEqual(8);
  expect(first.out).toContain(`to "${keys(legacy).prefix}"`);

  expect((await store.get(pending))?.state).toBe('pending_approval');
  expect((await store.get(approved))?.state).toBe('approved');
  expect(await verifyAuditChain(store.auditReader())).toMatchObject({ ok: true, entries: 3 });
  // Idempotency keys keep their remaining lifetime; records (no TTL) stay without one.
  const idemKeys = await redis.keys(`${keys(legacy).prefix}idem:*`);
  expect(idemKeys.length).toBeGreaterThan(0);
  for (const key of idemKeys) expect(await redis.pttl(key)).toBeGreaterThan(0);
  expect(await redis.pttl(keys(legacy).request(pending))).toBe(-1);
  // The old keys are left for the operator to remove once the bot runs on the new ones.
  expect(await redis.exists(`${legacy}req:${pending}`)).toBe(1);

  // The chain goes on where it stopped.
  await store.approve({ id: pending, userId: 'U0BOB', eligibleApprovers: SRE });
  expect(await verifyAuditChain(store.auditReader())).toMatchObject({ ok: true, entries: 4 });

  const second = await cli(['redis', 'migrate-keys', '--from', legacy, '--to', legacy], { REDIS_URL: url });
  expect(second.out).toContain('copied 0 keys');
  expect(second.out).toContain(`${copied} were already there`);
  expect((await store.get(pending))?.state).toBe('approved');
});

it('copies old keys spread over every node of a cluster into the deployment slot', async () => {
  const single = (await client(inject('redisUrl'))) as Redis;
  const clock = new ManualClock();
  const { legacy, pending } = await legacyData(single, clock);
  const clusterUrl = inject('redisClusterUrl');
  const cluster = await client(clusterUrl, true);
  cleanups.push(async () => {
    await deletePrefix(cluster, legacy);
    for (const node of (cluster as Cluster).nodes('master')) {
      for (const key of await node.keys(`${legacy}*`)) await cluster.del(key);
    }
    cluster.disconnect();
    for (const key of await single.keys(`${legacy}*`)) await single.del(key);
    single.disconnect();
  });
  // Moved to the cluster as they were (no tag: their slots differ), as `redis-cli --cluster import` would.
  for (const key of await single.keys(`${legacy}*`)) {
    const ttl = await single.pttl(key);
    await cluster.restore(key, ttl === -1 ? 0 : ttl, (await single.dumpBuffer(key)) as Buffer);
  }

  const result = await cli(['redis', 'migrate-keys', `--from=${legacy}`, `--to=${legacy}`], {
    REDIS_URL: clusterUrl,
    REDIS_CLUSTER: 'true',
  });
  expect(result.err).toBe('');
  expect(result.out).toMatch(/copied \d+ keys/);
  const store = new RedisApprovalStore(cluster, { prefix: legacy, clock });
  expect((await store.get(pending))?.state).toBe('pending_approval');
  await store.approve({ id: pending, userId: 'U0BOB', eligibleApprovers: SRE });
  expect(await verifyAuditChain(store.auditReader())).toMatchObject({ ok: true, entries: 4 });
});

it('refuses prefixes that contain each other', async () => {
  const result = await cli(['redis', 'migrate-keys', '--from', '{ecs-exec}:', '--to', '{ecs-exec}:'], {
    REDIS_URL: inject('redisUrl'),
  });
  expect(result.code).not.toBe(0);
  expect(result.err).toMatch(/must be different/);
});
