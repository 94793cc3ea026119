import type { PolicyDecision } from '../policy/evaluate.js';

/**
 * What a stored request keeps of the deciding rule's approval, and how long it may wait for it: the same for a
 * one-task request and a fan-out, so that both are approved on the same terms.
 */
export function approvalTerms(
  decision: Pick<PolicyDecision, 'approval' | 'breakGlassAllowed'>,
  defaultTtlMs: number,
): {
  approval: { approverGroups: string[]; count: number; selfApproval: boolean; breakGlassAllowed: boolean };
  ttlMs: number;
} {
  const approval = decision.approval;
  return {
    approval: {
      approverGroups: approval?.approverGroups ?? [],
      count: approval?.count ?? 0,
      selfApproval: approval?.selfApproval ?? false,
      breakGlassAllowed: decision.breakGlassAllowed,
    },
    ttlMs: approval?.ttlMs ?? defaultTtlMs,
  };
}
