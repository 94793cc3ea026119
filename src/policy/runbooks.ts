import { isEcsName } from '../shared/ecs-target.js';
import { shellQuote, unquotableReason } from '../shared/shell-quote.js';
import type { PolicyTarget } from './evaluate.js';
import { isMemberOfAny } from './groups.js';
import { patternProblem } from './pattern-words.js';
import { compileTargetPattern } from './patterns.js';
import type { PolicyConfig, RunbookConfig, RunbookParam } from './policy-config.js';
import { renderTemplate } from './template.js';

/** A validated parameter value. */
export type RunbookValue = string | number | boolean;

/** What a form needs to ask for one parameter (the Slack modal builds one field per descriptor). */
export interface RunbookParamDescriptor {
  name: string;
  type: RunbookParam['type'];
  /** The parameter's description, or its name. */
  label: string;
  required: boolean;
  /** The default as text, when there is one. */
  defaultValue?: string;
  /** The choices of an enum (and `true`/`false` for a bool): render as a select. */
  options?: string[];
  pattern?: string;
  min?: number;
  max?: number;
  maxLength?: number;
}

/** One parameter per descriptor, in the file's order. */
export function runbookParamDescriptors(runbook: RunbookConfig): RunbookParamDescriptor[] {
  return Object.entries(runbook.params).map(([name, param]) => {
    const descriptor: RunbookParamDescriptor = {
      name,
      type: param.type,
      label: param.description ?? name,
      required: param.required,
    };
    if (param.default !== undefined) descriptor.defaultValue = String(param.default);
    if (param.type === 'enum') descriptor.options = [...param.values];
    if (param.type === 'bool') descriptor.options = ['true', 'false'];
    if (param.type === 'string') {
      descriptor.maxLength = param.maxLength;
      if (param.pattern !== undefined) descriptor.pattern = param.pattern;
    }
    if (param.type === 'int') {
      if (param.min !== undefined) descriptor.min = param.min;
      if (param.max !== undefined) descriptor.max = param.max;
    }
    return descriptor;
  });
}

/** A problem with one given value. */
export interface RunbookArgProblem {
  param: string;
  message: string;
}

/** The given `name=value` pairs checked against a runbook's parameters. */
export type RunbookArgsResult =
  | { ok: true; values: Record<string, RunbookValue> }
  | { ok: false; values: Record<string, RunbookValue>; missing: string[]; problems: RunbookArgProblem[] };

const BOOL_TEXT: Record<string, boolean> = {
  true: true,
  yes: true,
  on: true,
  '1': true,
  false: false,
  no: false,
  off: false,
  '0': false,
};

function parseValue(param: RunbookParam, text: string): { value: RunbookValue } | { problem: string } {
  switch (param.type) {
    case 'enum':
      return param.values.includes(text) ? { value: text } : { problem: `must be one of ${param.values.join(', ')}` };
    case 'string': {
      if (text.length > param.maxLength) return { problem: `is longer than ${param.maxLength} characters` };
      const unquotable = unquotableReason(text);
      if (unquotable) return { problem: unquotable };
      if (param.pattern !== undefined && !new RegExp(param.pattern, 'u').test(text)) {
        return { problem: patternProblem(param.pattern) };
      }
      return { value: text };
    }
    case 'int': {
      const number = /^[+-]?\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
      if (!Number.isSafeInteger(number)) return { problem: 'must be a whole number' };
      if (param.min !== undefined && number < param.min) return { problem: `must be at least ${param.min}` };
      if (param.max !== undefined && number > param.max) return { problem: `must be at most ${param.max}` };
      return { value: number };
    }
    case 'bool': {
      const value = BOOL_TEXT[text.trim().toLowerCase()];
      return value === undefined ? { problem: 'must be true or false' } : { value };
    }
  }
}

/**
 * Checks `name=value` pairs (as typed after `/ecs-exec run <runbook>`, or from the modal) against the runbook's
 * parameters: each value by its type, defaults filled, missing required parameters listed for the modal to ask.
 */
export function resolveRunbookArgs(runbook: RunbookConfig, given: Readonly<Record<string, string>>): RunbookArgsResult {
  const values: Record<string, RunbookValue> = {};
  const problems: RunbookArgProblem[] = [];
  const missing: string[] = [];
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(runbook.params, name)) {
      const known = Object.keys(runbook.params).join(', ') || 'none';
      problems.push({ param: name, message: `is not a parameter of this runbook (parameters: ${known})` });
    }
  }
  for (const [name, param] of Object.entries(runbook.params)) {
    const text = Object.hasOwn(given, name) ? given[name] : undefined;
    if (text === undefined || (text === '' && param.type !== 'string')) {
      if (param.default !== undefined) values[name] = param.default;
      else if (param.required) missing.push(name);
      continue;
    }
    const parsed = parseValue(param, text);
    if ('problem' in parsed) problems.push({ param: name, message: parsed.problem });
    else values[name] = parsed.value;
  }
  if (problems.length > 0 || missing.length > 0) return { ok: false, values, missing, problems };
  return { ok: true, values };
}

