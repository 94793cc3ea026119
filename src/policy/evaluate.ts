import { formatDuration } from '../shared/duration.js';
import { type ApprovalRequirement, isMemberOfAny, type PolicyUser } from './groups.js';
import { normalizeCommand, type TargetSubject } from './patterns.js';
import type { ApprovalConfig, PolicyConfig, RuleConfig, RunbookConfig } from './policy-config.js';
import {
  type CompiledRule,
  type Criterion,
  checkRule,
  criteriaOf,
  FAILED_ANY,
  FAILED_TARGET,
  FAILED_TARGET_UNKNOWN,
  failedCount,
  rulesOf,
  TARGET_UNKNOWN,
  targetMatchOf,
} from './rule-check.js';

/** Where a request wants to run, already split by the caller (the Slack parser or the CLI). */
export interface PolicyTarget {
  clusterAlias: string;
  service?: string;
  /** For a target given by task id; pass `service` too when the task's service is known. */
  taskId?: string;
  container?: string;
  /**
   * Set before the target is resolved, when a task id's service and an unnamed container are not known yet. An allow
   * rule that could match them then allows provisionally, and a deny rule that could match them is reported in
   * `pending` instead of refusing: the answer that counts is the one for the resolved target, asked without this.
   * Unset, the target is final: a task id without a service is a task that belongs to none, and an unnamed container
   * fails a rule about one container for an allow and matches it for a deny.
   */
  unresolved?: boolean;
}

/** What the policy decides about. `userGroupIds` are the Slack user groups the caller resolved for the user. */
export interface PolicyRequest extends PolicyUser {
  channelId: string;
  target: PolicyTarget;
  /** The exact command (for a runbook: the rendered one). */
  command: string;
  /** Set when the command comes from this runbook; its own who/approval/timeout then apply. */
  runbook?: string;
  /** `--timeout`; the decision never exceeds the rule's or the limit. */
  requestedTimeoutMs?: number;
}

/**
 * The longest command the policy looks at. The Slack and CLI front doors refuse much shorter ones with a message of
 * their own; this bound is what the matchers' speed is measured against (64 KiB in a few milliseconds for 200 rules).
 */
export const MAX_EVALUATED_COMMAND_CHARS = 64 * 1024;

/** Name of the implicit rule that refuses whatever no allow rule permits. */
export const DEFAULT_DENY = 'default-deny';

/** The policy's answer: whether, under which rule, with what approval, for how long. */
export interface PolicyDecision {
  effect: 'allow' | 'deny';
  /** The rule that decided: a rule name, `runbook:<name>`, or `default-deny`. */
  rule: string;
  approval: ApprovalRequirement | null;
  /** Whether `--break-glass` may skip the approval (never on a deny). */
  breakGlassAllowed: boolean;
  timeoutMs: number;
  /** The most tasks one fan-out may run on under this decision; absent: 1 (a rule must allow fan-out). */
  maxTasks?: number;
  /** One sentence for people: why this decision. */
  reason: string;
  /** `cluster/service:container` as matched, the container filled from the config when it names one. */
  targetLabel: string;
  /**
   * On an allow for an unresolved target, what the answer still depends on: the parts of the target not known yet,
   * and the deny rules that refuse the request if those parts turn out to match them.
   */
  pending?: PendingTarget;
}

/** What a provisional allow waits for. */
export interface PendingTarget {
  unknown: ('service' | 'container')[];
  denyRules: string[];
}

function toRequirement(approval: ApprovalConfig): ApprovalRequirement {
  return {
    approverGroups: [...approval.approvers],
    count: approval.count,
    selfApproval: approval.selfApproval,
    ttlMs: approval.ttlMs,
  };
}

/** Human text for an approval requirement: `1 approval from sre (not the requester), within 30m`. */
export function describeApproval(requirement: ApprovalRequirement | null): string {
  if (!requirement) return 'no approval needed';
  const plural = requirement.count === 1 ? 'approval' : 'approvals';
  const self = requirement.selfApproval ? 'the requester may approve' : 'not the requester';
  return `${requirement.count} ${plural} from ${requirement.approverGroups.join(' or ')} (${self}), within ${formatDuration(requirement.ttlMs)}`;
}

function timeoutFor(policy: PolicyConfig, request: PolicyRequest, ...candidates: (number | undefined)[]): number {
  const chosen = candidates.find((value) => value !== undefined) ?? policy.limits.timeoutMs;
  return Math.min(chosen, policy.limits.timeoutMs, request.requestedTimeoutMs ?? Number.POSITIVE_INFINITY);
}

const CRITERION_TEXT: Record<Criterion, string> = {
  who: 'you are not in its groups',
  channel: 'not in this channel',
  target: 'not for this target',
  command: 'not for this command',
};

