import { fieldsFromFlat } from '../audit/audit-entry.js';
import type { AuditReader } from '../audit/audit-port.js';
import type { ApprovalKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/** Reads an audit chain stored by the scripts: the stream in pages, and the chain head hash. */
export function createRedisAuditReader(
  redis: RedisClient,
  keySet: Pick<ApprovalKeys, 'auditStream' | 'auditHead'>,
): AuditReader {
  return {
    async *entries() {
      let start = '-';
      for (;;) {
        const page = await redis.xrange(keySet.auditStream, start, '+', 'COUNT', 500);
        for (const [streamId, flat] of page) yield { streamId, fields: fieldsFromFlat(flat) };
        if (page.length < 500) return;
        start = `(${page[page.length - 1]?.[0]}`;
      }
    },
    async head() {
      const head = await redis.hgetall(keySet.auditHead);
      if (!head['seq']) return undefined;
      return { seq: Number(head['seq']), hash: head['hash'] ?? '' };
    },
  };
}
