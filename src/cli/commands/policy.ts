import { parseArgs } from 'node:util';
import { configFilePath } from '../../config/config-file.js';
import { ConfigError, formatConfigIssue } from '../../config/errors.js';
import type { PolicyConfig } from '../../config/schema.js';
import { foreignArnReason } from '../../ecs/task-arn.js';
import { clusterAliasFor, describeApproval, evaluatePolicy, type PolicyTarget } from '../../policy/evaluate.js';
import { isGroupMember } from '../../policy/groups.js';
import { policyVersion } from '../../policy/policy-version.js';
import { prepareRunbook } from '../../policy/runbooks.js';
import { formatDuration } from '../../shared/duration.js';
import { parseTarget } from '../../shared/ecs-target.js';
import {
  type CliCommand,
  type CliIo,
  EXIT,
  parseOrUsage,
  splitAtDoubleDash,
  UsageError,
  usageFailure,
  wantsHelp,
} from '../io.js';
import { readConfigOrIssues } from '../read-config.js';

/** Exit code of `policy check` for an invalid file, and of `policy explain` for a denied request. */
export const EXIT_POLICY_FAILED = EXIT.checkFailed;

const USAGE = `Usage:
  ecs-exec policy check [FILE]
      Validates a config file (default: $ECS_EXEC_CONFIG or ./ecs-exec.yml) and lists every problem. FILE may
      also be ssm:/parameter/name or s3://bucket/key, read with the AWS credentials and region of the environment.
      Exit 0 when valid, 1 when not.

  ecs-exec policy explain --user U [--group G ...] [--channel C] [--file FILE] <target> -- CMD ...
  ecs-exec policy explain --user U [--group G ...] [--channel C] [--file FILE] --runbook NAME [name=value ...]
      Shows the decision for a request and the rule that made it; nothing runs.
      <target> is <cluster>/<service>[:<container>], <cluster>/<task-id>[:<container>] or a task ARN.
      --group takes a Slack user group ID (S...) the user is in, or a group name from the config file.
      Exit 0 when allowed, 1 when denied.

Bad usage exits 2; a config file that cannot be read or is invalid exits 1 (check) or 255 (explain).
`;

function configPath(io: CliIo, file: string | undefined): string {
  return configFilePath(io.env, file);
}

