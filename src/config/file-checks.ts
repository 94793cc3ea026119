import { compileCommandPattern, compileTargetPattern, hasWildcard, PatternSyntaxError } from '../policy/patterns.js';
import type { ApprovalConfig, GroupConfig, RuleConfig, RunbookConfig, RunbookParam } from '../policy/policy-config.js';
import { commandPlaceholderUses, placeholderNames, templateSyntaxProblems } from '../policy/template.js';
import type { FileIssue } from './file-issues.js';

// Checks between sections (group, cluster and parameter references, rule and runbook consistency), run after each
// section parsed on its own.

/** Known approvers when every approver group lists users by ID only; undefined when user groups or `*` are involved. */
function knownApproverCount(groups: Record<string, GroupConfig>, approvers: readonly string[]): number | undefined {
  const users = new Set<string>();
  for (const name of approvers) {
    const group = groups[name];
    if (!group || group.usergroups.length > 0 || group.users.includes('*')) return undefined;
    for (const user of group.users) users.add(user);
  }
  return users.size;
}

export interface CheckContext {
  groupNames: Set<string>;
  groups: Record<string, GroupConfig>;
  clusterNames: Set<string>;
  limitsTimeoutMs: number | undefined;
  issues: FileIssue[];
}

export function checkGroupRefs(
  ctx: CheckContext,
  refs: readonly string[] | undefined,
  path: (string | number)[],
): void {
  for (const name of refs ?? []) {
    if (!ctx.groupNames.has(name)) {
      const known = [...ctx.groupNames].join(', ') || 'none defined';
      ctx.issues.push({ path, message: `unknown group "${name}" (groups: ${known})` });
    }
  }
}

function checkApproval(ctx: CheckContext, approval: Partial<ApprovalConfig>, path: (string | number)[]): void {
  checkNudges(ctx, approval, path);
  if (!approval.approvers) return;
  checkGroupRefs(ctx, approval.approvers, [...path, 'approvers']);
  const possible = knownApproverCount(ctx.groups, approval.approvers);
  if (possible !== undefined && approval.count !== undefined && approval.count > possible) {
    ctx.issues.push({
      path: [...path, 'count'],
      message: `needs ${approval.count} approvals but only ${possible} ${possible === 1 ? 'person is' : 'people are'} in ${approval.approvers.join(', ')}`,
    });
  }
}

/** Reminders and escalation must fall inside the approval window and come in order, or they would never be sent. */
function checkNudges(ctx: CheckContext, approval: Partial<ApprovalConfig>, path: (string | number)[]): void {
  const { remindAfterMs, escalateAfterMs, escalateTo } = approval;
  const ttlMs = approval.ttlMs ?? 30 * 60_000;
  checkGroupRefs(ctx, escalateTo, [...path, 'escalateTo']);
  if (remindAfterMs !== undefined && remindAfterMs >= ttlMs) {
    ctx.issues.push({ path: [...path, 'remindAfter'], message: 'must be shorter than ttl: the request expires first' });
  }
  if (escalateAfterMs !== undefined) {
    if (escalateAfterMs >= ttlMs) {
      ctx.issues.push({
        path: [...path, 'escalateAfter'],
        message: 'must be shorter than ttl: the request expires first',
      });
    }
    if (remindAfterMs !== undefined && escalateAfterMs <= remindAfterMs) {
      ctx.issues.push({ path: [...path, 'escalateAfter'], message: 'must be longer than remindAfter' });
    }
    if (!escalateTo) {
      ctx.issues.push({
        path: [...path, 'escalateTo'],
        message: 'is missing: escalateAfter needs the groups to mention',
      });
    }
  } else if (escalateTo) {
    ctx.issues.push({ path: [...path, 'escalateAfter'], message: 'is missing: escalateTo needs to know when' });
  }
}

function checkTimeout(ctx: CheckContext, timeoutMs: number | undefined, path: (string | number)[]): void {
  if (timeoutMs !== undefined && ctx.limitsTimeoutMs !== undefined && timeoutMs > ctx.limitsTimeoutMs) {
    ctx.issues.push({ path, message: 'is longer than limits.timeout, which caps every run' });
  }
}

