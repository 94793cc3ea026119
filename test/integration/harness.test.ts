import { inject, expect, it } from 'vitest';
import { Redis } from 'ioredis';

it('has a private redis-server to talk to', async () => {
  const redis = new Redis(inject('redisUrl'));
  try {
    expect(await redis.ping()).toBe('PONG');
  } finally {
    redis.disconnect();
  }
});
