import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisClient, redisConnectionSettings } from '../../../src/approval/redis-connection.js';
import { ConfigError } from '../../../src/config/errors.js';

const tuning = { maxRetriesPerRequest: 2, enableOfflineQueue: false };
const readCa = (path: string) => `PEM from ${path}`;

describe('Redis connection settings', () => {
  it('builds a single-node client from a redis:// URL, credentials and database included', () => {
    const settings = redisConnectionSettings('redis://bot:p%40ss@10.0.0.5:6380/2', {});
    const client = createRedisClient(settings, tuning, readCa) as Redis;
    expect(client).toBeInstanceOf(Redis);
    expect(client.options).toMatchObject({ host: '10.0.0.5', port: 6380, username: 'bot', password: 'p@ss', db: 2 });
    expect(client.options.tls).toBeUndefined();
    expect(client.status).toBe('wait');
  });

  it('turns on TLS for rediss:// and trusts the CA file it is given', () => {
    const settings = redisConnectionSettings('rediss://bot:secret@cache.example:6379', {
      REDIS_TLS_CA_FILE: '/etc/ssl/redis-ca.pem',
    });
    const client = createRedisClient(settings, tuning, readCa) as Redis;
    expect(client.options.tls).toEqual({ ca: 'PEM from /etc/ssl/redis-ca.pem' });
  });

  it('builds a Cluster client with the node options, and names kept as they are for TLS (ElastiCache)', () => {
    const settings = redisConnectionSettings('rediss://bot:secret@clustercfg.example.cache.amazonaws.com:6379', {
      REDIS_CLUSTER: 'true',
    });
    const client = createRedisClient(settings, tuning, readCa) as Cluster;
    expect(client).toBeInstanceOf(Cluster);
    expect(client.options.redisOptions).toMatchObject({ username: 'bot', password: 'secret', tls: {} });
    expect(client.options.enableOfflineQueue).toBe(false);
    let resolved: string | undefined;
    client.options.dnsLookup?.('node-1.example.cache.amazonaws.com', (_error, address) => {
      resolved = address;
    });
    expect(resolved).toBe('node-1.example.cache.amazonaws.com');
  });

  it.each([
    [{ REDIS_CLUSTER: 'maybe' }, 'redis://127.0.0.1:6379', 'REDIS_CLUSTER'],
    [{ REDIS_CLUSTER: 'true' }, 'redis://127.0.0.1:6379/3', 'REDIS_URL'],
    [{ REDIS_TLS_CA_FILE: '/ca.pem' }, 'redis://127.0.0.1:6379', 'REDIS_TLS_CA_FILE'],
    [{}, 'http://127.0.0.1:6379', 'REDIS_URL'],
  ])('rejects %o with %s, naming %s', (env, url, path) => {
    const error = (() => {
      try {
        redisConnectionSettings(url, env);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual([path]);
  });
});
