/**
 * REDIS_URL in its two forms:
 *
 *   redis://[[user]:password@]host[:port][/db]          one Redis (rediss:// for TLS)
 *   redis+sentinel://[[user]:password@]host[:port][,host[:port]…]/master-name[/db][?sentinelPassword=…]
 *
 * The second names Redis Sentinels and the master they watch: the bot asks the Sentinels where the primary is,
 * and asks again after a failover. `rediss+sentinel://` uses TLS towards Redis and the Sentinels. The credentials
 * in the URL are Redis's; Sentinels with a password of their own take `sentinelUsername`/`sentinelPassword`.
 * `redis-sentinel://` (Lettuce's spelling) is accepted as well.
 */
export type RedisTarget =
  | { kind: 'direct'; url: string }
  | {
      kind: 'sentinel';
      sentinels: { host: string; port: number }[];
      masterName: string;
      username?: string;
      password?: string;
      sentinelUsername?: string;
      sentinelPassword?: string;
      db: number;
      tls: boolean;
    };

/** A REDIS_URL that cannot be used; the message never repeats the URL, which may carry a password. */
export class RedisUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export const DEFAULT_SENTINEL_PORT = 26_379;

const DIRECT = /^rediss?:\/\/\S+$/;
const SENTINEL = /^(rediss?)(?:\+|-)sentinel:\/\/(?:([^@/?#]*)@)?([^/?#]+)\/([^/?#]+)(?:\/(\d+))?\/?(?:\?([^#]*))?$/;
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;
const SENTINEL_OPTIONS = new Set(['sentinelUsername', 'sentinelPassword']);

/** Whether the text looks like a Sentinel URL (so a broken one is explained as such). */
export function isSentinelUrl(text: string): boolean {
  return /^rediss?(?:\+|-)sentinel:\/\//.test(text);
}

/**
 * Reads REDIS_URL.
 * @throws RedisUrlError naming what is wrong, never quoting the URL
 */
export function parseRedisUrl(text: string): RedisTarget {
  if (!isSentinelUrl(text)) {
    if (!DIRECT.test(text)) {
      throw new RedisUrlError('must be a redis:// or rediss:// URL, or redis+sentinel://host:port,…/master-name');
    }
    return { kind: 'direct', url: text };
  }
  const match = SENTINEL.exec(text);
  if (!match) {
    throw new RedisUrlError(
      'a Sentinel URL is written redis+sentinel://[user:password@]host:port[,host:port…]/master-name[/db]',
    );
  }
  const [, scheme, userinfo, hostList = '', masterName = '', db, query] = match;
  const sentinels = hostList.split(',').map((entry) => {
    const hostPort = HOST_PORT.exec(entry.trim());
    const port = Number(hostPort?.[2] ?? DEFAULT_SENTINEL_PORT);
    if (!hostPort?.[1] || port < 1 || port > 65_535) {
      throw new RedisUrlError('every Sentinel must be host or host:port (port 1-65535), separated by commas');
    }
    return { host: hostPort[1].replace(/^\[|\]$/g, ''), port };
  });
  const target: RedisTarget = {
    kind: 'sentinel',
    sentinels,
    masterName: decode(masterName, 'the master name'),
    db: Number(db ?? 0),
    tls: scheme === 'rediss',
  };
  if (userinfo) {
    const colon = userinfo.indexOf(':');
    const username = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), 'the user name');
    const password = colon < 0 ? '' : decode(userinfo.slice(colon + 1), 'the password');
    // Read as ioredis reads redis://: "user@" is a user name only, ":password@" a password only.
    if (username) target.username = username;
    if (password) target.password = password;
  }
  for (const [key, value] of new URLSearchParams(query ?? '')) {
    if (!SENTINEL_OPTIONS.has(key)) {
      throw new RedisUrlError(`unknown Sentinel URL option "${key}" (known: ${[...SENTINEL_OPTIONS].join(', ')})`);
    }
    if (key === 'sentinelUsername') target.sentinelUsername = value;
    else target.sentinelPassword = value;
  }
  return target;
}

/** Where the bot's Redis is, for logs and error messages: hosts and master name, never credentials. */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.kind === 'sentinel') {
    const hosts = target.sentinels.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`);
    return `master "${target.masterName}" via Sentinels ${hosts.join(',')}`;
  }
  try {
    return new URL(target.url).host;
  } catch {
    return 'the configured Redis';
  }
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new RedisUrlError(`${what} in the Sentinel URL is not valid percent-encoding`);
  }
}
