import { DEFAULT_KEY_PREFIX, keys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/** What protects a stored `dispatched` claim against a crash or failover, for a start-up check. */
export interface RedisDurability {
  appendonly: string;
  appendfsync: string;
  connectedReplicas: number;
  /** Plain-words problems; empty when writes are fsynced on every command or replicated. */
  warnings: string[];
}

/**
 * Whether a `dispatched` claim Redis acknowledged survives any crash: written to an AOF fsynced on every command, on
 * a primary with no replicas a failover could promote without it. Only then may an approved request that nobody
 * started be started by another replica (see `startOrphansAfterMs`): otherwise a lost claim could run a command twice.
 */
export function keepsEveryClaim(durability: RedisDurability | undefined): boolean {
  return (
    durability !== undefined &&
    durability.appendonly === 'yes' &&
    durability.appendfsync === 'always' &&
    durability.connectedReplicas === 0
  );
}

/**
 * Reads the server's persistence settings. Returns undefined when `CONFIG` is not allowed (a locked-down ACL user,
 * as recommended), in which case the operator has to vouch for the settings.
 */
export async function describeRedisDurability(
  redis: RedisClient,
  slotKey: string = keys(DEFAULT_KEY_PREFIX).auditHead,
): Promise<RedisDurability | undefined> {
  try {
    const [, appendonly = ''] = await onSlotNode(redis, slotKey, 'config', 'GET', 'appendonly');
    const [, appendfsync = ''] = await onSlotNode(redis, slotKey, 'config', 'GET', 'appendfsync');
    const connectedReplicas = connectedReplicasOf(await onSlotNode(redis, slotKey, 'info', 'replication'));
    const warnings: string[] = [];
    if (appendonly !== 'yes' && connectedReplicas === 0) {
      warnings.push('Redis has no AOF and no replica: a crash can forget that a request was already dispatched.');
    } else if (appendfsync !== 'always' && connectedReplicas === 0) {
      warnings.push(`Redis fsyncs the AOF "${appendfsync}": up to a second of approvals can be lost in a crash.`);
    }
    return { appendonly, appendfsync, connectedReplicas, warnings };
  } catch {
    return undefined;
  }
}

/** Replies of the keyless commands `onSlotNode` sends. */
interface SlotNodeReplies {
  info: string;
  wait: number;
  config: string[];
}

/**
 * Sends one keyless command to the node that holds `slotKey`. On a cluster a keyless command would go to any node,
 * but `WAIT` only counts replicas of the writes made on its own connection, and the persistence settings that
 * matter are those of the node holding our slot; a pipeline goes to the node of its keys, so an `EXISTS` on the
 * key steers it. On a single node the `EXISTS` only rides along in the same round trip.
 */
export async function onSlotNode<C extends keyof SlotNodeReplies>(
  redis: RedisClient,
  slotKey: string,
  command: C,
  ...args: (string | number)[]
): Promise<SlotNodeReplies[C]> {
  const replies = await redis
    .pipeline()
    .exists(slotKey)
    .call(command, ...args)
    .exec();
  const [error, reply] = replies?.[1] ?? [new Error(`no reply to ${command}`), undefined];
  if (error) throw error;
  return reply as SlotNodeReplies[C];
}

/** `connected_slaves` from an `INFO replication` reply. */
export function connectedReplicasOf(info: string): number {
  return Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
}
