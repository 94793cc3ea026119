import { randomUUID } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { hashTagged } from '../../../src/approval/keys.js';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import type { RedisClient } from '../../../src/approval/redis-connection.js';

/**
 * Deletes every key under a test prefix (bullmq's queue-per-test isolation). The prefix is hash-tagged as the store
 * tags it, so all its keys sit on one node; on a cluster every primary is scanned because SCAN is per node.
 */
export async function deletePrefix(redis: RedisClient, prefix: string): Promise<void> {
  const nodes: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  // MATCH is a glob: the braces of the tag are literal there, and nothing else in a test prefix is special.
  const pattern = `${hashTagged(prefix)}*`;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      for (const key of found) await redis.del(key);
    } while (cursor !== '0');
  }
}

/** A store on a fresh test prefix over a connected client, for the contract suites; cleanup empties the prefix. */
export function storeOnFreshPrefix(
  redis: RedisClient,
  options: ConstructorParameters<typeof RedisApprovalStore>[1],
): { store: RedisApprovalStore; cleanup(): Promise<void> } {
  const prefix = `test:${randomUUID()}:`;
  return {
    store: new RedisApprovalStore(redis, { ...options, prefix }),
    cleanup: async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}