function printIssues(io: CliIo, error: ConfigError): void {
  const count = error.issues.length === 1 ? '1 problem' : `${error.issues.length} problems`;
  io.stderr.write(`${count}:\n${error.issues.map((issue) => `  ${formatConfigIssue(issue)}`).join('\n')}\n`);
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

async function check(args: string[], io: CliIo): Promise<number> {
  let file: string | undefined;
  try {
    const { positionals } = parseOrUsage(() => parseArgs({ args, strict: true, allowPositionals: true, options: {} }));
    if (positionals.length > 1) throw new UsageError('expected at most one FILE');
    file = positionals[0];
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageFailure(io, 'ecs-exec policy check', error.message, USAGE);
  }
  const path = configPath(io, file);
  const policy = await readConfigOrIssues(path, io.env);
  if (policy instanceof ConfigError) {
    printIssues(io, policy);
    return EXIT_POLICY_FAILED;
  }
  const clusters = Object.keys(policy.clusters).length;
  const runbooks = Object.keys(policy.runbooks).length;
  // Fan-out is off unless a rule says otherwise, so the rules that allow it are named on the OK line.
  const fanOut = policy.rules
    .filter((rule) => rule.effect === 'allow' && (rule.maxTasks ?? 1) > 1)
    .map((rule) => `"${rule.name}" (maxTasks ${rule.maxTasks})`);
  const fanOutNote = fanOut.length > 0 ? `; fan-out allowed by ${fanOut.join(', ')}` : '';
  io.stdout.write(
    `OK: ${plural(clusters, 'cluster')}, ${plural(policy.rules.length, 'rule')}, ${plural(runbooks, 'runbook')} (${path})${fanOutNote}\n`,
  );
  return 0;
}

interface ExplainOptions {
  user?: string;
  groups: string[];
  channel?: string;
  file?: string;
  runbook?: string;
  positional: string[];
  command: string[] | undefined;
}

function parseExplainArgs(args: string[]): ExplainOptions {
  const { flags, words } = splitAtDoubleDash(args);
  const { values, positionals } = parseOrUsage(() =>
    parseArgs({
      args: flags,
      strict: true,
      allowPositionals: true,
      options: {
        user: { type: 'string' },
        group: { type: 'string', multiple: true },
        channel: { type: 'string' },
        file: { type: 'string' },
        runbook: { type: 'string' },
      },
    }),
  );
  for (const name of ['user', 'channel', 'file', 'runbook'] as const) {
    if (values[name] === '') throw new UsageError(`--${name} needs a value`);
  }
  if (!values.user) throw new UsageError('--user is required (a Slack user ID such as U0123ABCD)');
  return {
    user: values.user,
    groups: values.group ?? [],
    ...(values.channel !== undefined ? { channel: values.channel } : {}),
    ...(values.file !== undefined ? { file: values.file } : {}),
    ...(values.runbook !== undefined ? { runbook: values.runbook } : {}),
    positional: positionals,
    command: words,
  };
}

/** The target as typed; nothing is asked of ECS, so a task's service and an unnamed container stay open. */
function targetFrom(policy: PolicyConfig, text: string): PolicyTarget | string {
  const parsed = parseTarget(text);
  if (!parsed.ok) return parsed.error;
  const spec = parsed.value;
  const container = { ...(spec.container === undefined ? {} : { container: spec.container }), unresolved: true };
  if (spec.kind === 'service') return { clusterAlias: spec.cluster, service: spec.service, ...container };
  if (spec.kind === 'task') return { clusterAlias: spec.cluster, taskId: spec.taskId, ...container };
  const alias = clusterAliasFor(policy, spec.cluster, spec.region);
  if (!alias) return `no configured cluster is "${spec.cluster}" in ${spec.region}`;
  const foreign = foreignArnReason(alias, policy.clusters[alias] as PolicyConfig['clusters'][string], spec);
  if (foreign) return foreign;
  return { clusterAlias: alias, taskId: spec.taskId, ...container };
}

async function explain(args: string[], io: CliIo): Promise<number> {
  const usageError = (message: string): number => usageFailure(io, 'ecs-exec policy explain', message, USAGE);
  let options: ExplainOptions;
  try {
    options = parseExplainArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageError(error.message);
  }
  const path = configPath(io, options.file);
  const policy = await readConfigOrIssues(path, io.env);
  if (policy instanceof ConfigError) {
    printIssues(io, policy);
    return EXIT.couldNotStart;
  }

  const userGroupIds: string[] = [];
  for (const group of options.groups) {
    if (/^S[A-Z0-9]+$/.test(group)) userGroupIds.push(group);
    else if (policy.groups[group]?.usergroups.length) userGroupIds.push(...(policy.groups[group]?.usergroups ?? []));
    else if (policy.groups[group]) {
      return usageError(`group "${group}" has no Slack user groups; pass one of its users as --user instead`);
    } else return usageError(`"${group}" is neither a Slack user group ID (S...) nor a group of ${path}`);
  }

  let target: PolicyTarget | string;
  let command: string;
  let runbook: string | undefined;
  if (options.runbook !== undefined) {
    if (options.command !== undefined) return usageError('--runbook takes name=value pairs, not a command after --');
    const given: Record<string, string> = {};
    for (const pair of options.positional) {
      const eq = pair.indexOf('=');
      if (eq <= 0) return usageError(`"${pair}" is not name=value`);
      given[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const prepared = prepareRunbook(policy, options.runbook, given);
    if (!prepared.ok) {
      const lines = [
        ...prepared.missing.map((name) => `${name}: missing (required)`),
        ...prepared.problems.map((problem) => `${problem.param ? `${problem.param}: ` : ''}${problem.message}`),
      ];
      return usageError(`runbook "${options.runbook}":\n  ${lines.join('\n  ')}`);
    }
    target = { ...prepared.run.target, unresolved: true };
    command = prepared.run.command;
    runbook = options.runbook;
  } else {
    const [targetText, ...extra] = options.positional;
    if (!targetText || extra.length > 0) return usageError('expected one <target> before --');
    if (!options.command || options.command.length === 0) return usageError('the command is missing after --');
    target = targetFrom(policy, targetText);
    command = options.command.join(' ');
  }
  if (typeof target === 'string') return usageError(target);

  const user = { userId: options.user as string, userGroupIds };
  const decision = evaluatePolicy(policy, {
    ...user,
    channelId: options.channel ?? '',
    target,
    command,
    ...(runbook === undefined ? {} : { runbook }),
  });
  const memberOf = Object.keys(policy.groups).filter((name) => isGroupMember(policy, name, user));
  const verdict = decision.effect === 'deny' ? 'DENY' : decision.pending ? 'ALLOW (so far)' : 'ALLOW';
  const lines = [
    `${verdict} by ${decision.rule === 'default-deny' ? 'default-deny (no rule allows it)' : `rule "${decision.rule}"`}`,
    `  target:      ${decision.targetLabel}`,
    `  command:     ${command}`,
    `  user:        ${user.userId} (member of: ${memberOf.join(', ') || 'no group'})`,
    `  channel:     ${options.channel ?? '(none given: rules limited to channels do not apply)'}`,
  ];
  if (decision.effect === 'allow') {
    lines.push(
      `  approval:    ${describeApproval(decision.approval)}`,
      `  break-glass: ${decision.breakGlassAllowed ? 'allowed (with a reason)' : 'not allowed'}`,
      `  timeout:     ${formatDuration(decision.timeoutMs)}`,
      `  fan-out:     ${fanOutText(decision.maxTasks ?? 1)}`,
    );
  }
  if (decision.pending) {
    const parts = decision.pending.unknown.map((part) => (part === 'service' ? "the task's service" : 'the container'));
    const refusers = decision.pending.denyRules.map((rule) => `"${rule}"`).join(', ');
    lines.push(
      `  depends on:  ${parts.join(' and ')}, known only once the task is resolved; the bot checks again then`,
      ...(refusers ? [`  may deny:    ${refusers}, if the resolved target matches them`] : []),
    );
  }
  lines.push(`  reason:      ${decision.reason}`, `  policy:      ${policyVersion(policy)}`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return decision.effect === 'allow' ? 0 : EXIT_POLICY_FAILED;
}

/** `ecs-exec policy check | explain`: the policy file, checked and explained without running anything. */
export const policyCommand: CliCommand = async (args, io) => {
  const [sub, ...rest] = args;
  if (wantsHelp(args) || sub === 'help') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (sub === 'check') return await check(rest, io);
  if (sub === 'explain') return await explain(rest, io);
  if (sub === undefined) return usageFailure(io, 'ecs-exec policy', 'say which: check or explain', USAGE);
  return usageFailure(io, 'ecs-exec policy', `unknown sub-command "${sub}"`, USAGE);
};

/** What `maxTasks` lets a request do, for `policy explain`. */
function fanOutText(maxTasks: number): string {
  return maxTasks > 1 ? `up to ${maxTasks} tasks at once (--all, --tasks N)` : 'one task (the rule sets no maxTasks)';
}
