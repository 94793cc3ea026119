import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './redis-connection.js';

/** What one copy run did. */
export interface MigrateKeysReport {
  /** Keys copied to the new prefix. */
  copied: number;
  /** Keys whose copy already existed (an earlier run, or the bot already wrote it): left as they are. */
  alreadyThere: number;
  /** Keys that expired between being listed and being read. */
  vanished: number;
}

/** SCAN MATCH is a glob: the prefix must match itself only. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}

/**
 * Copies every key under `from` to the same name under `to`, value and remaining TTL included (DUMP + RESTORE, so
 * streams keep their entry ids and the audit chain verifies unchanged). Keys are never deleted or overwritten: a
 * second run copies nothing, and a key the bot has already written under `to` wins. Run it with the bot stopped, with
 * a user that may SCAN, PTTL, DUMP and RESTORE (the bot's own ACL user may not).
 * @throws when `from` and `to` are equal or one contains the other, so a run could copy its own copies
 */
export async function migrateKeys(
  redis: RedisClient,
  from: string,
  to: string,
  onProgress: (report: MigrateKeysReport) => void = () => {},
): Promise<MigrateKeysReport> {
  if (from === '' || to === '' || from.startsWith(to) || to.startsWith(from)) {
    throw new Error(`--from "${from}" and --to "${to}" must be different and neither may start with the other`);
  }
  const report: MigrateKeysReport = { copied: 0, alreadyThere: 0, vanished: 0 };
  // SCAN walks one node; on a cluster the old keys (spread over every slot) sit on all primaries.
  const nodes: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', `${escapeGlob(from)}*`, 'COUNT', 500);
      cursor = next;
      for (const key of found) await copyKey(redis, key, `${to}${key.slice(from.length)}`, report);
      onProgress(report);
    } while (cursor !== '0');
  }
  return report;
}

async function copyKey(redis: RedisClient, key: string, target: string, report: MigrateKeysReport): Promise<void> {
  // One round trip to the key's node, so the TTL and the value are read together.
  const replies = await redis.pipeline().pttl(key).dumpBuffer(key).exec();
  const [ttlError, ttl] = replies?.[0] ?? [];
  const [dumpError, dump] = replies?.[1] ?? [];
  if (ttlError) throw ttlError;
  if (dumpError) throw dumpError;
  if (!(dump instanceof Buffer) || typeof ttl !== 'number' || ttl === -2) {
    report.vanished += 1;
    return;
  }
  try {
    // PTTL -1 means no expiry, which RESTORE spells 0; no REPLACE, so nothing already under `to` is overwritten.
    await redis.restore(target, ttl === -1 ? 0 : ttl, dump);
    report.copied += 1;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('BUSYKEY')) report.alreadyThere += 1;
    else throw error;
  }
}
