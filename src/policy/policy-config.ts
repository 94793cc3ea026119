import type { SecretRuleSpec } from '../output/rules/rule-spec.js';

/**
 * The policy model: who may run what where (product.md §4), durations in ms and sizes in bytes, defaults filled.
 * `src/config/` reads the YAML file into it; everything that decides, explains or runs works on this model only.
 */
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

export interface ClusterConfig {
  /** ECS cluster name or ARN. */
  cluster: string;
  region: string;
  /** Role assumed per request, with the person as SourceIdentity. */
  roleArn?: string | undefined;
  /** The cluster's account when `cluster` is a name; only `ecs-exec iam-policy` needs it. */
  account?: string | undefined;
  /** The KMS key of the cluster's executeCommandConfiguration, so the IAM policy can name it. */
  kmsKeyArn?: string | undefined;
  /** The wrapper that recovers the exit code; null runs commands as given. */
  shell: string | null;
  /** Default container by service name. */
  containers: Record<string, string>;
  description?: string | undefined;
}

export interface GroupConfig {
  usergroups: string[];
  /** User ids, or `*` for every user. */
  users: string[];
  description?: string | undefined;
}

export interface ApprovalConfig {
  approvers: string[];
  count: number;
  selfApproval: boolean;
  ttlMs: number;
  /** Nudge: after this long without a decision the approver groups are mentioned once in the card's thread. */
  remindAfterMs?: number | undefined;
  /** Escalation: after this long the `escalateTo` groups are mentioned once as well. */
  escalateAfterMs?: number | undefined;
  escalateTo?: string[] | undefined;
}

export interface RuleConfig {
  name: string;
  description?: string | undefined;
  effect: 'allow' | 'deny';
  who?: string[] | undefined;
  channels?: string[] | undefined;
  targets?: string[] | undefined;
  commands?: string[] | undefined;
  approval?: ApprovalConfig | undefined;
  breakGlass: boolean;
  timeoutMs?: number | undefined;
  /** The most tasks one fan-out under this rule may run on (`--all`, `--tasks N`); unset: 1, no fan-out. */
  maxTasks?: number | undefined;
}

interface ParamCommon {
  description?: string | undefined;
  /** A parameter without a default must be given unless the file says otherwise. */
  required: boolean;
}

export type RunbookParam = ParamCommon &
  (
    | { type: 'enum'; values: string[]; default?: string | undefined }
    | { type: 'string'; pattern?: string | undefined; maxLength: number; default?: string | undefined }
    | { type: 'int'; min?: number | undefined; max?: number | undefined; default?: number | undefined }
    | { type: 'bool'; default?: boolean | undefined }
  );

export interface RunbookConfig {
  description?: string | undefined;
  /** A target template: `<cluster>/<service>[:<container>]` with `{{param}}` placeholders. */
  target: string;
  /** A command template; values are quoted for the shell. */
  command: string;
  params: Record<string, RunbookParam>;
  who?: string[] | undefined;
  channels?: string[] | undefined;
  approval?: 'none' | ApprovalConfig | undefined;
  timeoutMs?: number | undefined;
}

export interface LimitsConfig {
  timeoutMs: number;
  maxOutputBytes: number;
  previewLines: number;
}

export interface AuditConfig {
  channel?: string | undefined;
}

export interface RedactionConfig {
  /** The user's rules as rule specs, ready for `compileRuleSet([...BUILTIN_RULE_SPECS, ...rules])`. */
  rules: SecretRuleSpec[];
}
