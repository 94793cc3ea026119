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
  /** One task of a fan-out ran (detail: task id, status, exit code, output digest); outcome is the task's status. */
  TaskRun: 'task_run',
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
  // Chain version 3 on: the policy version the request was decided with (see `policyVersion`).
  'policy',
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
  /**
   * The version of the policy the request was decided with (`sha256:...`, see policy-version.ts); a rejection's is
   * the policy that refused it. Absent on entries written before chain version 3.
   */
  policyVersion?: string;
  streamId?: string;
}

/**
 * The chain version of new entries. Version 1 (no `chain` field): SHA-1 over the fields up to `detail`. Version 2:
 * SHA-256 over `chain=1:2\n` followed by the same fields. Version 3: SHA-256 over `chain=1:3\n`, the same fields
 * and `policy`. An entry carries its version, so a chain that began under an older version verifies whole after the
 * change, and since the version is hashed an entry cannot be passed off as another kind.
 */
export const AUDIT_CHAIN_VERSION = '3';

/** The fields each chain version hashes, after its `chain` field (none for version 1). */
function hashedFields(chain: string | undefined): readonly string[] {
  return chain === undefined || chain === '2' ? AUDIT_FIELDS.filter((name) => name !== 'policy') : AUDIT_FIELDS;
}

/**
 * The bytes an entry's chain hash covers: its `chain` version when it has one, then every field in `AUDIT_FIELDS`
 * order, each as `name=<byte length>:<value>\n`. Length prefixes make the encoding unambiguous whatever the values
 * contain (newlines, `=`), and it is trivial to produce identically in Lua.
 */
export function canonicalAuditBytes(fields: Readonly<Record<string, string>>): Buffer {
  const parts: Buffer[] = [];
  const chain = fields['chain'];
  const names = chain === undefined ? hashedFields(chain) : ['chain', ...hashedFields(chain)];
  for (const name of names) {
    const value = Buffer.from(fields[name] ?? '', 'utf8');
    parts.push(Buffer.from(`${name}=${value.length}:`, 'utf8'), value, Buffer.from('\n', 'utf8'));
  }
  return Buffer.concat(parts);
}

/**
 * The chain hash of an entry, by its version: SHA-256 for version 2, SHA-1 for the entries written before it (no
 * `chain` field). An unknown version has no hash, so it never verifies.
 *
 * The Lua scripts compute the same hash while appending (a transition never exists without its entry); Redis's Lua
 * has no SHA-256, so `scripts/includes/sha256.lua` implements it. An attacker who can rewrite Redis can recompute
 * any chain whatever the hash, which is why entries also go out as JSON log lines and the Redis ACL forbids deleting
 * audit keys.
 */
export function auditLinkHash(fields: Readonly<Record<string, string>>): string {
  const chain = fields['chain'];
  if (chain === undefined) return createHash('sha1').update(canonicalAuditBytes(fields)).digest('hex');
  if (chain === '2' || chain === '3') return createHash('sha256').update(canonicalAuditBytes(fields)).digest('hex');
  return '';
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
  if (field('policy') !== '') entry.policyVersion = field('policy');
  if (raw.streamId !== undefined) entry.streamId = raw.streamId;
  return entry;
}

/** Turns a flat `[name, value, name, value, ...]` reply (XRANGE, Lua) into a field map. */
export function fieldsFromFlat(flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
  return fields;
}
