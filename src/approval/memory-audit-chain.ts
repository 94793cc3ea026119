import {
  AUDIT_CHAIN_VERSION,
  AUDIT_FIELDS,
  type AuditEntry,
  auditLinkHash,
  GENESIS_HASH,
  type RawAuditEntry,
  toAuditEntry,
} from '../audit/audit-entry.js';
import type { AuditReader } from '../audit/audit-port.js';
import type { ApprovalRecord, RequestState } from './approval-port.js';
import { ApprovalErrorCode, OUTCOME_BY_CODE } from './errors.js';
import type { Reply } from './memory-replies.js';

/** Who is acting on which request, and when: what every audit entry of one call shares. */
export interface CallContext {
  id: string;
  actor: string;
  action: AuditEntry['action'];
  now: number;
  /** The policy version for the audit entry when it is not the stored request's (a rejection, an event). */
  policy?: string;
  /** Where a click came from when it is not a card (`home`); recorded in the entry's detail. */
  origin?: string;
}

/**
 * The in-process audit chain: the same entries, hashes and links as the Lua scripts append to the stream. Every
 * change to a request is made here together with its entry, as each script does in one step.
 */
export class MemoryAuditChain {
  private readonly chain: RawAuditEntry[] = [];
  private head: { seq: number; hash: string } | undefined;

  /** `policyOf` gives the policy version a stored request was decided with, for the entries about it. */
  constructor(private readonly policyOf: (requestId: string) => string | undefined) {}

  /** Reads the chain as it is when read. */
  reader(): AuditReader {
    const chain = this.chain;
    return {
      async *entries() {
        for (const entry of [...chain]) yield { fields: { ...entry.fields } };
      },
      head: async () => (this.head ? { ...this.head } : undefined),
    };
  }

  append(
    ctx: CallContext,
    change: { from: string; to: string; version: number; outcome: string; detail: Record<string, unknown> },
  ): AuditEntry {
    const seq = (this.head?.seq ?? 0) + 1;
    const values: Record<string, string> = {
      seq: String(seq),
      prev: this.head?.hash ?? GENESIS_HASH,
      at: String(ctx.now),
      requestId: ctx.id,
      action: ctx.action,
      actor: ctx.actor,
      from: change.from,
      to: change.to,
      version: String(change.version),
      outcome: change.outcome,
      detail: JSON.stringify(ctx.origin ? { ...change.detail, origin: ctx.origin } : change.detail),
      policy: ctx.policy ?? this.policyOf(ctx.id) ?? '',
    };
    const fields: Record<string, string> = { chain: AUDIT_CHAIN_VERSION };
    for (const name of AUDIT_FIELDS) fields[name] = values[name] ?? '';
    fields['hash'] = auditLinkHash(fields);
    this.chain.push({ fields });
    this.head = { seq, hash: fields['hash'] };
    return toAuditEntry({ fields });
  }

  expireNow(ctx: CallContext, record: ApprovalRecord): Reply {
    return this.commit(ctx, record, 'expired', {}, {}, ApprovalErrorCode.Expired, 'expired');
  }

  commit(
    ctx: CallContext,
    record: ApprovalRecord,
    to: RequestState,
    changes: Partial<ApprovalRecord>,
    detail: Record<string, unknown>,
    code: number,
    outcome = 'ok',
  ): Reply {
    const from = record.state;
    Object.assign(record, changes, { state: to, version: record.version + 1, updatedAtMs: ctx.now });
    const audit = this.append(ctx, { from, to, version: record.version, outcome, detail });
    return { code, record, audit };
  }

  refuse(
    ctx: CallContext,
    record: ApprovalRecord | undefined,
    code: number,
    audited: boolean,
    detail: Record<string, unknown> = {},
  ): Reply {
    const outcome = OUTCOME_BY_CODE[code as keyof typeof OUTCOME_BY_CODE] ?? 'refused';
    const audit = audited
      ? this.append(ctx, {
          from: record?.state ?? '',
          to: record?.state ?? '',
          version: record?.version ?? 0,
          outcome,
          detail,
        })
      : undefined;
    return { code, record, audit };
  }
}