export function checkRule(ctx: CheckContext, rule: Partial<RuleConfig>, index: number, present: Set<string>): void {
  const path = ['rules', index];
  checkGroupRefs(ctx, rule.who, [...path, 'who']);
  if (rule.effect === 'allow') {
    // A missing field on an allow rule would silently mean "everyone" / "everything": make the author say so.
    if (!present.has('who'))
      ctx.issues.push({ path: [...path, 'who'], message: 'an allow rule must say who it allows' });
    if (!present.has('targets')) {
      ctx.issues.push({ path: [...path, 'targets'], message: 'an allow rule must list its targets ("*" for all)' });
    }
    if (!present.has('commands')) {
      ctx.issues.push({ path: [...path, 'commands'], message: 'an allow rule must list its commands ("*" for all)' });
    }
  } else if (rule.effect === 'deny') {
    if (rule.approval) ctx.issues.push({ path: [...path, 'approval'], message: 'a deny rule cannot need an approval' });
    if (rule.breakGlass) ctx.issues.push({ path: [...path, 'breakGlass'], message: 'a deny rule has no break-glass' });
    if (rule.timeoutMs !== undefined) {
      ctx.issues.push({ path: [...path, 'timeout'], message: 'a deny rule runs nothing, so it has no timeout' });
    }
  }
  if (rule.approval) checkApproval(ctx, rule.approval, [...path, 'approval']);
  checkTimeout(ctx, rule.timeoutMs, [...path, 'timeout']);
  rule.targets?.forEach((target, i) => {
    try {
      const matcher = compileTargetPattern(target);
      if (matcher.clusterGlob !== '*' && ![...ctx.clusterNames].some((alias) => matcher.matchesCluster(alias))) {
        const known = [...ctx.clusterNames].join(', ') || 'none defined';
        const what = hasWildcard(matcher.clusterGlob)
          ? 'matches no cluster'
          : `names unknown cluster "${matcher.clusterGlob}"`;
        ctx.issues.push({ path: [...path, 'targets', i], message: `"${target}" ${what} (clusters: ${known})` });
      }
    } catch (error) {
      ctx.issues.push({ path: [...path, 'targets', i], message: (error as Error).message });
    }
  });
  rule.commands?.forEach((command, i) => {
    try {
      compileCommandPattern(command);
    } catch (error) {
      if (!(error instanceof PatternSyntaxError)) throw error;
      ctx.issues.push({ path: [...path, 'commands', i], message: error.message });
    }
  });
}

function compileParamPattern(pattern: string): RegExp | string {
  try {
    return new RegExp(pattern, 'u');
  } catch (error) {
    return `pattern does not compile: ${(error as Error).message}`;
  }
}

function checkParam(ctx: CheckContext, param: RunbookParam, path: (string | number)[]): void {
  if (param.required && param.default !== undefined) {
    ctx.issues.push({ path: [...path, 'required'], message: 'a parameter with a default cannot also be required' });
  }
  switch (param.type) {
    case 'enum':
      if (param.default !== undefined && !param.values.includes(param.default)) {
        ctx.issues.push({ path: [...path, 'default'], message: `"${param.default}" is not one of the values` });
      }
      if (new Set(param.values).size !== param.values.length) {
        ctx.issues.push({ path: [...path, 'values'], message: 'lists a value twice' });
      }
      break;
    case 'string': {
      const pattern = param.pattern === undefined ? undefined : compileParamPattern(param.pattern);
      if (typeof pattern === 'string') ctx.issues.push({ path: [...path, 'pattern'], message: pattern });
      if (param.default !== undefined && pattern instanceof RegExp && !pattern.test(param.default)) {
        ctx.issues.push({ path: [...path, 'default'], message: 'does not match the pattern' });
      }
      break;
    }
    case 'int':
      if (param.min !== undefined && param.max !== undefined && param.min > param.max) {
        ctx.issues.push({ path: [...path, 'min'], message: 'is greater than max' });
      }
      if (
        param.default !== undefined &&
        ((param.min !== undefined && param.default < param.min) ||
          (param.max !== undefined && param.default > param.max))
      ) {
        ctx.issues.push({ path: [...path, 'default'], message: 'is outside min..max' });
      }
      break;
    case 'bool':
      break;
  }
}