/** The allow rule that came closest, to tell the user what would have to change. */
function nearMiss(closest: { rule: RuleConfig; failed: Criterion[] } | undefined): string {
  if (!closest) return 'no rule allows anything yet';
  const detail = closest.failed.map((criterion) => {
    if (criterion === 'who' && closest.rule.who) return `it is for ${closest.rule.who.join(', ')}`;
    return CRITERION_TEXT[criterion];
  });
  return `closest rule "${closest.rule.name}": ${detail.join('; ')}`;
}

function deny(rule: string, reason: string, targetLabel: string, timeoutMs: number): PolicyDecision {
  return { effect: 'deny', rule, approval: null, breakGlassAllowed: false, timeoutMs, reason, targetLabel };
}

/** `; checked again once the task's service and the container are known (rule "x" refuses it if they match it)` */
function pendingText(pending: PendingTarget): string {
  const parts = pending.unknown.map((part) => (part === 'service' ? "the task's service" : 'the container'));
  const refusers = pending.denyRules.map((rule) => `"${rule}"`).join(' or ');
  const refused = refusers ? ` (rule ${refusers} refuses it if they match it)` : '';
  return `; checked again once ${parts.join(' and ')} ${parts.length === 1 ? 'is' : 'are'} known${refused}`;
}

/**
 * Decides a request: a matching deny rule always wins; then a runbook with its own `who` decides for itself; then
 * the first matching allow rule; otherwise `default-deny`. Pure and synchronous: group membership comes in the
 * request (`userGroupIds`), resolved by the caller.
 */
export function evaluatePolicy(policy: PolicyConfig, request: PolicyRequest): PolicyDecision {
  const { target } = request;
  const unresolved = target.unresolved === true;
  const cluster = policy.clusters[target.clusterAlias];
  const name = target.service || (unresolved ? undefined : target.taskId);
  const container = target.container ?? (target.service ? cluster?.containers[target.service] : undefined);
  const subject: TargetSubject = { clusterAlias: target.clusterAlias, name, container };
  const label = `${target.clusterAlias}/${target.service || target.taskId || ''}${container ? `:${container}` : ''}`;
  const limit = policy.limits.timeoutMs;
  if (!cluster) {
    const known = Object.keys(policy.clusters).join(', ');
    return deny(DEFAULT_DENY, `unknown cluster "${target.clusterAlias}" (clusters: ${known})`, label, limit);
  }
  if (!target.service && !target.taskId) {
    return deny(DEFAULT_DENY, 'the target names no service or task', label, limit);
  }
  if (request.command.length > MAX_EVALUATED_COMMAND_CHARS) {
    const length = request.command.length;
    return deny(
      DEFAULT_DENY,
      `the command is ${length} characters long; the limit is ${MAX_EVALUATED_COMMAND_CHARS}`,
      label,
      limit,
    );
  }
  const command = normalizeCommand(request.command);
  if (command === '') return deny(DEFAULT_DENY, 'the command is empty', label, limit);

  let runbook: RunbookConfig | undefined;
  if (request.runbook !== undefined) {
    runbook = policy.runbooks[request.runbook];
    if (!runbook) return deny(DEFAULT_DENY, `unknown runbook "${request.runbook}"`, label, limit);
  }

  const unknownParts: PendingTarget['unknown'] = [];
  if (name === undefined) unknownParts.push('service');
  if (container === undefined && unresolved) unknownParts.push('container');
  // Before resolution a deny that only could match is carried along, not applied: the resolved target is checked
  // again, and that check refuses it. A final target that could still match fails closed.
  const denyRulesThatMayApply: string[] = [];
  const compiled = rulesOf(policy);
  for (let index = 0; index < compiled.length; index++) {
    const entry = compiled[index] as CompiledRule;
    if (entry.rule.effect !== 'deny') continue;
    const check = checkRule(policy, entry, request, subject, command);
    if ((check & FAILED_ANY) !== 0) continue;
    if ((check & TARGET_UNKNOWN) !== 0 && unresolved) denyRulesThatMayApply.push(entry.rule.name);
    else return deny(entry.rule.name, `denied by rule "${entry.rule.name}"`, label, limit);
  }
  /** An allow is provisional when a rule it rests on, or a deny it stepped over, hangs on a part not known yet. */
  const allowed = (
    decision: Omit<PolicyDecision, 'effect' | 'targetLabel' | 'pending'>,
    ruleTargetUnknown: boolean,
  ): PolicyDecision => {
    const pending =
      ruleTargetUnknown || denyRulesThatMayApply.length > 0
        ? { unknown: unknownParts, denyRules: denyRulesThatMayApply }
        : undefined;
    return {
      effect: 'allow',
      ...decision,
      reason: pending ? `${decision.reason}${pendingText(pending)}` : decision.reason,
      targetLabel: label,
      ...(pending ? { pending } : {}),
    };
  };

  if (runbook && request.runbook !== undefined) {
    const ruleLabel = `runbook:${request.runbook}`;
    if (runbook.channels && !runbook.channels.includes(request.channelId)) {
      return deny(ruleLabel, `runbook "${request.runbook}" cannot be run in this channel`, label, limit);
    }
    if (runbook.who) {
      if (!isMemberOfAny(policy, runbook.who, request)) {
        return deny(ruleLabel, `runbook "${request.runbook}" is for ${runbook.who.join(', ')}`, label, limit);
      }
      const approval =
        runbook.approval === undefined || runbook.approval === 'none' ? null : toRequirement(runbook.approval);
      return allowed(
        {
          rule: ruleLabel,
          approval,
          breakGlassAllowed: false,
          timeoutMs: timeoutFor(policy, request, runbook.timeoutMs),
          reason: `allowed by runbook "${request.runbook}"; ${describeApproval(approval)}`,
        },
        false,
      );
    }
  }

  // The first of the allow rules that failed the fewest conditions, and whether one failed on its target alone.
  let closestMiss: RuleConfig | undefined;
  let closestCheck = 0;
  let missedOnTargetAlone = false;
  for (let index = 0; index < compiled.length; index++) {
    const entry = compiled[index] as CompiledRule;
    if (entry.rule.effect !== 'allow') continue;
    let check = checkRule(policy, entry, request, subject, command);
    const targetUnknown = (check & TARGET_UNKNOWN) !== 0;
    // Before resolution an allow that could match is taken provisionally; on a final target it must match.
    if (targetUnknown && !unresolved) check |= FAILED_TARGET_UNKNOWN;
    if ((check & FAILED_ANY) !== 0) {
      if (!closestMiss || failedCount(check) < failedCount(closestCheck)) {
        closestMiss = entry.rule;
        closestCheck = check;
      }
      const failed = check & FAILED_ANY;
      if (failed === FAILED_TARGET || failed === FAILED_TARGET_UNKNOWN) missedOnTargetAlone = true;
      continue;
    }
    const { rule } = entry;
    // A runbook's own approval replaces the rule's: the file checks it can only be set where the rules govern.
    const runbookApproval =
      runbook?.approval !== undefined && runbook.approval !== 'none' ? runbook.approval : undefined;
    const chosen = runbookApproval ?? rule.approval;
    const approval = chosen ? toRequirement(chosen) : null;
    return allowed(
      {
        rule: rule.name,
        approval,
        breakGlassAllowed: approval !== null && rule.breakGlass,
        timeoutMs: timeoutFor(policy, request, runbook?.timeoutMs, rule.timeoutMs),
        ...(rule.maxTasks !== undefined ? { maxTasks: rule.maxTasks } : {}),
        reason: `allowed by rule "${rule.name}"; ${describeApproval(approval)}`,
      },
      targetUnknown,
    );
  }
  const unknownContainer =
    !unresolved && subject.container === undefined && missedOnTargetAlone
      ? ' (name the container: a rule may allow only some containers)'
      : '';
  const closest = closestMiss ? { rule: closestMiss, failed: criteriaOf(closestCheck) } : undefined;
  return deny(DEFAULT_DENY, `no rule allows this; ${nearMiss(closest)}${unknownContainer}`, label, limit);
}

