import type { ApprovalRecord } from './approval-port.js';

/** Records leave the store as copies, so a caller can never change what is stored. */
export const clone = <T>(value: T): T => structuredClone(value);

/** Ties broken like a Redis sorted set: by member, byte order. */
export function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Requests waiting for approval and not expired, oldest first (the Redis store's expiry-index order). */
export function pendingIn(records: Iterable<ApprovalRecord>, now: number, limit: number): ApprovalRecord[] {
  return [...records]
    .filter((record) => record.state === 'pending_approval' && record.expiresAtMs > now)
    .sort((a, b) => a.createdAtMs - b.createdAtMs || byId(a.id, b.id))
    .slice(0, Math.max(0, limit))
    .map(clone);
}

/** Approved requests not started since `approvedBeforeMs` and not expired, longest waiting first. */
export function waitingForDispatchIn(
  records: Iterable<ApprovalRecord>,
  now: number,
  approvedBeforeMs: number,
  limit: number,
): ApprovalRecord[] {
  return [...records]
    .filter(
      (record) => record.state === 'approved' && record.updatedAtMs <= approvedBeforeMs && record.expiresAtMs > now,
    )
    .sort((a, b) => a.updatedAtMs - b.updatedAtMs || byId(a.id, b.id))
    .slice(0, Math.max(0, limit))
    .map(clone);
}

/** The records `keep` accepts, newest first. */
export function newestFirstIn(
  records: Iterable<ApprovalRecord>,
  keep: (record: ApprovalRecord) => boolean,
  limit: number,
): ApprovalRecord[] {
  return [...records]
    .filter(keep)
    .sort((a, b) => b.createdAtMs - a.createdAtMs)
    .slice(0, Math.max(0, limit))
    .map(clone);
}
