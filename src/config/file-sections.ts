import { z } from 'zod';
import type { ApprovalConfig } from '../policy/policy-config.js';
import { AWS_REGION } from './env-schema.js';
import { isPlainObject, salvageFields } from './file-values.js';
import { parseDuration, parseSize } from './units.js';

// The sections of the config file as zod schemas; each parses into the policy model (`src/policy/policy-config.ts`).

/** Cluster aliases and runbook names appear inside targets and commands, so they stay plain. */
export const SIMPLE_NAME = /^[a-z0-9][a-z0-9_-]*$/;
export const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
// Starts with a letter, so no parameter can be called __proto__.
const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const ECS_NAME = /^[A-Za-z0-9_-]{1,255}$/;
export const CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):(\d{12}):cluster\/([A-Za-z0-9_-]{1,255})$/;
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

export const clusterObject = z.strictObject({
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
export const clusterSchema = clusterObject.transform(({ shell, ...rest }) => ({
  ...rest,
  /** The wrapper that recovers the exit code; null runs commands as given. */
  shell: shell === 'none' ? null : shell,
}));

export const groupSchema = z.strictObject({
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

export const approvalObject = z.strictObject({
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
export type ApprovalFields = z.output<typeof approvalObject>;
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
export function salvageApproval(raw: unknown): Partial<ApprovalConfig> | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { ttl, remindAfter, escalateAfter, ...rest } = salvageFields(
    approvalObject.shape,
    raw,
  ) as Partial<ApprovalFields>;
  return { ...rest, ...(ttl === undefined ? {} : { ttlMs: ttl }), ...nudgesInMs(remindAfter, escalateAfter) };
}

export const ruleObject = z.strictObject({
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
  maxTasks: z
    .number({ error: 'must be a whole number of tasks, at least 1' })
    .int({ error: 'must be a whole number of tasks, at least 1' })
    .min(1, { error: 'must be a whole number of tasks, at least 1' })
    .optional(),
});
export const ruleSchema = ruleObject.transform(({ timeout, ...rest }) => ({ ...rest, timeoutMs: timeout }));

const paramCommon = { description, required: z.boolean().optional() };
const stringish = z.union([z.string(), z.number()]).transform(String);

export const paramSchema = z.discriminatedUnion(
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

export const runbookObject = z.strictObject({
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
export const runbookSchema = runbookObject.transform(toRunbook);

export const limitsObject = z.strictObject({
  timeout: duration.default(10 * 60_000),
  maxOutputBytes: size
    .refine((bytes) => bytes >= 1_024, { error: 'must be at least 1KiB' })
    .refine((bytes) => bytes <= 1_073_741_824, { error: 'must be at most 1GiB' })
    .default(10 * 1_048_576),
  previewLines: z.number().int().min(1).max(1_000).default(40),
});
export const limitsSchema = limitsObject.transform(({ timeout, ...rest }) => ({ ...rest, timeoutMs: timeout }));

export const auditSchema = z.strictObject({ channel: channelId.optional() });

/** Groups whose members may stop any run, whoever asked for it and whatever rule allowed it. */
export const adminsSchema = z.array(groupRef).default([]);

export const TOP_LEVEL_KEYS = [
  'clusters',
  'groups',
  'admins',
  'rules',
  'runbooks',
  'limits',
  'audit',
  'redaction',
] as const;