/**
 * Whether a person may look at a service at all, as `/ecs-exec doctor` does: some allow rule covers them, this
 * channel and the service (any container, any command). The checklist names tasks and their settings, so it is for
 * the people who may run something there, not for everyone in the workspace.
 */
export function mayInspectService(
  policy: PolicyConfig,
  request: PolicyUser & { channelId: string; clusterAlias: string; service: string },
): boolean {
  if (!policy.clusters[request.clusterAlias]) return false;
  const subject: TargetSubject = { clusterAlias: request.clusterAlias, name: request.service, container: undefined };
  return rulesOf(policy).some((compiled) => {
    const { rule } = compiled;
    if (rule.effect !== 'allow') return false;
    if (rule.who && !isMemberOfAny(policy, rule.who, request)) return false;
    if (rule.channels && !rule.channels.includes(request.channelId)) return false;
    return targetMatchOf(compiled, subject) !== 'no';
  });
}

/** The alias of the configured cluster with this name or ARN (a task ARN names the real cluster, not the alias). */
export function clusterAliasFor(policy: PolicyConfig, clusterNameOrArn: string, region?: string): string | undefined {
  for (const [alias, cluster] of Object.entries(policy.clusters)) {
    const name = cluster.cluster.startsWith('arn:')
      ? cluster.cluster.slice(cluster.cluster.lastIndexOf('/') + 1)
      : cluster.cluster;
    const sameName = cluster.cluster === clusterNameOrArn || name === clusterNameOrArn;
    if (sameName && (region === undefined || cluster.region === region)) return alias;
  }
  return undefined;
}
