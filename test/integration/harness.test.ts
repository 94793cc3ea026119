import { Redis } from 'ioredis';
import { expect, inject, it } from 'vitest';

it('has a private redis-server to talk to', async () => {
  const redis = new Redis(inject('redisUrl'));
  try {
    expect(await redis.ping()).toBe('PONG');
  } finally {
    redis.disconnect();
  }
});
