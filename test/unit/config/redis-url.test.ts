import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisClient, redisConnectionSettings } from '../../../src/approval/redis-connection.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { describeRedisTarget, parseRedisUrl, RedisUrlError } from '../../../src/config/redis-url.js';

describe('REDIS_URL', () => {
  it('keeps a plain redis:// URL as it is', () => {
    expect(parseRedisUrl('rediss://:pw@cache.internal:6380/2')).toEqual({
      kind: 'direct',
      url: 'rediss://:pw@cache.internal:6380/2',
    });
  });

  it('reads Sentinels, the master name, the database and credentials from redis+sentinel://', () => {
    const target = parseRedisUrl(
      'redis+sentinel://bot:p%40ss@s1.internal:26379,s2.internal,[::1]:26380/ecs-exec/3?sentinelPassword=sp',
    );
    expect(target).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1.internal', port: 26379 },
        { host: 's2.internal', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      masterName: 'ecs-exec',
      db: 3,
      tls: false,
      username: 'bot',
      password: 'p@ss',
      sentinelPassword: 'sp',
    });
    expect(describeRedisTarget(target)).toBe(
      'master "ecs-exec" via Sentinels s1.internal:26379,s2.internal:26379,[::1]:26380',
    );
    expect(parseRedisUrl('rediss-sentinel://s1/main')).toMatchObject({ tls: true, masterName: 'main', db: 0 });
  });

  it('gives ioredis the Sentinels, the master name, and READONLY as a reason to find the primary again', () => {
    const settings = redisConnectionSettings('redis+sentinel://s1:1,s2:2/main', {});
    const client = createRedisClient(settings, { maxRetriesPerRequest: 2, enableOfflineQueue: false }) as Redis;
    const { options } = client;
    expect(options).toMatchObject({
      sentinels: [
        { host: 's1', port: 1 },
        { host: 's2', port: 2 },
      ],
      name: 'main',
      role: 'master',
      failoverDetector: true,
      lazyConnect: true,
    });
    expect(options.reconnectOnError?.(new Error('READONLY You cannot write against a read only replica.'))).toBe(1);
    expect(options.reconnectOnError?.(new Error('ERR unknown command'))).toBe(false);
  });

  it.each([
    ['redis+sentinel://s1:26379', 'master-name'],
    ['redis+sentinel://s1:99999/main', 'port 1-65535'],
    ['redis+sentinel://s1,,s2/main', 'host:port'],
    ['redis+sentinel://s1/main?password=x', 'unknown Sentinel URL option "password"'],
    ['http://secret@host', 'redis://'],
  ])('refuses %s, saying what is wrong without repeating it', (url, why) => {
    expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
    expect(() => parseRedisUrl(url)).toThrow(why);
  });

  it('is checked at start-up, and the message never shows the password', () => {
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
      SLACK_SIGNING_SECRET: 'signing-secret-0123',
      REDIS_URL: 'redis+sentinel://:SENTINELSECRET@s1:0/main',
    };
    const attempt = () => loadConfig(env, () => 'rules: []');
    expect(attempt).toThrow(/REDIS_URL/);
    expect(attempt).toThrow(/port 1-65535/);
    expect(attempt).not.toThrow(/SENTINELSECRET/);
  });
});
