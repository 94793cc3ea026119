import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import { approvalStoreContract } from './approval-store.contract.js';
import { deletePrefix } from './redis-test-helpers.js';
import { requestEventsContract } from './request-events.contract.js';

approvalStoreContract('RedisApprovalStore', async ({ clock, newId }) => {
  const redis = new Redis(inject('redisUrl'));
  const prefix = `test:${randomUUID()}:`;
  return {
    store: new RedisApprovalStore(redis, newId ? { prefix, clock, newId } : { prefix, clock }),
    cleanup: async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
});

requestEventsContract('RedisApprovalStore', async ({ clock }) => {
  const redis = new Redis(inject('redisUrl'));
  const prefix = `test:${randomUUID()}:`;
  return {
    store: new RedisApprovalStore(redis, { prefix, clock }),
    cleanup: async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
});
