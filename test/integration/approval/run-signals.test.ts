import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { RedisRunSignals } from '../../../src/approval/run-signals.js';

const connections: Redis[] = [];
const connect = () => {
  const redis = new Redis(inject('redisUrl'));
  connections.push(redis);
  return redis;
};

afterEach(() => {
  for (const redis of connections.splice(0)) redis.disconnect();
});

describe('stop signals between replicas', () => {
  it('reaches the replica that owns the run, whichever replica the click landed on', async () => {
    const channel = `test:${randomUUID()}:stop`;
    const owner = new RedisRunSignals(connect(), connect(), channel);
    const other = new RedisRunSignals(connect(), connect(), channel);
    const seen: string[] = [];
    owner.onStop((requestId, by) => seen.push(`${requestId} by ${by}`));
    await other.requestStop('r-abc123', 'U0ALICE');
    await expect.poll(() => seen).toEqual(['r-abc123 by U0ALICE']);
    await owner.close();
    await other.close();
  });
});
