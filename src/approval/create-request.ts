import { redactText } from '../output/redacting-logger.js';
import type { ApprovalRecord, CreateRequestInput, RequestState, RunResult } from './approval-port.js';
import { bindingDigest } from './binding-digest.js';

/** How long a call's first reply is kept for replays (ioredis resends, Slack retries): ten minutes. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 600_000;

/** Throws on inputs no rule could have produced; these are programming errors, not user errors. */
export function assertCreateInput(input: CreateRequestInput): void {
  if (!(Number.isFinite(input.ttlMs) && input.ttlMs > 0)) throw new RangeError('ttlMs must be a positive number');
  const { count } = input.approval;
  if (!(Number.isInteger(count) && count >= 0)) throw new RangeError('approval.count must be a whole number >= 0');
  if (count > 0 && input.approval.approverGroups.length === 0) {
    throw new RangeError('an approval requirement needs at least one approver group');
  }
}

/** The record a new request starts as (before the store assigns version and timestamps). */
export function initialRecord(id: string, input: CreateRequestInput, nowMs: number): ApprovalRecord {
  const state: RequestState = input.approval.count === 0 ? 'approved' : 'pending_approval';
  const record: ApprovalRecord = {
    id,
    state,
    version: 1,
    requester: input.requester,
    channel: input.channel,
    cardRef: '',
    target: { ...input.target },
    command: input.command,
    params: { ...(input.params ?? {}) },
    reason: input.reason,
    ruleName: input.ruleName,
    policyVersion: input.policyVersion,
    approval: { ...input.approval, approverGroups: [...input.approval.approverGroups] },
    approvals: [],
    breakGlass: false,
    createdAtMs: nowMs,
    expiresAtMs: nowMs + input.ttlMs,
    updatedAtMs: nowMs,
    digest: bindingDigest({
      cluster: input.target.cluster,
      taskArn: input.target.taskArn,
      container: input.target.container,
      command: input.command,
      requester: input.requester,
      runbook: input.runbook,
      params: input.params,
      policyVersion: input.policyVersion,
      fleet: input.fleet,
    }),
  };
  if (input.fleet) record.fleet = structuredClone(input.fleet);
  if (input.runbook !== undefined) record.runbook = input.runbook;
  if (input.timeoutMs !== undefined) record.timeoutMs = input.timeoutMs;
  if (input.noWrap) record.noWrap = true;
  return record;
}

/** What the `create` audit entry says: everything an auditor needs, token-shaped strings redacted. */
export function createAuditDetail(record: ApprovalRecord): Record<string, unknown> {
  return {
    channel: record.channel,
    clusterAlias: record.target.clusterAlias,
    cluster: record.target.cluster,
    taskArn: record.target.taskArn,
    container: record.target.container,
    command: redactText(record.command),
    runbook: record.runbook ?? '',
    params: Object.fromEntries(Object.entries(record.params).map(([name, value]) => [name, redactText(value)])),
    reason: redactText(record.reason),
    rule: record.ruleName,
    policyVersion: record.policyVersion,
    digest: record.digest,
    approval: {
      groups: record.approval.approverGroups,
      count: record.approval.count,
      selfApproval: record.approval.selfApproval,
      breakGlassAllowed: record.approval.breakGlassAllowed,
    },
    expiresAtMs: record.expiresAtMs,
    ...(record.fleet ? { fleet: record.fleet } : {}),
  };
}

/**
 * A deny or break-glass reason as it is stored, audited and shown: redacted like everything else a person types, so
 * a pasted key never lands in the audit stream or on the card.
 */
export function storedReason(reason: string): string {
  return redactText(reason);
}

/** What a `reject` audit entry says: a hash of what was typed and a redacted, bounded excerpt. */
export function rejectionAuditDetail(
  input: { channel: string; requestText: string; why: string; ruleName?: string },
  sha256: string,
): Record<string, unknown> {
  const excerpt = input.requestText.length > 500 ? `${input.requestText.slice(0, 500)}…` : input.requestText;
  return {
    channel: input.channel,
    requestSha256: sha256,
    requestChars: input.requestText.length,
    request: redactText(excerpt),
    why: input.why,
    rule: input.ruleName ?? '',
  };
}

/** The result recorded for a request whose replica stopped reporting. */
export function staleResult(idleForMs: number): RunResult {
  return {
    bytes: 0,
    sha256: '',
    redactions: 0,
    detail:
      `no replica reported progress for ${Math.round(idleForMs / 1000)} s; the command may still have run in the ` +
      'container. It is not re-run: ask again for a new approval if needed.',
  };
}
