import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, expect, inject, it } from 'vitest';
import { keys } from '../../../src/approval/keys.js';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import {
  createRedisClient,
  type RedisClient,
  redisConnectionSettings,
} from '../../../src/approval/redis-connection.js';
import { verifyAuditChain } from '../../../src/audit/verify-audit-chain.js';
import { prodRequest } from './approval-store.contract.js';
import { deletePrefix } from './redis-test-helpers.js';

const SRE = ['U0ALICE', 'U0BOB'];
const opened: Array<{ disconnect(): void }> = [];
afterEach(() => {
  for (const connection of opened.splice(0)) connection.disconnect();
});

async function node(port: number): Promise<Redis> {
  const connection = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
  opened.push(connection);
  await connection.connect();
  return connection;
}

/** The primaries as CLUSTER SLOTS lists them: which one serves `slot`, and the others. */
async function owners(seed: Redis, slot: number): Promise<{ owner: number; others: number[] }> {
  const ranges = (await seed.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string]]>;
  const ports = [...new Set(ranges.map((range) => range[2][1]))];
  const owner = ranges.find(([start, end]) => slot >= start && slot <= end)?.[2][1] as number;
  return { owner, others: ports.filter((port) => port !== owner) };
}

it('keeps working while the deployment slot moves to another primary (ASK during the move, MOVED after)', async () => {
  const url = inject('redisClusterUrl');
  const redis: RedisClient = createRedisClient(redisConnectionSettings(url, { REDIS_CLUSTER: 'true' }), {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: false,
  });
  opened.push(redis);
  await redis.connect();
  const prefix = `test:${randomUUID()}:`;
  const store = new RedisApprovalStore(redis, { prefix });
  const first = (await store.create(prodRequest())).record;
  const second = (await store.create(prodRequest({ idempotencyKey: 'second' }))).record;

  const seed = await node(Number(new URL(url).port));
  const slot = Number(await seed.call('CLUSTER', 'KEYSLOT', keys(prefix).auditHead));
  const { owner, others } = await owners(seed, slot);
  const [source, target] = [await node(owner), await node(others[0] as number)];
  const [sourceId, targetId] = [
    String(await source.call('CLUSTER', 'MYID')),
    String(await target.call('CLUSTER', 'MYID')),
  ];

  // The steps `redis-cli --cluster reshard` takes for one slot.
  await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId);
  await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId);
  const moving = (await source.call('CLUSTER', 'GETKEYSINSLOT', slot, 1000)) as string[];
  expect(moving.length).toBeGreaterThan(5);
  await source.call('MIGRATE', '127.0.0.1', others[0] as number, '', 0, 5000, 'KEYS', ...moving);

  // Every key has left the source, which still owns the slot: a one-key read gets ASK, and the client follows it.
  expect((await store.get(first.id))?.state).toBe('pending_approval');
  // A script touching keys that do not exist yet gets TRYAGAIN while the slot is half moved (Redis allows no
  // multi-key command then); the client retries it, and it goes through once the move is finished.
  const approving = store.approve({ id: first.id, userId: 'U0BOB', eligibleApprovers: SRE });
  for (const port of [owner, ...others]) await (await node(port)).call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId);
  await approving;
  // Now the old owner answers MOVED; the client re-reads the slot map and goes to the new one.
  await store.approve({ id: second.id, userId: 'U0BOB', eligibleApprovers: SRE });
  expect((await store.get(first.id))?.state).toBe('approved');
  expect((await store.get(second.id))?.state).toBe('approved');
  expect(await verifyAuditChain(store.auditReader())).toMatchObject({ ok: true, entries: 4 });
  expect((await owners(seed, slot)).owner).toBe(others[0]);
  await deletePrefix(redis, prefix);
});
