/** A `{…}` hash tag: Redis Cluster hashes only what is inside the first braces with something in them. */
const HASH_TAG = /\{[^}]+\}/;

/**
 * The prefix as the keys carry it: inside a `{…}` hash tag, so every key of one deployment lands in one hash slot
 * and each script (which touches the request, its indexes and the audit chain at once) runs on a Redis Cluster
 * without CROSSSLOT. A prefix that already has a tag is kept; otherwise its text is wrapped: `ecs-exec:` becomes
 * `{ecs-exec}:`, `test:<uuid>:` becomes `{test:<uuid>}:`.
 */
export function hashTagged(prefix: string): string {
  if (HASH_TAG.test(prefix)) return prefix;
  const body = prefix.endsWith(':') ? prefix.slice(0, -1) : prefix;
  if (body === '') throw new Error('the Redis key prefix must not be empty');
  return `{${body}}:`;
}

/**
 * Every Redis key the approval store and the audit chain use, under one hash-tagged prefix (see `hashTagged`).
 * Production passes `{ecs-exec}:`; tests pass `test:<uuid>:` so each test owns its keys and can delete them
 * afterwards.
 */
export function keys(untagged: string) {
  const prefix = hashTagged(untagged);
  return {
    prefix,
    request: (id: string): string => `${prefix}req:${id}`,
    /** One per call; `scope` is the request id (or `create`) so keys from different requests never meet. */
    idempotency: (verb: string, scope: string, key: string): string => `${prefix}idem:${verb}:${scope}:${key}`,
    auditStream: `${prefix}audit:stream`,
    auditHead: `${prefix}audit:head`,
    /** Requests still waiting (for approval or dispatch), scored by expiry ms. */
    expiryIndex: `${prefix}idx:expiry`,
    /** Requests dispatched or running, scored by the ms of their last sign of progress. */
    inflightIndex: `${prefix}idx:inflight`,
    byRequester: (userId: string): string => `${prefix}idx:requester:${userId}`,
    recentIndex: `${prefix}idx:recent`,
    /** "Already done" markers of events recorded once (a reminder), set with NX by the first replica. */
    marker: (name: string): string => `${prefix}once:${name}`,
    /** The pub/sub channel of Stop signals; the remembered stop of a run is `<channel>:stop:<id>`. */
    runSignals: `${prefix}run-signals`,
    /** A signed Slack request already handled, remembered for the replay window. */
    replay: (digest: string): string => `${prefix}replay:${digest}`,
  } as const;
}

/** The key set for one prefix. */
export type ApprovalKeys = ReturnType<typeof keys>;

/**
 * Prefix used outside tests. Releases before the hash tag used `ecs-exec:`; `ecs-exec redis migrate-keys` copies
 * such keys over.
 */
export const DEFAULT_KEY_PREFIX = '{ecs-exec}:';

/**
 * Redis ACL rules for the bot's user: its own keys only, and only the commands the store and its scripts use.
 * Nothing that deletes or trims (`DEL`, `XDEL`, `XTRIM`, `FLUSH*`), no `CONFIG SET`, no `SCRIPT FLUSH`: the audit
 * stream can only grow. Use as `ACL SETUSER ecs-exec on >secret <rules...>`.
 */
export function recommendedAclRules(untagged: string = DEFAULT_KEY_PREFIX): string[] {
  const prefix = hashTagged(untagged);
  return [
    'resetkeys',
    'resetchannels',
    `~${prefix}*`,
    '-@all',
    // Client housekeeping ioredis does on connect, and the durability check.
    '+ping',
    '+info',
    '+select',
    '+client|setname',
    '+config|get',
    '+wait',
    // A Cluster client checks the cluster state on connect and reads the slot map then and after MOVED or a failover.
    '+cluster|info',
    '+cluster|slots',
    // Running the transition scripts.
    '+eval',
    '+evalsha',
    '+script|load',
    // What the scripts call and the store reads.
    '+exists',
    '+get',
    '+set',
    '+hget',
    '+hmget',
    '+hset',
    '+hgetall',
    '+hincrby',
    '+zadd',
    '+zrem',
    '+zrangebyscore',
    '+zscore',
    '+zrevrange',
    '+xadd',
    '+xrange',
    // Stop signals between replicas (pub/sub on a channel under the same prefix).
    `&${prefix}*`,
    '+publish',
    '+subscribe',
    '+unsubscribe',
  ];
}
