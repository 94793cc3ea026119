import type { ApprovalRecord } from '../../approval/approval-port.js';
import { neutraliseSlackText, slackUserMention } from '../../output/neutralise.js';
import { isMemberOfAny, userGroupIdsOf } from '../../policy/groups.js';
import type { FlowDeps } from './flow-deps.js';

/** Why someone may stop a run. */
export type StopRole = 'requester' | 'approver' | 'admin';

/** Whether `userId` may stop the run, and in which role; or the words that say who can. */
export type StopPermission = { allowed: true; as: StopRole } | { allowed: false; whoCan: string };

/**
 * Who may stop a running command: whoever asked for it, the approvers of the rule that allowed it (they vouched for
 * it, so they may call it off), and the config's `admins` groups, so someone on call can stop another person's
 * runaway command whatever rule it ran under. Group membership is read now, not when the run started.
 */
export async function stopPermission(
  deps: Pick<FlowDeps, 'config' | 'userGroups'>,
  record: Pick<ApprovalRecord, 'requester' | 'approval'>,
  userId: string,
): Promise<StopPermission> {
  if (userId === record.requester) return { allowed: true, as: 'requester' };
  const { policy } = deps.config.current();
  const user = { userId, userGroupIds: await userGroupIdsOf(policy, deps.userGroups, userId) };
  if (isMemberOfAny(policy, record.approval.approverGroups, user)) return { allowed: true, as: 'approver' };
  if (isMemberOfAny(policy, policy.admins, user)) return { allowed: true, as: 'admin' };
  return { allowed: false, whoCan: whoCanStop(record, policy.admins) };
}

/** "the requester (@riley), an approver (sre) or an admin (platform)", leaving out what does not apply. */
export function whoCanStop(record: Pick<ApprovalRecord, 'requester' | 'approval'>, admins: readonly string[]): string {
  const requester = slackUserMention(record.requester) ?? neutraliseSlackText(record.requester);
  const parts = [`the requester (${requester})`];
  if (record.approval.approverGroups.length > 0) {
    parts.push(`an approver of its rule (${record.approval.approverGroups.join(', ')})`);
  }
  if (admins.length > 0) parts.push(`an admin (${admins.join(', ')})`);
  return parts.length === 1 ? (parts[0] as string) : `${parts.slice(0, -1).join(', ')} or ${parts.at(-1)}`;
}

/**
 * Checks a stop and audits the answer either way, so the log shows who stopped a run in which role and who tried
 * without being allowed. Returns the refusal to show, or undefined when the stop may go ahead. An audit the store
 * cannot write is logged; the person still gets their answer.
 */
export async function authorizeStop(
  deps: FlowDeps,
  record: ApprovalRecord,
  userId: string,
): Promise<string | undefined> {
  const permission = await stopPermission(deps, record, userId);
  await deps.store
    .recordEvent({
      record,
      action: 'stop',
      actor: userId,
      outcome: permission.allowed ? 'ok' : 'refused',
      detail: permission.allowed ? { as: permission.as } : { why: 'not the requester, an approver or an admin' },
    })
    .catch((error: unknown) => deps.logger.error({ err: error, requestId: record.id }, 'could not audit a stop'));
  if (permission.allowed) return undefined;
  return `Only ${permission.whoCan} can stop ${record.id}.`;
}
