import { AUDIT_FIELDS, type AuditEntry, toAuditEntry } from '../audit/audit-entry.js';
import type { Approval, ApprovalRecord, FleetScope, RequestState, RunResult } from './approval-port.js';

/** A request hash as Redis holds it. */
export type StoredFields = Readonly<Record<string, string>>;

/** Audit values as the scripts return them: AUDIT_FIELDS in order, then hash and stream id. */
export function parseAuditValues(values: readonly string[]): AuditEntry | undefined {
  if (values.length === 0) return undefined;
  const fields: Record<string, string> = {};
  AUDIT_FIELDS.forEach((name, i) => {
    fields[name] = values[i] ?? '';
  });
  fields['hash'] = values[AUDIT_FIELDS.length] ?? '';
  const streamId = values[AUDIT_FIELDS.length + 1];
  return toAuditEntry(streamId === undefined ? { fields } : { fields, streamId });
}

const flag = (value: boolean): string => (value ? '1' : '0');

/** The request as the scripts see it: a flat hash of strings. */
export function toStoredFields(record: ApprovalRecord): Record<string, string> {
  return {
    id: record.id,
    state: record.state,
    requester: record.requester,
    channel: record.channel,
    card: record.cardRef,
    clusterAlias: record.target.clusterAlias,
    cluster: record.target.cluster,
    taskArn: record.target.taskArn,
    container: record.target.container,
    command: record.command,
    runbook: record.runbook ?? '',
    params: JSON.stringify(record.params),
    reason: record.reason,
    rule: record.ruleName,
    policyVersion: record.policyVersion,
    approverGroups: JSON.stringify(record.approval.approverGroups),
    requiredCount: String(record.approval.count),
    selfApproval: flag(record.approval.selfApproval),
    breakGlassAllowed: flag(record.approval.breakGlassAllowed),
    approvals: '[]',
    breakGlass: '0',
    expiresAt: String(record.expiresAtMs),
    digest: record.digest,
    timeoutMs: record.timeoutMs === undefined ? '' : String(record.timeoutMs),
    noWrap: flag(record.noWrap === true),
    fleet: record.fleet ? JSON.stringify(record.fleet) : '',
  };
}

export function fromStoredFields(fields: Record<string, string>): ApprovalRecord {
  const text = (name: string): string => fields[name] ?? '';
  const json = <T>(name: string, fallback: T): T => {
    const value = fields[name];
    return value ? (JSON.parse(value) as T) : fallback;
  };
  // cjson writes an empty Lua table as `{}`; an approvals list is an array either way.
  const approvals = json<Approval[] | Record<string, never>>('approvals', []);
  const record: ApprovalRecord = {
    id: text('id'),
    state: text('state') as RequestState,
    version: Number(text('version')),
    requester: text('requester'),
    channel: text('channel'),
    // Records written before card references were opaque kept the same value under `cardTs`.
    cardRef: fields['card'] ?? text('cardTs'),
    target: {
      clusterAlias: text('clusterAlias'),
      cluster: text('cluster'),
      taskArn: text('taskArn'),
      container: text('container'),
    },
    command: text('command'),
    params: json<Record<string, string>>('params', {}),
    reason: text('reason'),
    ruleName: text('rule'),
    policyVersion: text('policyVersion'),
    approval: {
      approverGroups: json<string[]>('approverGroups', []),
      count: Number(text('requiredCount')),
      selfApproval: text('selfApproval') === '1',
      breakGlassAllowed: text('breakGlassAllowed') === '1',
    },
    approvals: Array.isArray(approvals) ? approvals.map(({ userId, atMs }) => ({ userId, atMs: Number(atMs) })) : [],
    breakGlass: text('breakGlass') === '1',
    createdAtMs: Number(text('createdAt')),
    expiresAtMs: Number(text('expiresAt')),
    updatedAtMs: Number(text('updatedAt')),
    digest: text('digest'),
  };
  if (fields['runbook']) record.runbook = text('runbook');
  if (fields['timeoutMs']) record.timeoutMs = Number(text('timeoutMs'));
  if (fields['noWrap'] === '1') record.noWrap = true;
  if (fields['fleet']) record.fleet = json<FleetScope>('fleet', undefined as unknown as FleetScope);
  if (fields['breakGlassReason']) record.breakGlassReason = text('breakGlassReason');
  if (fields['deniedBy']) record.deniedBy = text('deniedBy');
  if (fields['denyReason']) record.denyReason = text('denyReason');
  if (fields['cancelledBy']) record.cancelledBy = text('cancelledBy');
  if (fields['sessionId']) record.sessionId = text('sessionId');
  if (fields['owner']) record.owner = text('owner');
  if (fields['result']) record.result = json<RunResult>('result', { bytes: 0, sha256: '', redactions: 0 });
  return record;
}
