import type { ApprovalRecord } from '../approval/approval-port.js';
import { isMemberOfAny, userGroupIdsOf } from '../policy/groups.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** Why someone may stop a run. */
export type StopRole = 'requester' | 'approver' | 'admin';

/** Whether `userId` may stop the run, and in which role. */
export type StopPermission = { allowed: true; as: StopRole } | { allowed: false };

/**
 * Who may stop a running command: whoever asked for it, the approvers of the rule that allowed it (they vouched for
 * it, so they may call it off), and the config's `admins` groups, so someone on call can stop another person's
 * runaway command whatever rule it ran under. Group membership is read now, not when the run started.
 */
export async function stopPermission(
  deps: Pick<WorkflowDeps, 'config' | 'userGroups'>,
  record: Pick<ApprovalRecord, 'requester' | 'approval'>,
  userId: string,
): Promise<StopPermission> {
  if (userId === record.requester) return { allowed: true, as: 'requester' };
  const { policy } = deps.config.current();
  const user = { userId, userGroupIds: await userGroupIdsOf(policy, deps.userGroups, userId) };
  if (isMemberOfAny(policy, record.approval.approverGroups, user)) return { allowed: true, as: 'approver' };
  if (isMemberOfAny(policy, policy.admins, user)) return { allowed: true, as: 'admin' };
  return { allowed: false };
}

/**
 * Checks a stop and audits the answer either way, so the log shows who stopped a run in which role and who tried
 * without being allowed. Returns the refusal to show, or undefined when the stop may go ahead. An audit the store
 * cannot write is logged; the person still gets their answer.
 */
export async function authorizeStop(
  deps: WorkflowDeps,
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
  return `Only ${deps.chat.words.whoCanStop(record, deps.config.current().policy.admins)} can stop ${record.id}.`;
}
