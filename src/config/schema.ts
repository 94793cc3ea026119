import { z } from 'zod';
import { compileCommandPattern, compileTargetPattern, hasWildcard, PatternSyntaxError } from '../policy/patterns.js';
import { commandPlaceholderUses, placeholderNames, templateSyntaxProblems } from '../policy/template.js';
import { parseRedactionSection, type RedactionConfig } from './redaction-config.js';
import { parseRedisUrl, RedisUrlError } from './redis-url.js';
import { parseDuration, parseSize } from './units.js';

// ---------------------------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------------------------

/** pino's level names. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;

/**
 * The environment variables of product.md §4. Messages never quote the value: several of these are secrets, and a
 * REDIS_URL may carry a password.
 */
export const envSchema = z.object({
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-\S+$/, { error: 'must be a bot token, which starts with "xoxb-"' })
    .optional(),
  SLACK_SIGNING_SECRET: z
    .string()
    .regex(/^\S{8,}$/, { error: "must be the app's signing secret (at least 8 characters, no spaces)" })
    .optional(),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-\S+$/, { error: 'must be an app-level token, which starts with "xapp-"' })
    .optional(),
  SLACK_API_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://slack.com/api/' })
    // The Web API client appends the method name, so a missing trailing slash would call `/apichat.postMessage`.
    .transform((url) => (url.endsWith('/') ? url : `${url}/`))
    .optional(),
  PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int({ error: 'must be a whole port number' })
    .min(0, { error: 'must be between 0 and 65535' })
    .max(65_535, { error: 'must be between 0 and 65535' })
    .default(3000),
  /** Serves /metrics on this port instead of PORT, so metrics need not be reachable where Slack reaches the bot. */
  METRICS_PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int({ error: 'must be a whole port number' })
    .min(0, { error: 'must be between 0 and 65535' })
    .max(65_535, { error: 'must be between 0 and 65535' })
    .optional(),
  REDIS_URL: z
    .string()
    .check((ctx) => {
      try {
        parseRedisUrl(ctx.value);
      } catch (error) {
        if (!(error instanceof RedisUrlError)) throw error;
        ctx.issues.push({ code: 'custom', message: error.message, input: ctx.value });
      }
    })
    .optional(),
  ECS_EXEC_CONFIG: z.string().default('./ecs-exec.yml'),
  AWS_REGION: z.string().regex(AWS_REGION, { error: 'must be an AWS region such as eu-west-1' }).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
});

export type EnvSettings = z.output<typeof envSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Config file: building blocks
// ---------------------------------------------------------------------------------------------------------------

/** Cluster aliases and runbook names appear inside targets and commands, so they stay plain. */
const SIMPLE_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
// Starts with a letter, so no parameter can be called __proto__.
const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const ECS_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):(\d{12}):cluster\/([A-Za-z0-9_-]{1,255})$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key\/[A-Za-z0-9-]{1,128}$/;
const ACCOUNT_ID = /^\d{12}$/;
const USERGROUP_ID = /^S[A-Z0-9]{2,}$/;
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

const MAX_TIMEOUT_MS = 24 * 3_600_000;

const duration = z.string({ error: 'must be a duration with a unit, such as 90s, 5m or 1h' }).transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; write it like 90s, 5m or 1h` });
    return z.NEVER;
  }
  if (ms > MAX_TIMEOUT_MS) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is longer than 24h` });
    return z.NEVER;
  }
  return ms;
});

