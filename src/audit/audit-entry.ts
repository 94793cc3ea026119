import { createHash } from 'node:crypto';

/** What happened, one word per kind of audit entry. */
export const AuditAction = {
  Create: 'create',
  Reject: 'reject',
  Card: 'card',
  Approve: 'approve',
  Deny: 'deny',
  Cancel: 'cancel',
  BreakGlass: 'break_glass',
  Expire: 'expire',
  Dispatch: 'dispatch',
  Running: 'running',
  Finish: 'finish',
  /** Someone asked to stop a run (outcome `ok`) or was refused (outcome `refused`). */
  Stop: 'stop',
  /** Approvers were reminded of a request waiting for them (detail.stage: `remind` or `escalate`). */
  Remind: 'remind',
} as const;
/** One of the audit actions. */
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

/**
 * Stream fields in the order they are hashed. The Lua include `scripts/includes/audit.lua` keeps its own copy of
 * this list; `test/unit/audit` checks the two agree.
 */
export const AUDIT_FIELDS = [
  'seq',
  'prev',
  'at',
  'requestId',
  'action',
  'actor',
  'from',
  'to',
  'version',
  'outcome',
  'detail',
] as const;
/** One of the hashed stream fields. */
export type AuditField = (typeof AUDIT_FIELDS)[number];

/** The link before the first entry. */
export const GENESIS_HASH = '0'.repeat(40);

/** An audit entry as stored: string fields plus the chain hash (and the stream id when read from Redis). */
export interface RawAuditEntry {
  fields: Readonly<Record<string, string>>;
  streamId?: string;
}

/** A parsed audit entry: who did what to which request, when, with which result. */
export interface AuditEntry {
  seq: number;
  /** Chain hash of the previous entry (`GENESIS_HASH` for the first). */
  prev: string;
  hash: string;
  atMs: number;
  requestId: string;
  action: AuditAction;
  /** Slack user id, or the replica that acted (dispatcher, sweeper). */
  actor: string;
  from: string;
  to: string;
  version: number;
  /** `ok`, or the refusal (`self_approval`, `expired`, ...). */
  outcome: string;
  detail: Readonly<Record<string, unknown>>;
  streamId?: string;
}

/**
 * The bytes an entry's chain hash covers: every field in `AUDIT_FIELDS` order as `name=<byte length>:<value>\n`.
 * Length prefixes make the encoding unambiguous whatever the values contain (newlines, `=`), and it is trivial
 * to produce identically in Lua.
 */
export function canonicalAuditBytes(fields: Readonly<Record<string, string>>): Buffer {
  const parts: Buffer[] = [];
  for (const name of AUDIT_FIELDS) {
    const value = Buffer.from(fields[name] ?? '', 'utf8');
    parts.push(Buffer.from(`${name}=${value.length}:`, 'utf8'), value, Buffer.from('\n', 'utf8'));
  }
  return Buffer.concat(parts);
}

/**
 * The chain hash: SHA-1 over the canonical bytes, which include `prev`.
 *
 * Why SHA-1 and not SHA-256: the entry is appended by the same Lua script as the state change (so a transition can
 * never exist without its entry), and Redis's Lua only offers `redis.sha1hex`. A pure-Lua SHA-256 would hold Redis's
 * single thread for about a millisecond per entry, and hashing in Node would need a compare-and-set on one global
 * chain head, serialising every replica's transitions behind retries. The chain's job is to expose removal or
 * in-place edits; defeating it by substitution needs a second preimage for a given hash, which SHA-1 still resists
 * (the known attacks are collisions where the attacker writes both messages). An attacker who can rewrite Redis can
 * recompute any chain whatever the hash, which is why entries also go out as JSON log lines and the Redis ACL forbids
 * deleting audit keys. Payload digests inside entries (binding, output) stay SHA-256.
 */
export function auditLinkHash(fields: Readonly<Record<string, string>>): string {
  return createHash('sha1').update(canonicalAuditBytes(fields)).digest('hex');
}

/** Parses a stored entry; `detail` that is not a JSON object becomes `{ raw }` rather than failing the reader. */
export function toAuditEntry(raw: RawAuditEntry): AuditEntry {
  const field = (name: string): string => raw.fields[name] ?? '';
  let detail: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(field('detail') || '{}');
    detail =
      parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : { raw: field('detail') };
  } catch {
    detail = { raw: field('detail') };
  }
  const entry: AuditEntry = {
    seq: Number(field('seq')),
    prev: field('prev'),
    hash: field('hash'),
    atMs: Number(field('at')),
    requestId: field('requestId'),
    action: field('action') as AuditAction,
    actor: field('actor'),
    from: field('from'),
    to: field('to'),
    version: Number(field('version')),
    outcome: field('outcome'),
    detail,
  };
  if (raw.streamId !== undefined) entry.streamId = raw.streamId;
  return entry;
}

/** Turns a flat `[name, value, name, value, ...]` reply (XRANGE, Lua) into a field map. */
export function fieldsFromFlat(flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
  return fields;
}
