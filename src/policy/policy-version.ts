import { createHash } from 'node:crypto';
import type { PolicyConfig } from '../config/schema.js';

/** JSON with object keys sorted at every level, so the same policy always serialises to the same bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A stable identifier of the normalised policy (defaults filled, durations in ms): comments, key order and
 * formatting of the file do not change it, any change of meaning does. Approval digests include it, so an approval
 * given under one policy cannot be used under another.
 */
export function policyVersion(policy: PolicyConfig): string {
  return `sha256:${createHash('sha256').update(canonicalJson(policy)).digest('hex')}`;
}
