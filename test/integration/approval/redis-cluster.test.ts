import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { keys } from '../../../src/approval/keys.js';
import type { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import {
  createRedisClient,
  type RedisClient,
  redisConnectionSettings,
} from '../../../src/approval/redis-connection.js';
import { describeRedisDurability } from '../../../src/approval/redis-durability.js';
import { RedisRunSignals } from '../../../src/approval/run-signals.js';
import { verifyAuditChain } from '../../../src/audit/verify-audit-chain.js';
import { approvalStoreContract, prodRequest } from './approval-store.contract.js';
import { storeOnFreshPrefix } from './redis-test-helpers.js';
import { requestEventsContract } from './request-events.contract.js';

/** A Cluster client built as the bot builds it from REDIS_URL + REDIS_CLUSTER=true. */
async function clusterClient(): Promise<RedisClient> {
  const settings = redisConnectionSettings(inject('redisClusterUrl'), { REDIS_CLUSTER: 'true' });
  const client = createRedisClient(settings, { maxRetriesPerRequest: 2, enableOfflineQueue: false });
  await client.connect();
  return client;
}

async function subject(options: ConstructorParameters<typeof RedisApprovalStore>[1]) {
  return storeOnFreshPrefix(await clusterClient(), options);
}

approvalStoreContract('RedisApprovalStore on a Redis Cluster', async ({ clock, newId }) =>
  subject(newId ? { clock, newId } : { clock }),
);

requestEventsContract('RedisApprovalStore on a Redis Cluster', async ({ clock }) => subject({ clock }));

const opened: Array<{ disconnect(): void }> = [];
afterEach(() => {
  for (const connection of opened.splice(0)) connection.disconnect();
});

/** A plain connection to one node of the test cluster. */
async function nodeConnection(port: number): Promise<Redis> {
  const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
  opened.push(node);
  await node.connect();
  return node;
}

describe('on a Redis Cluster', () => {
  it('puts every key of one deployment in one hash slot', async () => {
    const redis = await clusterClient();
    opened.push(redis);
    const set = keys('ecs-exec:');
    const all = [
      set.request('r-1'),
      set.request('r-2'),
      set.idempotency('approve', 'r-1', 'k'),
      set.auditStream,
      set.auditHead,
      set.expiryIndex,
      set.inflightIndex,
      set.byRequester('U0ALICE'),
      set.recentIndex,
      set.marker('reminder:r-1'),
      `${set.runSignals}:stop:r-1`,
    ];
    const slots = new Set<number>();
    for (const key of all) slots.add(Number(await redis.call('CLUSTER', 'KEYSLOT', key)));
    expect(slots.size).toBe(1);
    // The slot of the tag alone: what an operator sees with CLUSTER KEYSLOT ecs-exec.
    expect([...slots]).toEqual([Number(await redis.call('CLUSTER', 'KEYSLOT', 'ecs-exec'))]);
  });

  it('runs a whole request, dispatch with WAIT included, and keeps an intact audit chain', async () => {
    const { store, cleanup } = await subject({ dispatchReplicas: 'auto' });
    try {
      const { record } = await store.create(prodRequest());
      await store.attachCard(record.id, { conversation: 'C0INCIDENT', messageRef: '1.000100' });
      await store.approve({ id: record.id, userId: 'U0ALICE', eligibleApprovers: ['U0ALICE'] });
      await store.dispatch({ id: record.id, dispatcher: 'replica-a', expectedDigest: record.digest });
      await store.markRunning(record.id, 'session-1');
      await store.finish(record.id, 'succeeded', { exitCode: 0, bytes: 1, sha256: 'f'.repeat(64), redactions: 0 });
      expect(await verifyAuditChain(store.auditReader())).toMatchObject({ ok: true, entries: 6 });
    } finally {
      await cleanup();
    }
  });

  it('reads the persistence settings of the node that holds the deployment slot', async () => {
    const redis = await clusterClient();
    opened.push(redis);
    const durability = await describeRedisDurability(redis, keys('ecs-exec:').auditHead);
    expect(durability).toMatchObject({ appendonly: 'no', connectedReplicas: 0 });
  });

  it('carries a Stop published on one node to a replica subscribed on another (classic pub/sub)', async () => {
    const cluster = inject('redisClusterUrl');
    const ports = await clusterPorts(cluster);
    expect(ports.length).toBe(3);
    const channel = keys(`test:${randomUUID()}:`).runSignals;
    // The owner hears through a plain connection to one node; the Stop is sent through another node.
    const owner = new RedisRunSignals(
      await nodeConnection(ports[0] as number),
      await nodeConnection(ports[0] as number),
      channel,
    );
    const heard: string[] = [];
    owner.onStop((requestId, by) => heard.push(`${requestId} by ${by}`));
    await owner.ready();
    const publisher = await clusterClient();
    opened.push(publisher);
    const sender = new RedisRunSignals(publisher, await nodeConnection(ports[1] as number), channel);
    await sender.requestStop('r-xnode1', 'U0ALICE');
    await expect.poll(() => heard).toEqual(['r-xnode1 by U0ALICE']);
    // The remembered stop lives in the deployment's slot; the Cluster client finds it on whichever node holds it.
    expect(await sender.stopRequestedBy('r-xnode1')).toBe('U0ALICE');
    await owner.close();
    await sender.close();
  });
});

/** Ports of the cluster's primaries, from CLUSTER NODES on the seed. */
async function clusterPorts(url: string): Promise<number[]> {
  const seed = await nodeConnection(Number(new URL(url).port));
  const nodes = String(await seed.call('CLUSTER', 'NODES'));
  return [...nodes.matchAll(/ 127\.0\.0\.1:(\d+)@\d+ (?:myself,)?master /g)].map((match) => Number(match[1]));
}
