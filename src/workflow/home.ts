import type { ApprovalRecord } from '../approval/approval-port.js';
import { currentBindingDigest } from '../approval/binding-digest.js';
import type { RunbookConfig } from '../config/schema.js';
import { userGroupIdsOf } from '../policy/groups.js';
import { runbooksVisibleTo } from '../policy/runbooks.js';
import { eligibleDeciders } from './eligible.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** A request someone may decide on, with the binding their decision must match. */
export interface AwaitingDecision {
  record: ApprovalRecord;
  binding: string;
}

/** What one person's home page shows: what waits for them, what they asked for, what they may run. */
export interface HomePage {
  userId: string;
  awaiting: AwaitingDecision[];
  /** How many more wait beyond the ones listed. */
  awaitingMore: number;
  recent: ApprovalRecord[];
  /** Each with the conversation a run from the home page is posted in, when one is known. */
  runbooks: { name: string; runbook: RunbookConfig; conversation?: string }[];
}

/** How much a home page lists; the chat adapter may show less and say how many it left out. */
export const HOME_LIMITS = { pendingScanned: 500, awaiting: 20, recent: 10 } as const;

/**
 * Reads one person's home page. Waiting requests are the ones their approver groups let them decide now, never their
 * own. The runbooks are the ones visible to them outside any channel restriction.
 */
export async function readHomePage(
  deps: Pick<WorkflowDeps, 'config' | 'userGroups' | 'store'>,
  userId: string,
): Promise<HomePage> {
  const { policy, policyVersion } = deps.config.current();
  const pending = await deps.store.listPending(HOME_LIMITS.pendingScanned);
  const awaiting: AwaitingDecision[] = [];
  for (const record of pending) {
    if (record.requester === userId || record.approvals.some((approval) => approval.userId === userId)) continue;
    const eligible = await eligibleDeciders(deps, record);
    if (!eligible.includes(userId) && !eligible.includes('*')) continue;
    awaiting.push({ record, binding: currentBindingDigest(record, policyVersion) });
  }
  const groups = await userGroupIdsOf(policy, deps.userGroups, userId);
  const recent = await deps.store.listByRequester(userId, HOME_LIMITS.recent);
  // A home page is in no conversation: a run started from it goes where the runbook is meant to be run, or else
  // where the person asked for something last. The policy still decides there, as for a typed request.
  const runbooks = runbooksVisibleTo(policy, userId, groups, '').map(({ name, runbook }) => {
    const conversation = runbook.channels?.[0] ?? recent[0]?.channel;
    return conversation ? { name, runbook, conversation } : { name, runbook };
  });
  return {
    userId,
    awaiting: awaiting.slice(0, HOME_LIMITS.awaiting),
    awaitingMore: Math.max(0, awaiting.length - HOME_LIMITS.awaiting),
    recent,
    runbooks,
  };
}
