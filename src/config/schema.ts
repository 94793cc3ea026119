import type { z } from 'zod';
import type {
  ApprovalConfig,
  ClusterConfig,
  PolicyConfig,
  RuleConfig,
  RunbookConfig,
  RunbookParam,
} from '../policy/policy-config.js';
import { type CheckContext, checkGroupRefs, checkRule, checkRunbook } from './file-checks.js';
import { type FileIssue, fromZod, parseMapSection, unknownKeyMessage } from './file-issues.js';
import {
  adminsSchema,
  auditSchema,
  CLUSTER_ARN,
  clusterObject,
  clusterSchema,
  GROUP_NAME,
  groupSchema,
  limitsSchema,
  paramSchema,
  ruleObject,
  ruleSchema,
  runbookObject,
  runbookSchema,
  SIMPLE_NAME,
  salvageApproval,
  TOP_LEVEL_KEYS,
} from './file-sections.js';
import { isPlainObject, salvageFields } from './file-values.js';
import { parseRedactionSection } from './redaction-config.js';

export type {
  ApprovalConfig,
  AuditConfig,
  ClusterConfig,
  GroupConfig,
  LimitsConfig,
  PolicyConfig,
  RuleConfig,
  RunbookConfig,
  RunbookParam,
} from '../policy/policy-config.js';
export { type EnvSettings, envSchema, LOG_LEVELS, type LogLevel } from './env-schema.js';
export type { FileIssue } from './file-issues.js';

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