const TARGET_SHAPE = /^[^/:]+\/[^/:]+(?::[^/:]+)?$/;
const TARGET_LITERAL = /^[A-Za-z0-9_.-]*$/;

function checkRunbookTarget(
  ctx: CheckContext,
  target: string,
  params: Record<string, RunbookParam>,
  path: (string | number)[],
): void {
  const skeleton = target.replace(/\{\{[^{}]*\}\}/g, 'x');
  const literals = target.split(/\{\{[^{}]*\}\}|[/:]/);
  if (!TARGET_SHAPE.test(skeleton) || literals.some((part) => !TARGET_LITERAL.test(part))) {
    ctx.issues.push({ path, message: `"${target}" is not <cluster>/<service>[:<container>] (no wildcards)` });
    return;
  }
  const clusterPart = target.slice(0, target.indexOf('/'));
  const known = [...ctx.clusterNames].join(', ') || 'none defined';
  const placeholder = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/.exec(clusterPart);
  if (!clusterPart.includes('{{')) {
    if (!ctx.clusterNames.has(clusterPart)) {
      ctx.issues.push({ path, message: `names unknown cluster "${clusterPart}" (clusters: ${known})` });
    }
  } else if (placeholder) {
    const param = params[placeholder[1] as string];
    if (param?.type === 'enum') {
      for (const value of param.values.filter((alias) => !ctx.clusterNames.has(alias))) {
        ctx.issues.push({
          path: [...path.slice(0, -1), 'params', placeholder[1] as string, 'values'],
          message: `"${value}" is used as a cluster but is not one (clusters: ${known})`,
        });
      }
    }
  }
}

export function checkRunbook(
  ctx: CheckContext,
  name: string,
  runbook: Partial<RunbookConfig>,
  declared: Set<string>,
  present: Set<string>,
): void {
  const path = ['runbooks', name];
  const params = runbook.params ?? {};
  checkGroupRefs(ctx, runbook.who, [...path, 'who']);
  if (runbook.approval !== undefined && runbook.approval !== 'none') {
    checkApproval(ctx, runbook.approval, [...path, 'approval']);
  }
  if (runbook.who && !present.has('approval')) {
    ctx.issues.push({
      path: [...path, 'approval'],
      message: 'a runbook with its own "who" must say its approval ("none" or { approvers, count })',
    });
  }
  if (!runbook.who && runbook.approval === 'none') {
    ctx.issues.push({
      path: [...path, 'approval'],
      message: '"none" would bypass the rules\' approvals; give the runbook its own "who" to allow it without one',
    });
  }
  checkTimeout(ctx, runbook.timeoutMs, [...path, 'timeout']);
  for (const [paramName, param] of Object.entries(params)) checkParam(ctx, param, [...path, 'params', paramName]);
  for (const field of ['target', 'command'] as const) {
    const template = runbook[field];
    if (template === undefined) continue;
    for (const problem of templateSyntaxProblems(template))
      ctx.issues.push({ path: [...path, field], message: problem });
    for (const used of placeholderNames(template)) {
      if (!declared.has(used)) {
        const names = [...declared].join(', ') || 'none declared';
        ctx.issues.push({ path: [...path, field], message: `uses undeclared parameter "${used}" (params: ${names})` });
      }
    }
  }
  for (const use of commandPlaceholderUses(runbook.command ?? '')) {
    if (use.context !== 'plain') {
      ctx.issues.push({
        path: [...path, 'command'],
        message: `{{${use.name}}} is inside ${use.context.replace('-', ' ')}; write it bare, values are quoted for the shell`,
      });
    }
  }
  if (runbook.target !== undefined) checkRunbookTarget(ctx, runbook.target, params, [...path, 'target']);
}