const size = z
  .union([z.string(), z.number()], { error: 'must be a size such as 10MiB or 512KB' })
  .transform((value, ctx) => {
    const bytes = parseSize(value);
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a size; write it like 10MiB, 512KB or 1048576` });
      return z.NEVER;
    }
    return bytes;
  });

const groupRef = z.string().regex(GROUP_NAME, { error: 'must be a group name from "groups"' });
const channelId = z.string().regex(CHANNEL_ID, { error: 'must be a Slack channel ID such as C0123ABCD' });
const description = z.string().min(1).max(500).optional();

// ---------------------------------------------------------------------------------------------------------------
// Config file: sections
// ---------------------------------------------------------------------------------------------------------------

const clusterObject = z.strictObject({
  cluster: z.string().refine((value) => ECS_NAME.test(value) || CLUSTER_ARN.test(value), {
    error: 'must be an ECS cluster name or ARN (arn:aws:ecs:<region>:<account>:cluster/<name>)',
  }),
  region: z.string().regex(AWS_REGION, { error: 'must be an AWS region such as eu-west-1' }).optional(),
  roleArn: z
    .string()
    .regex(ROLE_ARN, { error: 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)' })
    .optional(),
  /** The cluster's account when `cluster` is a name; only `ecs-exec iam-policy` needs it. */
  account: z.string().regex(ACCOUNT_ID, { error: 'must be a 12-digit AWS account id' }).optional(),
  /** The KMS key of the cluster's executeCommandConfiguration, so the IAM policy can name it. */
  kmsKeyArn: z
    .string()
    .regex(KMS_KEY_ARN, { error: 'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>), not an alias' })
    .optional(),
  shell: z
    .string()
    .refine((value) => value === 'none' || /^\/\S+$/.test(value), {
      error: 'must be an absolute path such as /bin/sh, or "none" to run commands without a wrapper',
    })
    .default('/bin/sh'),
  containers: z
    .record(
      z.string().regex(ECS_NAME, { error: 'must be a service name' }),
      z.string().regex(ECS_NAME, { error: 'must be a container name' }),
    )
    .default({}),
  description,
});
const clusterSchema = clusterObject.transform(({ shell, ...rest }) => ({
  ...rest,
  /** The wrapper that recovers the exit code; null runs commands as given. */
  shell: shell === 'none' ? null : shell,
}));

const groupSchema = z.strictObject({
  usergroups: z
    .array(z.string().regex(USERGROUP_ID, { error: 'must be a Slack user group ID such as S0123ABCD' }))
    .default([]),
  users: z
    .array(
      z.string().refine((value) => value === '*' || USER_ID.test(value), {
        error: 'must be a Slack user ID such as U0123ABCD, or "*" for every user',
      }),
    )
    .default([]),
  description,
});

const approvalObject = z.strictObject({
  approvers: z.array(groupRef).min(1, { error: 'must name at least one group' }),
  count: z.number().int().min(1, { error: 'must be at least 1' }).default(1),
  selfApproval: z.boolean().default(false),
  ttl: duration.default(30 * 60_000),
  /** Nudge: after this long without a decision the approver groups are mentioned once in the card's thread. */
  remindAfter: duration.optional(),
  /** Escalation: after this long the `escalateTo` groups are mentioned once as well. */
  escalateAfter: duration.optional(),
  escalateTo: z.array(groupRef).min(1, { error: 'must name at least one group' }).optional(),
});
type ApprovalFields = z.output<typeof approvalObject>;
/** Nudge durations in ms under names that say so; an unset nudge stays absent. */
function nudgesInMs(remindAfter: number | undefined, escalateAfter: number | undefined) {
  return {
    ...(remindAfter === undefined ? {} : { remindAfterMs: remindAfter }),
    ...(escalateAfter === undefined ? {} : { escalateAfterMs: escalateAfter }),
  };
}
const approvalSchema = approvalObject.transform(({ ttl, remindAfter, escalateAfter, ...rest }) => ({
  ...rest,
  ttlMs: ttl,
  ...nudgesInMs(remindAfter, escalateAfter),
}));

/** The approval part of an invalid rule or runbook that is still worth checking against the groups. */
function salvageApproval(raw: unknown): Partial<ApprovalConfig> | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { ttl, remindAfter, escalateAfter, ...rest } = salvageFields(
    approvalObject.shape,
    raw,
  ) as Partial<ApprovalFields>;
  return { ...rest, ...(ttl === undefined ? {} : { ttlMs: ttl }), ...nudgesInMs(remindAfter, escalateAfter) };
}

const ruleObject = z.strictObject({
  name: z.string().regex(SIMPLE_NAME, { error: 'must be a lowercase name such as prod-with-approval' }),
  description,
  effect: z.enum(['allow', 'deny'], { error: 'must be "allow" or "deny"' }),
  who: z.array(groupRef).min(1, { error: 'must name at least one group' }).optional(),
  channels: z.array(channelId).min(1, { error: 'must name at least one channel, or be left out' }).optional(),
  targets: z.array(z.string()).min(1, { error: 'must name at least one target, or be left out' }).optional(),
  commands: z.array(z.string()).min(1, { error: 'must name at least one command, or be left out' }).optional(),
  approval: approvalSchema.optional(),
  breakGlass: z.boolean().default(false),
  timeout: duration.optional(),
});
const ruleSchema = ruleObject.transform(({ timeout, ...rest }) => ({ ...rest, timeoutMs: timeout }));

const paramCommon = { description, required: z.boolean().optional() };
const stringish = z.union([z.string(), z.number()]).transform(String);

const paramSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('enum'),
      values: z.array(stringish).min(1, { error: 'must list at least one value' }),
      default: stringish.optional(),
      ...paramCommon,
    }),
    z.strictObject({
      type: z.literal('string'),
      pattern: z.string().optional(),
      maxLength: z.number().int().min(1).max(65_536).default(256),
      default: z.string().optional(),
      ...paramCommon,
    }),
    z.strictObject({
      type: z.literal('int'),
      min: z.number().int().optional(),
      max: z.number().int().optional(),
      default: z.number().int().optional(),
      ...paramCommon,
    }),
    z.strictObject({ type: z.literal('bool'), default: z.boolean().optional(), ...paramCommon }),
  ],
  { error: 'type must be one of enum, string, int, bool' },
);

const runbookObject = z.strictObject({
  description,
  target: z.string().min(1),
  command: z.string().min(1),
  params: z
    .record(z.string().regex(PARAM_NAME, { error: 'must be a parameter name such as lines' }), paramSchema)
    .default({}),
  who: z.array(groupRef).min(1, { error: 'must name at least one group' }).optional(),
  channels: z.array(channelId).min(1, { error: 'must name at least one channel, or be left out' }).optional(),
  approval: z
    .union([z.literal('none'), approvalSchema], {
      error: 'must be "none" or { approvers, count, selfApproval, ttl }',
    })
    .optional(),
  timeout: duration.optional(),
});
const toRunbook = ({ timeout, params, ...rest }: z.output<typeof runbookObject>) => ({
  ...rest,
  timeoutMs: timeout,
  params: Object.fromEntries(
    Object.entries(params).map(([name, param]) => [
      name,
      // A parameter without a default must be given unless the file says otherwise.
      { ...param, required: param.required ?? param.default === undefined },
    ]),
  ),
});
const runbookSchema = runbookObject.transform(toRunbook);

const limitsObject = z.strictObject({
  timeout: duration.default(10 * 60_000),
  maxOutputBytes: size
    .refine((bytes) => bytes >= 1_024, { error: 'must be at least 1KiB' })
    .refine((bytes) => bytes <= 1_073_741_824, { error: 'must be at most 1GiB' })
    .default(10 * 1_048_576),
  previewLines: z.number().int().min(1).max(1_000).default(40),
});
const limitsSchema = limitsObject.transform(({ timeout, ...rest }) => ({ ...rest, timeoutMs: timeout }));

const auditSchema = z.strictObject({ channel: channelId.optional() });

/** Groups whose members may stop any run, whoever asked for it and whatever rule allowed it. */
const adminsSchema = z.array(groupRef).default([]);

const TOP_LEVEL_KEYS = ['clusters', 'groups', 'admins', 'rules', 'runbooks', 'limits', 'audit', 'redaction'] as const;

export type ClusterConfig = z.output<typeof clusterSchema> & { region: string };
export type GroupConfig = z.output<typeof groupSchema>;
export type ApprovalConfig = z.output<typeof approvalSchema>;
export type RuleConfig = z.output<typeof ruleSchema>;
export type RunbookParam = z.output<typeof paramSchema> & { required: boolean };
export type RunbookConfig = Omit<z.output<typeof runbookSchema>, 'params'> & { params: Record<string, RunbookParam> };
export type LimitsConfig = z.output<typeof limitsSchema>;
export type AuditConfig = z.output<typeof auditSchema>;

/** The validated config file: who may run what where (product.md §4), durations in ms and sizes in bytes. */
export interface PolicyConfig {
  clusters: Record<string, ClusterConfig>;
  groups: Record<string, GroupConfig>;
  /** Group names whose members may stop any run (besides its requester and the approvers of its rule). */
  admins: string[];
  rules: RuleConfig[];
  runbooks: Record<string, RunbookConfig>;
  limits: LimitsConfig;
  audit: AuditConfig;
  /** Secret rules of the organisation's own, added to the built-in ones. */
  redaction: RedactionConfig;
}

/** A problem in the config file, with its location as a list of keys and indexes. */
export interface FileIssue {
  path: (string | number)[];
  message: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------------------

/** Every key the file format knows, for "did you mean" hints on typos. */
const KNOWN_KEYS = [
  ...TOP_LEVEL_KEYS,
  ...Object.keys(clusterObject.shape),
  ...Object.keys(groupSchema.shape),
  ...Object.keys(approvalObject.shape),
  ...Object.keys(ruleObject.shape),
  ...Object.keys(runbookObject.shape),
  ...['type', 'values', 'default', 'required', 'pattern', 'maxLength', 'min', 'max'],
  ...Object.keys(limitsObject.shape),
  ...Object.keys(auditSchema.shape),
];

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function unknownKeyMessage(key: string): string {
  const lower = key.toLowerCase();
  const closest = [...new Set(KNOWN_KEYS)]
    .map((known) => ({ known, distance: editDistance(lower, known.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance)[0];
  return closest && closest.distance <= 2 && closest.distance < key.length
    ? `unknown key (did you mean "${closest.known}"?)`
    : 'unknown key';
}

function fromZod(issues: readonly z.core.$ZodIssue[], prefix: (string | number)[]): FileIssue[] {
  const out: FileIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path.map((key) => (typeof key === 'number' ? key : String(key)))];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...path, key], message: unknownKeyMessage(key) });
    } else if (issue.code === 'invalid_key') {
      const inner = issue.issues[0]?.message ?? 'invalid';
      out.push({ path, message: `invalid name: ${inner}` });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Keeps the fields of an invalid object that are valid on their own, so the checks between sections (unknown
 * groups, clusters, parameters) still run for it and every problem is reported in one go.
 */
function salvageFields(shape: Record<string, z.ZodType>, raw: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isPlainObject(raw)) return out;
  for (const [key, schema] of Object.entries(shape)) {
    const result = schema.safeParse(raw[key]);
    if (result.success && result.data !== undefined) out[key] = result.data;
  }
  return out;
}

/** Parses each entry of a map section on its own, so one broken entry does not hide the problems of the others. */
function parseMapSection<T>(
  raw: unknown,
  section: string,
  keyPattern: RegExp,
  keyHint: string,
  schema: z.ZodType<T>,
  issues: FileIssue[],
): { names: Set<string>; parsed: Record<string, T> } {
  const names = new Set<string>();
  const parsed: Record<string, T> = {};
  if (raw === undefined || raw === null) return { names, parsed };
  if (!isPlainObject(raw)) {
    issues.push({ path: [section], message: 'must be a map of names to settings' });
    return { names, parsed };
  }
  for (const [name, value] of Object.entries(raw)) {
    names.add(name);
    if (!keyPattern.test(name)) issues.push({ path: [section, name], message: `invalid name: ${keyHint}` });
    const result = schema.safeParse(value);
    if (result.success) parsed[name] = result.data;
    else issues.push(...fromZod(result.error.issues, [section, name]));
  }
  return { names, parsed };
}

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

interface CheckContext {
  groupNames: Set<string>;
  groups: Record<string, GroupConfig>;
  clusterNames: Set<string>;
  limitsTimeoutMs: number | undefined;
  issues: FileIssue[];
}

function checkGroupRefs(ctx: CheckContext, refs: readonly string[] | undefined, path: (string | number)[]): void {
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

function checkRule(ctx: CheckContext, rule: Partial<RuleConfig>, index: number, present: Set<string>): void {
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

function checkRunbook(
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

/**
 * Validates a parsed config file (YAML already turned into plain data). Every problem is returned at once: each
 * cluster, group, rule and runbook is checked on its own, then the references between them. `defaultRegion` fills
 * the region of clusters given by name only (AWS_REGION).
 */
export function validateConfigFile(
  raw: unknown,
  options: { defaultRegion?: string | undefined } = {},
): { ok: true; config: PolicyConfig } | { ok: false; issues: FileIssue[] } {
  const issues: FileIssue[] = [];
  if (!isPlainObject(raw)) {
    return {
      ok: false,
      issues: [{ path: [], message: 'the config file must be a map with "clusters", "rules", ...' }],
    };
  }
  for (const key of Object.keys(raw)) {
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key))
      issues.push({ path: [key], message: unknownKeyMessage(key) });
  }

  const clusters = parseMapSection(
    raw['clusters'],
    'clusters',
    SIMPLE_NAME,
    'lowercase letters, digits, - and _',
    clusterSchema,
    issues,
  );
  if (clusters.names.size === 0 && raw['clusters'] !== undefined && isPlainObject(raw['clusters'])) {
    issues.push({ path: ['clusters'], message: 'declares no cluster' });
  }
  if (raw['clusters'] === undefined || raw['clusters'] === null) {
    issues.push({ path: ['clusters'], message: 'is missing: declare at least one cluster' });
  }
  const resolvedClusters: Record<string, ClusterConfig> = {};
  const rawClusters = isPlainObject(raw['clusters']) ? raw['clusters'] : {};
  for (const [alias, rawCluster] of Object.entries(rawClusters)) {
    // Read from the raw entry so a region problem is reported even when another field of the cluster is broken.
    const fields = salvageFields(clusterObject.shape, rawCluster) as {
      cluster?: string;
      region?: string;
      account?: string;
    };
    const arnParts = fields.cluster === undefined ? undefined : CLUSTER_ARN.exec(fields.cluster);
    const arnRegion = arnParts?.[1];
    if (arnRegion && fields.region && arnRegion !== fields.region) {
      issues.push({
        path: ['clusters', alias, 'region'],
        message: `is ${fields.region} but the cluster ARN is in ${arnRegion}`,
      });
    }
    const arnAccount = arnParts?.[2];
    if (arnAccount && fields.account && arnAccount !== fields.account) {
      issues.push({
        path: ['clusters', alias, 'account'],
        message: `is ${fields.account} but the cluster ARN is in account ${arnAccount}`,
      });
    }
    const cluster = clusters.parsed[alias];
    if (!cluster) continue;
    const region = cluster.region ?? arnRegion ?? options.defaultRegion;
    if (!region) {
      issues.push({ path: ['clusters', alias, 'region'], message: 'is missing: set it here or set AWS_REGION' });
      continue;
    }
    resolvedClusters[alias] = { ...cluster, region };
  }

  const groups = parseMapSection(raw['groups'], 'groups', GROUP_NAME, 'letters, digits, - and _', groupSchema, issues);
  for (const [name, group] of Object.entries(groups.parsed)) {
    if (group.usergroups.length === 0 && group.users.length === 0) {
      issues.push({
        path: ['groups', name],
        message: 'is empty: list usergroups or users (an empty group never means anyone)',
      });
    }
  }

  const adminsResult = adminsSchema.safeParse(raw['admins'] ?? []);
  if (!adminsResult.success) issues.push(...fromZod(adminsResult.error.issues, ['admins']));

  const limitsResult = limitsSchema.safeParse(raw['limits'] ?? {});
  if (!limitsResult.success) issues.push(...fromZod(limitsResult.error.issues, ['limits']));
  const auditResult = auditSchema.safeParse(raw['audit'] ?? {});
  if (!auditResult.success) issues.push(...fromZod(auditResult.error.issues, ['audit']));
  const redaction = parseRedactionSection(raw['redaction'], issues);

  const ctx: CheckContext = {
    groupNames: groups.names,
    groups: groups.parsed,
    clusterNames: clusters.names,
    limitsTimeoutMs: limitsResult.success ? limitsResult.data.timeoutMs : undefined,
    issues,
  };
  if (adminsResult.success) checkGroupRefs(ctx, adminsResult.data, ['admins']);

  const rules: RuleConfig[] = [];
  const rawRules = raw['rules'] ?? [];
  if (!Array.isArray(rawRules)) {
    issues.push({ path: ['rules'], message: 'must be a list of rules' });
  } else {
    const seen = new Map<string, number>();
    rawRules.forEach((rawRule: unknown, index) => {
      const present = new Set(isPlainObject(rawRule) ? Object.keys(rawRule) : []);
      const result = ruleSchema.safeParse(rawRule);
      let rule: Partial<RuleConfig>;
      if (result.success) {
        rule = result.data;
        rules.push(result.data);
      } else {
        issues.push(...fromZod(result.error.issues, ['rules', index]));
        if (!isPlainObject(rawRule)) return;
        const { timeout, ...rest } = salvageFields(ruleObject.shape, rawRule) as Partial<z.output<typeof ruleObject>>;
        const approval = rest.approval ?? salvageApproval(rawRule['approval']);
        rule = { ...rest, timeoutMs: timeout, ...(approval ? { approval: approval as ApprovalConfig } : {}) };
      }
      if (rule.name !== undefined) {
        const first = seen.get(rule.name);
        if (first !== undefined) {
          issues.push({
            path: ['rules', index, 'name'],
            message: `"${rule.name}" is already the name of rules[${first}]`,
          });
        } else seen.set(rule.name, index);
      }
      checkRule(ctx, rule, index, present);
    });
  }

  const runbooks = parseMapSection(
    raw['runbooks'],
    'runbooks',
    SIMPLE_NAME,
    'lowercase letters, digits, - and _',
    runbookSchema as z.ZodType<RunbookConfig>,
    issues,
  );
  const rawRunbooks = isPlainObject(raw['runbooks']) ? raw['runbooks'] : {};
  for (const [name, rawRunbook] of Object.entries(rawRunbooks)) {
    if (!isPlainObject(rawRunbook)) continue;
    const rawParams = rawRunbook['params'];
    const declared = new Set(isPlainObject(rawParams) ? Object.keys(rawParams) : []);
    const present = new Set(Object.keys(rawRunbook));
    let runbook: Partial<RunbookConfig> | undefined = runbooks.parsed[name];
    if (!runbook) {
      // Salvage what is valid, parameters one by one, so template and reference checks still run.
      const {
        params: _params,
        timeout,
        ...rest
      } = salvageFields(runbookObject.shape, rawRunbook) as Partial<z.output<typeof runbookObject>>;
      const params: Record<string, RunbookParam> = {};
      for (const [paramName, rawParam] of Object.entries(isPlainObject(rawParams) ? rawParams : {})) {
        const parsed = paramSchema.safeParse(rawParam);
        if (parsed.success)
          params[paramName] = { ...parsed.data, required: parsed.data.required ?? parsed.data.default === undefined };
      }
      const approval = rest.approval ?? salvageApproval(rawRunbook['approval']);
      runbook = { ...rest, timeoutMs: timeout, params, ...(approval ? { approval: approval as ApprovalConfig } : {}) };
    }
    checkRunbook(ctx, name, runbook, declared, present);
  }

  if (issues.length > 0 || !limitsResult.success || !auditResult.success || !adminsResult.success) {
    return { ok: false, issues };
  }
  return {
    ok: true,
    config: {
      clusters: resolvedClusters,
      groups: groups.parsed,
      admins: adminsResult.data,
      rules,
      runbooks: runbooks.parsed,
      limits: limitsResult.data,
      audit: auditResult.data,
      redaction,
    },
  };
}
