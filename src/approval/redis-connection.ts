import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { ConfigError, type ConfigIssue } from '../config/errors.js';
import { isSentinelUrl, parseRedisUrl, type RedisTarget, RedisUrlError } from '../config/redis-url.js';

/** A single-node (or primary) client, or a Cluster client: the store and the Stop signals take either. */
export type RedisClient = Redis | Cluster;

/** Where Redis is and how to reach it, from `REDIS_URL` and the settings next to it. */
export interface RedisConnectionSettings {
  /**
   * `redis://` or `rediss://` (TLS), with `user:password@` for an ACL user; or `redis+sentinel://` naming Sentinels
   * and the master they watch (see config/redis-url.ts).
   */
  url: string;
  /** Set for a Sentinel URL: the client asks the Sentinels where the primary is. */
  sentinel?: Extract<RedisTarget, { kind: 'sentinel' }>;
  /** `REDIS_CLUSTER=true`: the URL names one node (or the configuration endpoint) of a Redis Cluster. */
  cluster: boolean;
  /** `REDIS_TLS_CA_FILE`: PEM bundle that signed the server's certificate, when it is not a public CA. */
  tlsCaFile: string | undefined;
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no', '']);

/**
 * Reads the connection settings that sit next to `REDIS_URL` (`REDIS_CLUSTER`, `REDIS_TLS_CA_FILE`) from the
 * environment the caller passes in.
 * @throws ConfigError naming every variable that is wrong
 */
export function redisConnectionSettings(url: string, env: Record<string, string | undefined>): RedisConnectionSettings {
  const issues: ConfigIssue[] = [];
  const clusterText = (env['REDIS_CLUSTER'] ?? '').trim().toLowerCase();
  if (!TRUE.has(clusterText) && !FALSE.has(clusterText)) {
    issues.push({ path: 'REDIS_CLUSTER', message: 'must be true or false' });
  }
  const cluster = TRUE.has(clusterText);
  const tlsCaFileSetting = env['REDIS_TLS_CA_FILE']?.trim() || undefined;
  if (isSentinelUrl(url)) {
    let sentinel: RedisConnectionSettings['sentinel'];
    try {
      const target = parseRedisUrl(url);
      if (target.kind === 'sentinel') sentinel = target;
    } catch (error) {
      if (!(error instanceof RedisUrlError)) throw error;
      issues.push({ path: 'REDIS_URL', message: error.message });
    }
    if (cluster) issues.push({ path: 'REDIS_CLUSTER', message: 'a Sentinel URL names one primary, not a cluster' });
    if (tlsCaFileSetting && sentinel && !sentinel.tls) {
      issues.push({ path: 'REDIS_TLS_CA_FILE', message: 'is set but REDIS_URL is not rediss+sentinel:// (TLS)' });
    }
    if (issues.length > 0 || !sentinel) throw new ConfigError(issues);
    return { url, cluster: false, tlsCaFile: tlsCaFileSetting, sentinel };
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    issues.push({ path: 'REDIS_URL', message: 'must be a redis:// or rediss:// URL' });
  }
  if (parsed && parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    issues.push({ path: 'REDIS_URL', message: 'must be a redis:// or rediss:// URL' });
  }
  // A cluster has only database 0; a URL that picks another would silently write somewhere else on a single node.
  if (parsed && cluster && !['', '/', '/0'].includes(parsed.pathname)) {
    issues.push({ path: 'REDIS_URL', message: 'a Redis Cluster has only database 0; drop the /<db> from the URL' });
  }
  const tlsCaFile = tlsCaFileSetting;
  if (tlsCaFile && parsed?.protocol === 'redis:') {
    issues.push({ path: 'REDIS_TLS_CA_FILE', message: 'is set but REDIS_URL is not rediss:// (TLS)' });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { url, cluster, tlsCaFile };
}

/** Client behaviour the caller chooses: the bot fails fast, the CLI tries once. */
export interface RedisClientTuning {
  maxRetriesPerRequest: number;
  enableOfflineQueue: boolean;
  /** Off: no reconnects at all (a CLI run). */
  reconnect?: boolean;
}

/**
 * A primary demoted to replica answers writes with READONLY: drop the connection so the next attempt finds the new
 * primary. 1 = reconnect without resending: the click that failed is told to try again, never replayed.
 */
function primaryDemoted(error: Error): 1 | false {
  return error.message.startsWith('READONLY') ? 1 : false;
}

/**
 * Sentinel mode: the client asks the Sentinels for the primary on every (re)connect, checks the node it reached
 * really is the primary, and follows a `+switch-master` at once instead of waiting for its connection to break.
 */
function sentinelOptions(
  settings: RedisConnectionSettings,
  target: Extract<RedisTarget, { kind: 'sentinel' }>,
  tuning: RedisClientTuning,
  readFile: (path: string) => string,
): RedisOptions {
  const tls: ConnectionOptions = settings.tlsCaFile ? { ca: readFile(settings.tlsCaFile) } : {};
  return {
    sentinels: target.sentinels,
    name: target.masterName,
    role: 'master',
    db: target.db,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.sentinelUsername ? { sentinelUsername: target.sentinelUsername } : {}),
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    ...(target.tls ? { tls, sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
    failoverDetector: true,
    // Sentinels are asked on every reconnect; one that does not answer must not hold a click past Slack's 3 s.
    sentinelCommandTimeout: 1_000,
    reconnectOnError: primaryDemoted,
    maxRetriesPerRequest: tuning.maxRetriesPerRequest,
    enableOfflineQueue: tuning.enableOfflineQueue,
    lazyConnect: true,
    ...((tuning.reconnect ?? true) ? {} : { retryStrategy: () => null, sentinelRetryStrategy: () => null }),
  };
}

/** The node options shared by both client kinds: credentials, database, TLS. */
function nodeOptions(settings: RedisConnectionSettings, readFile: (path: string) => string): RedisOptions {
  const url = new URL(settings.url);
  const options: RedisOptions = {};
  if (url.username) options.username = decodeURIComponent(url.username);
  if (url.password) options.password = decodeURIComponent(url.password);
  const db = Number(url.pathname.slice(1) || '0');
  if (db > 0) options.db = db;
  if (url.protocol === 'rediss:') {
    const tls: ConnectionOptions = {};
    if (settings.tlsCaFile) tls.ca = readFile(settings.tlsCaFile);
    options.tls = tls;
  }
  return options;
}

/** Host and port of the URL; IPv6 literals come bracketed from `URL`. */
function endpoint(settings: RedisConnectionSettings): { host: string; port: number } {
  const url = new URL(settings.url);
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || '6379') };
}

/**
 * Builds the client (not yet connected: call `connect()`). For a cluster, ioredis follows `MOVED` and `ASK`
 * itself and re-reads the slot map after a failover; every script touches one hash slot (see `hashTagged` in
 * keys.ts), so each runs on the node that owns it.
 */
export function createRedisClient(
  settings: RedisConnectionSettings,
  tuning: RedisClientTuning,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): RedisClient {
  if (settings.sentinel) return new Redis(sentinelOptions(settings, settings.sentinel, tuning, readFile));
  const reconnect = tuning.reconnect ?? true;
  const redisOptions: RedisOptions = {
    ...nodeOptions(settings, readFile),
    maxRetriesPerRequest: tuning.maxRetriesPerRequest,
    ...(reconnect ? {} : { retryStrategy: () => null }),
  };
  if (!settings.cluster) {
    return new Redis({
      reconnectOnError: primaryDemoted,
      ...endpoint(settings),
      ...redisOptions,
      enableOfflineQueue: tuning.enableOfflineQueue,
      lazyConnect: true,
    });
  }
  const options: ClusterOptions = {
    redisOptions,
    enableOfflineQueue: tuning.enableOfflineQueue,
    lazyConnect: true,
    // ElastiCache with TLS announces nodes by the names their certificates carry; resolving them to IPs first
    // would make every TLS handshake fail on the host name check, so the name goes to the socket as it is.
    dnsLookup: (address, callback) => callback(null, address),
    ...(reconnect ? {} : { clusterRetryStrategy: () => null }),
  };
  return new Cluster([endpoint(settings)], options);
}

/** Whether the client speaks to a Redis Cluster. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}
