import type { AuditEntry } from '../audit/audit-entry.js';
import type { ApprovalRecord } from './approval-port.js';

/** What one call answered: the code the Lua scripts would return, the record and the audit entry it wrote. */
export interface Reply {
  code: number;
  record: ApprovalRecord | undefined;
  audit: AuditEntry | undefined;
}

/** First replies kept by idempotency key, so a repeated call answers as the first one did (the scripts' replay). */
export class MemoryReplies {
  private readonly replies = new Map<string, { reply: Reply; expiresAtMs: number }>();

  constructor(private readonly ttlMs: number) {}

  replayed(key: string, now: number): Reply | undefined {
    const stored = this.replies.get(key);
    if (stored && stored.expiresAtMs > now) return stored.reply;
    if (stored) this.replies.delete(key);
    return undefined;
  }

  /** Keeps a snapshot of the reply, so a replay answers as the first call did even after later changes. */
  remember(key: string, now: number, reply: Reply): Reply {
    const snapshot: Reply = {
      code: reply.code,
      record: reply.record && structuredClone(reply.record),
      audit: reply.audit,
    };
    this.replies.set(key, { reply: snapshot, expiresAtMs: now + this.ttlMs });
    if (this.replies.size > 10_000) this.dropExpired(now);
    return snapshot;
  }

  private dropExpired(now: number): void {
    for (const [key, stored] of this.replies) if (stored.expiresAtMs <= now) this.replies.delete(key);
  }
}
