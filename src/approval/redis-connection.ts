import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { ConfigError, type ConfigIssue } from '../config/errors.js';

/** A single-node (or primary) client, or a Cluster client: the store and the Stop signals take either. */
export type RedisClient = Redis | Cluster;

/** Where Redis is and how to reach it, from `REDIS_URL` and the settings next to it. */
export interface RedisConnectionSettings {
  /** `redis://` or `rediss://` (TLS), with `user:password@` for an ACL user. */
  url: string;
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
  const tlsCaFile = env['REDIS_TLS_CA_FILE']?.trim() || undefined;
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
  const reconnect = tuning.reconnect ?? true;
  const redisOptions: RedisOptions = {
    ...nodeOptions(settings, readFile),
    maxRetriesPerRequest: tuning.maxRetriesPerRequest,
    ...(reconnect ? {} : { retryStrategy: () => null }),
  };
  if (!settings.cluster) {
    return new Redis({
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
