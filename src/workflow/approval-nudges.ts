import type { ApprovalRecord } from '../approval/approval-port.js';
import type { ApprovalConfig, PolicyConfig } from '../config/schema.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** The two nudges a waiting request can get, each at most once. */
export type NudgeStage = 'remind' | 'escalate';

/** Who to mention when, for one request; undefined when its approval asks for no nudges. */
export interface NudgePlan {
  remindAfterMs?: number;
  escalateAfterMs?: number;
  /** Mentioned by the reminder: the approver groups. */
  approverGroups: readonly string[];
  /** Mentioned by the escalation. */
  escalateTo: readonly string[];
}

/**
 * The approval settings that apply to a request as the loaded policy has them: a runbook's own approval, else its
 * rule's. Looked up now, not stored with the request, so a policy that drops a reminder stops sending it.
 */
export function nudgePlanFor(policy: PolicyConfig, record: ApprovalRecord): NudgePlan | undefined {
  const runbookApproval = record.runbook ? policy.runbooks[record.runbook]?.approval : undefined;
  const approval: ApprovalConfig | undefined =
    runbookApproval !== undefined && runbookApproval !== 'none'
      ? runbookApproval
      : policy.rules.find((rule) => rule.name === record.ruleName)?.approval;
  if (!approval || (approval.remindAfterMs === undefined && approval.escalateAfterMs === undefined)) return undefined;
  return {
    ...(approval.remindAfterMs !== undefined ? { remindAfterMs: approval.remindAfterMs } : {}),
    ...(approval.escalateAfterMs !== undefined ? { escalateAfterMs: approval.escalateAfterMs } : {}),
    approverGroups: record.approval.approverGroups,
    escalateTo: approval.escalateTo ?? [],
  };
}

/**
 * Nudges approvers of requests that wait too long: after `remindAfter` the approver groups are mentioned once in the
 * card's thread, after `escalateAfter` the escalation groups once. Every replica sweeps; the store's "once" marker
 * (SET NX in Redis) lets exactly one of them send each nudge, and writes its audit entry. Only requests still
 * waiting for approval are looked at, so a decided, cancelled or expired request is never nudged.
 */
export function createApprovalNudges(
  deps: Pick<WorkflowDeps, 'config' | 'store' | 'chat' | 'clock' | 'logger' | 'replicaId'>,
): { sweep(): Promise<number> } {
  async function nudge(record: ApprovalRecord, stage: NudgeStage, groups: readonly string[]): Promise<boolean> {
    const now = deps.clock.now();
    const recorded = await deps.store.recordEvent({
      record,
      action: 'remind',
      actor: deps.replicaId,
      outcome: 'ok',
      detail: { stage, groups: [...groups] },
      // Remembered a little past the expiry, after which the request can no longer be waiting.
      once: { marker: `${stage}:${record.id}`, ttlMs: Math.max(1, record.expiresAtMs - now) + 60_000 },
    });
    if (!recorded) return false;
    const notice = { kind: 'nudge', stage, groups, nowMs: now } as const;
    await deps.chat.tellThread(record, notice, deps.config.current().policy).catch((error: unknown) => {
      deps.logger.warn({ err: error, requestId: record.id, stage }, 'approver nudge not posted');
    });
    return true;
  }

  return {
    async sweep() {
      let sent = 0;
      for (const record of await deps.store.listPending()) {
        // Without a card there is no thread to nudge in; its requester was told nothing would happen.
        if (!record.cardRef) continue;
        const plan = nudgePlanFor(deps.config.current().policy, record);
        if (!plan) continue;
        const waited = deps.clock.now() - record.createdAtMs;
        if (plan.remindAfterMs !== undefined && waited >= plan.remindAfterMs) {
          if (await nudge(record, 'remind', plan.approverGroups)) sent++;
        }
        if (plan.escalateAfterMs !== undefined && waited >= plan.escalateAfterMs && plan.escalateTo.length > 0) {
          if (await nudge(record, 'escalate', plan.escalateTo)) sent++;
        }
      }
      return sent;
    },
  };
}
