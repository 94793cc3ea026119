import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { WrongStateError } from '../../../src/approval/errors.js';
import { keys } from '../../../src/approval/keys.js';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import {
  createRedisClient,
  type RedisClient,
  redisConnectionSettings,
} from '../../../src/approval/redis-connection.js';
import { verifyAuditChain } from '../../../src/audit/verify-audit-chain.js';
import { ManualClock, prodRequest } from './approval-store.contract.js';
import { deletePrefix } from './redis-test-helpers.js';

const SRE = ['U0REQUESTER', 'U0ALICE', 'U0BOB'];
const TWO_OF_SRE = { approverGroups: ['sre'], count: 2, selfApproval: false, breakGlassAllowed: false };
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A connection to the single node or to the cluster, built as the bot builds it (connecting on first use). */
const backends: Array<[string, () => RedisClient]> = [
  ['single node', () => connectTo(inject('redisUrl'), false)],
  ['Redis Cluster', () => connectTo(inject('redisClusterUrl'), true)],
];

function connectTo(url: string, cluster: boolean): RedisClient {
  const settings = redisConnectionSettings(url, { REDIS_CLUSTER: String(cluster) });
  return createRedisClient(settings, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
}

/** Two replicas on their own connections sharing one prefix, as two bot processes would. */
function replicas(connect: () => RedisClient): {
  a: RedisApprovalStore;
  b: RedisApprovalStore;
  clock: ManualClock;
  admin: RedisClient;
  prefix: string;
} {
  const prefix = `test:${randomUUID()}:`;
  const clock = new ManualClock();
  const connections = [connect(), connect()];
  cleanups.push(async () => {
    await deletePrefix(connections[0] as RedisClient, prefix);
    for (const redis of connections) redis.disconnect();
  });
  const [a, b] = connections.map(
    (redis, i) => new RedisApprovalStore(redis, { prefix, clock, replicaId: `replica-${i}` }),
  );
  return {
    a: a as RedisApprovalStore,
    b: b as RedisApprovalStore,
    clock,
    admin: connections[0] as RedisClient,
    prefix,
  };
}

describe.each(backends)('Redis store replies (%s)', (_backend, connect) => {
  it('gives a replica that never saw the request the same whole record as the one that made it', async () => {
    const { a, b, clock } = replicas(connect);
    const { record } = await a.create(prodRequest({ approval: TWO_OF_SRE }));
    clock.advance(1_000);
    const first = await b.approve({ id: record.id, userId: 'U0ALICE', eligibleApprovers: SRE });
    clock.advance(1_000);
    const second = await a.approve({ id: record.id, userId: 'U0BOB', eligibleApprovers: SRE });
    expect(first.record).toEqual({
      ...record,
      version: 2,
      updatedAtMs: record.createdAtMs + 1_000,
      approvals: [{ userId: 'U0ALICE', atMs: record.createdAtMs + 1_000 }],
    });
    expect(second.record).toEqual(await a.get(record.id));
    expect(second.record).toMatchObject({ state: 'approved', version: 3 });
    const dispatched = await b.dispatch({ id: record.id, dispatcher: 'replica-1', expectedDigest: record.digest });
    expect(dispatched.record).toEqual(await b.get(record.id));
    expect(await verifyAuditChain(a.auditReader())).toMatchObject({ ok: true, entries: 4 });
  });

  it('answers a click retried on another replica after the request moved on with the first answer', async () => {
    const { a, b, clock } = replicas(connect);
    const { record } = await a.create(prodRequest({ approval: TWO_OF_SRE }));
    const click = { id: record.id, userId: 'U0ALICE', eligibleApprovers: SRE, idempotencyKey: 'action-1.1' };
    const first = await a.approve(click);
    clock.advance(1_000);
    await a.approve({ id: record.id, userId: 'U0BOB', eligibleApprovers: SRE });
    await a.dispatch({ id: record.id, dispatcher: 'replica-0', expectedDigest: record.digest });
    await a.markRunning(record.id, 'session-1');

    const retriedElsewhere = await b.approve(click);
    const retriedHere = await a.approve(click);
    expect(retriedElsewhere).toEqual(first);
    expect(retriedHere).toEqual(first);
    expect(first.record).toMatchObject({ state: 'pending_approval', version: 2 });
    expect((await a.get(record.id))?.state).toBe('running');
    expect(await verifyAuditChain(a.auditReader())).toMatchObject({ ok: true, entries: 5 });
  });

  it('still answers a retry whose first answer an earlier release kept as JSON', async () => {
    const { a, b, admin, prefix } = replicas(connect);
    const { record } = await a.create(prodRequest({ approval: TWO_OF_SRE }));
    const click = { id: record.id, userId: 'U0ALICE', eligibleApprovers: SRE, idempotencyKey: 'action-2.1' };
    const first = await a.approve(click);
    const kept = keys(prefix).idempotency('approve', record.id, 'action-2.1');
    // What an earlier release stored: the same first answer, written with cjson instead of MessagePack.
    await admin.eval(
      "redis.call('SET', KEYS[1], cjson.encode(cmsgpack.unpack(redis.call('GET', KEYS[1]))), 'KEEPTTL')",
      1,
      kept,
    );
    expect((await admin.get(kept))?.startsWith('[')).toBe(true);
    await a.approve({ id: record.id, userId: 'U0BOB', eligibleApprovers: SRE });
    expect(await b.approve(click)).toEqual(first);
    expect(await a.approve(click)).toEqual(first);
  });

  it('answers a create retried on another replica with the request the first call made', async () => {
    const { a, b } = replicas(connect);
    const first = await a.create(prodRequest({ idempotencyKey: 'slash-trigger-7' }));
    await a.attachCard(first.record.id, { conversation: 'C0INCIDENT', messageRef: '1.000100' });
    const again = await b.create(prodRequest({ idempotencyKey: 'slash-trigger-7' }));
    expect(again).toEqual(first);
    expect(await b.recent(10)).toHaveLength(1);
  });

  it('reports a refusal with the record as stored, whichever replica is asked', async () => {
    const { a, b } = replicas(connect);
    const { record } = await a.create(prodRequest());
    await a.approve({ id: record.id, userId: 'U0ALICE', eligibleApprovers: SRE });
    const stored = await a.get(record.id);
    for (const store of [a, b]) {
      const refused = await store.approve({ id: record.id, userId: 'U0BOB', eligibleApprovers: SRE }).catch((e) => e);
      expect(refused).toMatchObject({ record: stored });
    }
  });

  it('never mixes what a replica remembers with a record that was rewritten at the same version', async () => {
    const { a, admin, prefix } = replicas(connect);
    const { record } = await a.create(prodRequest({ approval: TWO_OF_SRE }));
    await a.approve({ id: record.id, userId: 'U0ALICE', eligibleApprovers: SRE });
    // As after a failover that lost that approval and took another replica's deny at the same version number.
    await admin.hset(keys(prefix).request(record.id), {
      state: 'denied',
      approvals: '[]',
      deniedBy: 'U0BOB',
      rev: 'written-elsewhere',
    });
    const refused = await a.approve({ id: record.id, userId: 'U0BOB', eligibleApprovers: SRE }).catch((e) => e);
    expect(refused).toBeInstanceOf(WrongStateError);
    expect(refused.record).toEqual(await a.get(record.id));
    expect(refused.record).toMatchObject({ state: 'denied', version: 2, approvals: [], deniedBy: 'U0BOB' });
  });
});