/** A runbook ready to be evaluated and run. */
export interface RenderedRunbook {
  name: string;
  target: PolicyTarget;
  /** The target as text, e.g. `prod/worker:app`. */
  targetText: string;
  /** The command with every value quoted for `sh`. */
  command: string;
  values: Record<string, RunbookValue>;
}

function valueText(value: RunbookValue | undefined): string {
  return value === undefined ? '' : String(value);
}

/**
 * Renders the target (values inserted as they are, each part checked to be a plain name) and the command (each value
 * quoted as one literal shell word). Returns problems instead when a value makes the target invalid.
 */
export function renderRunbook(
  policy: PolicyConfig,
  name: string,
  values: Readonly<Record<string, RunbookValue>>,
): { ok: true; run: RenderedRunbook } | { ok: false; problems: RunbookArgProblem[] } {
  const runbook = policy.runbooks[name];
  if (!runbook) return { ok: false, problems: [{ param: '', message: `unknown runbook "${name}"` }] };
  const targetText = renderTemplate(runbook.target, (param) => valueText(values[param]));
  const command = renderTemplate(runbook.command, (param) => shellQuote(valueText(values[param])));
  const slash = targetText.indexOf('/');
  const clusterAlias = targetText.slice(0, slash);
  const rest = targetText.slice(slash + 1);
  const [service = '', container, ...extra] = rest.split(':');
  const parts = [clusterAlias, service, ...(container === undefined ? [] : [container])];
  if (slash === -1 || extra.length > 0 || parts.some((part) => !isEcsName(part))) {
    return {
      ok: false,
      problems: [{ param: '', message: `the values make "${targetText}", which is not a valid target` }],
    };
  }
  if (!policy.clusters[clusterAlias]) {
    const known = Object.keys(policy.clusters).join(', ');
    return { ok: false, problems: [{ param: '', message: `"${clusterAlias}" is not a cluster (clusters: ${known})` }] };
  }
  const target: PolicyTarget = { clusterAlias, service, ...(container === undefined ? {} : { container }) };
  return { ok: true, run: { name, target, targetText, command, values: { ...values } } };
}

/** Validates the given values and renders the runbook in one step; `missing` feeds the parameter modal. */
export function prepareRunbook(
  policy: PolicyConfig,
  name: string,
  given: Readonly<Record<string, string>>,
):
  | { ok: true; run: RenderedRunbook }
  | { ok: false; missing: string[]; problems: RunbookArgProblem[]; params: RunbookParamDescriptor[] } {
  const runbook = policy.runbooks[name];
  if (!runbook) {
    const known = Object.keys(policy.runbooks).join(', ') || 'none';
    return {
      ok: false,
      missing: [],
      problems: [{ param: '', message: `unknown runbook "${name}" (runbooks: ${known})` }],
      params: [],
    };
  }
  const params = runbookParamDescriptors(runbook);
  const args = resolveRunbookArgs(runbook, given);
  if (!args.ok) return { ok: false, missing: args.missing, problems: args.problems, params };
  const rendered = renderRunbook(policy, name, args.values);
  if (!rendered.ok) return { ok: false, missing: [], problems: rendered.problems, params };
  return rendered;
}

/**
 * The runbooks worth offering to this user in this channel (`/ecs-exec runbooks`). A runbook with its own `who`
 * is listed for its members; one governed by the rules is listed when an allow rule covers the user, the channel and
 * (for a fixed target) the target. A listed runbook can still be refused for the values given.
 */
export function runbooksVisibleTo(
  policy: PolicyConfig,
  userId: string,
  userGroupIds: readonly string[],
  channelId: string,
): { name: string; runbook: RunbookConfig }[] {
  const user = { userId, userGroupIds };
  return Object.entries(policy.runbooks)
    .filter(([, runbook]) => {
      if (runbook.channels && !runbook.channels.includes(channelId)) return false;
      if (runbook.who) return isMemberOfAny(policy, runbook.who, user);
      const fixedTarget = runbook.target.includes('{{') ? undefined : renderRunbookTarget(runbook.target);
      return policy.rules.some((rule) => {
        if (rule.effect !== 'allow' || !rule.who || !isMemberOfAny(policy, rule.who, user)) return false;
        if (rule.channels && !rule.channels.includes(channelId)) return false;
        if (!fixedTarget) return true;
        // A target without a container may still resolve to the one a rule names, as a typed request may.
        return (rule.targets ?? []).some((pattern) => compileTargetPattern(pattern).match(fixedTarget) !== 'no');
      });
    })
    .map(([name, runbook]) => ({ name, runbook }));
}

function renderRunbookTarget(text: string): { clusterAlias: string; name: string; container: string | undefined } {
  const slash = text.indexOf('/');
  const [name = '', container] = text.slice(slash + 1).split(':');
  return { clusterAlias: text.slice(0, slash), name, container };
}
