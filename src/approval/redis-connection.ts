import { Redis, type RedisOptions } from 'ioredis';
import { parseRedisUrl, type RedisTarget } from '../config/redis-url.js';

/**
 * A Redis client for REDIS_URL, whichever form it has (see config/redis-url.ts). With Sentinels the client asks them
 * for the primary on every (re)connect, checks the node it reached really is the primary, and follows a
 * `+switch-master` at once instead of waiting for its connection to break.
 * @throws RedisUrlError when the URL cannot be used
 */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  const target = parseRedisUrl(url);
  return target.kind === 'direct'
    ? new Redis(target.url, redisClientOptions(target, options))
    : new Redis(redisClientOptions(target, options));
}

/** The ioredis options for a target (a direct URL's own settings stay in the URL), on top of the caller's. */
export function redisClientOptions(target: RedisTarget, options: RedisOptions = {}): RedisOptions {
  const common: RedisOptions = {
    // A primary demoted to replica answers writes with READONLY: drop the connection so the next attempt finds the
    // new primary. 1 = reconnect without resending: the click that failed is told to try again, never replayed.
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 1 : false),
    ...options,
  };
  if (target.kind === 'direct') return common;
  return {
    sentinels: target.sentinels,
    name: target.masterName,
    role: 'master',
    db: target.db,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.sentinelUsername ? { sentinelUsername: target.sentinelUsername } : {}),
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
    failoverDetector: true,
    // Sentinels are asked on every reconnect; one that does not answer must not hold a click past Slack's 3 s.
    sentinelCommandTimeout: 1_000,
    ...common,
  };
}
