import { afterAll, beforeAll } from 'vitest';
import type { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import { createRedisClient, redisConnectionSettings } from '../../../src/approval/redis-connection.js';
import { type SentinelGroup, startSentinelGroup } from '../../setup/redis-sentinel.js';
import { approvalStoreContract } from './approval-store.contract.js';
import { storeOnFreshPrefix } from './redis-test-helpers.js';
import { requestEventsContract } from './request-events.contract.js';

// The same approval, race and audit contract as on a single node and a cluster, with the client finding its
// primary through three real Sentinels, as the bot does from a redis+sentinel:// REDIS_URL.
let group: SentinelGroup;

beforeAll(async () => {
  group = await startSentinelGroup();
});

afterAll(async () => {
  await group?.stop();
});

async function subject(options: ConstructorParameters<typeof RedisApprovalStore>[1]) {
  const settings = redisConnectionSettings(group.url, {});
  const redis = createRedisClient(settings, { maxRetriesPerRequest: 2, enableOfflineQueue: false });
  await redis.connect();
  return storeOnFreshPrefix(redis, options);
}

approvalStoreContract('RedisApprovalStore through Redis Sentinel', async ({ clock, newId }) =>
  subject(newId ? { clock, newId } : { clock }),
);

requestEventsContract('RedisApprovalStore through Redis Sentinel', async ({ clock }) => subject({ clock }));
