import type { AuditEntry, RawAuditEntry } from './audit-entry.js';

/** Reads the audit chain in append order; what `verifyAuditChain` and `ecs-exec audit export` need. */
export interface AuditReader {
  /** Every stored entry, oldest first. */
  entries(): AsyncIterable<RawAuditEntry>;
  /** The chain head as the appending scripts last recorded it; undefined when nothing was ever written. */
  head(): Promise<{ seq: number; hash: string } | undefined>;
}

/** Receives each audit entry once it is stored (JSON log lines, the audit channel summary). */
export type AuditSink = (entry: AuditEntry) => void;
