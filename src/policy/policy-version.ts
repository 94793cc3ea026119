import { createHash } from 'node:crypto';
import { canonicalJson } from '../shared/canonical-json.js';
import type { PolicyConfig } from './policy-config.js';

/**
 * A stable identifier of the normalised policy (defaults filled, durations in ms): comments, key order and
 * formatting of the file do not change it, any change of meaning does. Approval digests include it, so an approval
 * given under one policy cannot be used under another.
 */
export function policyVersion(policy: PolicyConfig): string {
  return `sha256:${createHash('sha256').update(canonicalJson(policy)).digest('hex')}`;
}
