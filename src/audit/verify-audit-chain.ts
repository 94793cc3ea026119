import { auditLinkHash, GENESIS_HASH } from './audit-entry.js';
import type { AuditReader } from './audit-port.js';

/** What kind of damage the verifier found. */
export const ChainProblemKind = {
  /** An entry's fields no longer match its own hash. */
  Altered: 'altered',
  /** An entry was rewritten together with its hash: the next entry links to something else. */
  Rewritten: 'rewritten',
  /** Sequence numbers jump, or the head says more entries were written than the stream holds. */
  Missing: 'missing',
  /** Sequence numbers go backwards or repeat. */
  OutOfOrder: 'out_of_order',
} as const;
export type ChainProblemKind = (typeof ChainProblemKind)[keyof typeof ChainProblemKind];

/** The first broken link, described so an auditor can find it. */
export interface ChainProblem {
  kind: ChainProblemKind;
  /** Sequence number of the first missing or damaged entry. */
  seq: number;
  streamId?: string;
  message: string;
}

/** Result of walking the chain. */
export type ChainVerification =
  | { ok: true; entries: number; headHash: string }
  | { ok: false; entries: number; problem: ChainProblem };

/** Walks the chain from the first entry and reports the first missing, altered or rewritten entry. */
export async function verifyAuditChain(reader: AuditReader): Promise<ChainVerification> {
  let expectedSeq = 1;
  let expectedPrev = GENESIS_HASH;
  let previousStreamId: string | undefined;
  let checked = 0;
  const broken = (problem: ChainProblem): ChainVerification => ({ ok: false, entries: checked, problem });
  const where = (streamId: string | undefined): { streamId?: string } => (streamId ? { streamId } : {});

  for await (const raw of reader.entries()) {
    const seq = Number(raw.fields['seq']);
    const label = raw.streamId ? ` (stream id ${raw.streamId})` : '';
    if (auditLinkHash(raw.fields) !== raw.fields['hash']) {
      return broken({
        kind: 'altered',
        seq,
        ...where(raw.streamId),
        message: `entry ${seq}${label} was altered: its content does not match its hash`,
      });
    }
    if (!Number.isSafeInteger(seq) || seq < expectedSeq) {
      return broken({
        kind: 'out_of_order',
        seq,
        ...where(raw.streamId),
        message: `entry ${raw.fields['seq']}${label} is out of order: expected entry ${expectedSeq}`,
      });
    }
    if (seq > expectedSeq) {
      const range = seq - 1 === expectedSeq ? `entry ${expectedSeq} is` : `entries ${expectedSeq}-${seq - 1} are`;
      return broken({
        kind: 'missing',
        seq: expectedSeq,
        ...where(raw.streamId),
        message: `${range} missing (found entry ${seq}${label} next)`,
      });
    }
    if (raw.fields['prev'] !== expectedPrev) {
      return broken({
        kind: 'rewritten',
        seq: seq - 1,
        ...where(previousStreamId),
        message: `entry ${seq - 1}${previousStreamId ? ` (stream id ${previousStreamId})` : ''} was rewritten: entry ${seq} links to a different hash`,
      });
    }
    expectedPrev = raw.fields['hash'] ?? '';
    previousStreamId = raw.streamId;
    expectedSeq = seq + 1;
    checked += 1;
  }

  const head = await reader.head();
  const lastSeq = expectedSeq - 1;
  if (head && head.seq > lastSeq) {
    const range = head.seq === expectedSeq ? `entry ${expectedSeq} is` : `entries ${expectedSeq}-${head.seq} are`;
    return broken({
      kind: 'missing',
      seq: expectedSeq,
      message: `${range} missing at the end (the chain head records ${head.seq} entries)`,
    });
  }
  if (head && head.hash !== expectedPrev) {
    return broken({
      kind: 'rewritten',
      seq: lastSeq,
      ...where(previousStreamId),
      message: `entry ${lastSeq} was rewritten: the chain head records a different hash`,
    });
  }
  return { ok: true, entries: checked, headHash: expectedPrev };
}
