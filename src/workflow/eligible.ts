import type { ApprovalRecord } from '../approval/approval-port.js';
import { eligibleApprovers } from '../policy/groups.js';
import type { WorkflowDeps } from './workflow-deps.js';

/**
 * Who may decide on a request now, under the policy in force ('*': anyone), resolved at the moment of the click or
 * of the view that offers the buttons. The requester is on the list when their groups put them there: the store
 * refuses self-approval itself, so it can say why.
 */
export async function eligibleDeciders(
  deps: Pick<WorkflowDeps, 'config' | 'userGroups'>,
  record: ApprovalRecord,
): Promise<string[]> {
  const requirement = {
    approverGroups: [...record.approval.approverGroups],
    count: record.approval.count,
    selfApproval: true,
    ttlMs: 0,
  };
  const { users, anyone } = await eligibleApprovers(
    deps.config.current().policy,
    requirement,
    deps.userGroups,
    record.requester,
  );
  return anyone ? ['*', ...users] : users;
}
