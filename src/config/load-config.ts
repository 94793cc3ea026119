import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { policyVersion } from '../policy/policy-version.js';
import { ConfigSourceError, parseConfigLocation } from './config-source.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { envSchema, type FileIssue, type LogLevel, type PolicyConfig, validateConfigFile } from './schema.js';

/** How the bot talks to Slack; `none` only when the caller allowed it (the local playground). */
export type SlackSettings =
  | { mode: 'http'; botToken: string; signingSecret: string; apiUrl: string | undefined }
  | {
      mode: 'socket';
      botToken: string;
      appToken: string;
      signingSecret: string | undefined;
      apiUrl: string | undefined;
    }
  | { mode: 'none'; apiUrl: string | undefined };

/** Everything the bot needs at start-up, validated. */
export interface Config {
  slack: SlackSettings;
  port: number;
  /** When set, /metrics is served on this port only (not on `port`). */
  metricsPort: number | undefined;
  /** Unset: the embedded in-process store. */
  redisUrl: string | undefined;
  /** Where the policy file was read from: a file path, `ssm:/name` or `s3://bucket/key` (ECS_EXEC_CONFIG). */
  configPath: string;
  awsRegion: string | undefined;
  logLevel: LogLevel;
  policy: PolicyConfig;
  /** Stable hash of the normalised policy; approvals are bound to it. */
  policyVersion: string;
}

export type ReadFile = (path: string) => string;

const defaultReadFile: ReadFile = (path) => readFileSync(path, 'utf8');

const SLACK_VARIABLES = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'] as const;

/**
 * Copies the environment, treating an empty value as unset so `PORT=` falls back to its default. Values are
 * trimmed: a token read from a secrets file often ends with a newline, and no setting here contains spaces.
 */
function cleanEnv(env: Record<string, string | undefined>): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const trimmed = value?.trim();
    if (trimmed) copy[key] = trimmed;
  }
  return copy;
}

/** Whether any Slack credential is set; with none the bot starts its local playground instead. */
export function hasSlackSettings(env: Record<string, string | undefined>): boolean {
  const clean = cleanEnv(env);
  return SLACK_VARIABLES.some((name) => clean[name] !== undefined);
}

/** Renders `['rules', 2, 'approval']` as `rules[2].approval`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/** Finds the line of the deepest node along `path` (the key itself for map entries, so unknown keys point at them). */
function lineOf(
  doc: ReturnType<typeof parseDocument>,
  counter: LineCounter,
  path: readonly (string | number)[],
): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = (doc.contents as Node | null)?.range?.[0];
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      if (!pair) break;
      offset = isScalar(pair.key) ? pair.key.range?.[0] : offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key];
      if (!item) break;
      offset = (item as Node).range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : counter.linePos(offset).line;
}

function toConfigIssues(
  issues: readonly FileIssue[],
  sourceName: string,
  locate: (path: readonly (string | number)[]) => number | undefined,
): ConfigIssue[] {
  const located = issues.map((issue) => {
    const line = locate(issue.path);
    return { path: formatPath(issue.path), message: issue.message, file: sourceName, ...(line ? { line } : {}) };
  });
  // In file order, so the list reads top to bottom next to the file (sort is stable for equal lines).
  return located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function parsePolicyText(
  text: string,
  sourceName: string,
  defaultRegion: string | undefined,
): { ok: true; policy: PolicyConfig } | { ok: false; issues: ConfigIssue[] } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((error) => ({
        path: '',
        message: `YAML syntax: ${error.message.split('\n')[0]}`,
        file: sourceName,
        line: counter.linePos(error.pos[0]).line,
      })),
    };
  }
  if (doc.contents === null) {
    return {
      ok: false,
      issues: [{ path: '', message: 'the file is empty; declare clusters, groups and rules', file: sourceName }],
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, issues: [{ path: '', message: `YAML: ${(error as Error).message}`, file: sourceName }] };
  }
  const result = validateConfigFile(raw, { defaultRegion });
  if (!result.ok)
    return { ok: false, issues: toConfigIssues(result.issues, sourceName, (path) => lineOf(doc, counter, path)) };
  return { ok: true, policy: result.config };
}

/**
 * Validates the text of a config file alone (`ecs-exec policy check`, the playground's bundled file). Throws
 * ConfigError listing every problem, with YAML line numbers where they can be found.
 */
export function loadConfigFile(
  text: string,
  sourceName: string,
  options: { defaultRegion?: string } = {},
): PolicyConfig {
  const result = parsePolicyText(text, sourceName, options.defaultRegion);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.policy;
}

/** Why the config could not be read, and what to set. */
function unreadableMessage(configPath: string, error: unknown): string {
  const hint = 'set ECS_EXEC_CONFIG to a file path, ssm:/parameter/name or s3://bucket/key (see ecs-exec.example.yml)';
  if (error instanceof ConfigSourceError) return `${error.message}; ${hint}`;
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
  return `cannot read the config file "${configPath}" (${why}); ${hint}`;
}

const SLACK_MISSING =
  'Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP mode), or SLACK_BOT_TOKEN and ' +
  'SLACK_APP_TOKEN (Socket Mode)';

/**
 * Reads and validates the environment and the config file it names, in one place at start-up. Pure apart from the
 * injected `readFile`; `env` is copied, never changed. Throws one ConfigError listing every problem of both. With
 * `allowMissingSlack`, no Slack settings at all gives `slack.mode === 'none'` (the local playground).
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  readFile: ReadFile = defaultReadFile,
  options: { allowMissingSlack?: boolean } = {},
): Config {
  const clean = cleanEnv(env);
  const issues: ConfigIssue[] = [];
  const envResult = envSchema.safeParse(clean);
  if (!envResult.success) {
    for (const issue of envResult.error.issues)
      issues.push({ path: formatPath(issue.path as (string | number)[]), message: issue.message });
  }
  const settings = envResult.success ? envResult.data : undefined;
  const broken = new Set(issues.map((issue) => issue.path));

  let slack: SlackSettings | undefined;
  const botToken = clean['SLACK_BOT_TOKEN'];
  const signingSecret = clean['SLACK_SIGNING_SECRET'];
  const appToken = clean['SLACK_APP_TOKEN'];
  const apiUrl = settings?.SLACK_API_URL;
  if (!botToken && !signingSecret && !appToken) {
    if (options.allowMissingSlack) slack = { mode: 'none', apiUrl };
    else issues.push({ path: 'SLACK_BOT_TOKEN', message: SLACK_MISSING });
  } else if (appToken) {
    if (!botToken)
      issues.push({
        path: 'SLACK_BOT_TOKEN',
        message: 'is missing: Socket Mode (SLACK_APP_TOKEN is set) also needs SLACK_BOT_TOKEN',
      });
    else slack = { mode: 'socket', botToken, appToken, signingSecret, apiUrl };
  } else {
    const missing = [!botToken && 'SLACK_BOT_TOKEN', !signingSecret && 'SLACK_SIGNING_SECRET'].filter(Boolean);
    if (missing.length > 0) {
      issues.push({
        path: missing.join(', '),
        message: `${missing.length > 1 ? 'are' : 'is'} missing: HTTP mode needs SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or set SLACK_APP_TOKEN for Socket Mode)`,
      });
    } else if (botToken && signingSecret) slack = { mode: 'http', botToken, signingSecret, apiUrl };
  }

  const configPath = clean['ECS_EXEC_CONFIG'] ?? './ecs-exec.yml';
  const location = parseConfigLocation(configPath);
  let policy: PolicyConfig | undefined;
  let text: string | undefined;
  if ('error' in location) issues.push({ path: 'ECS_EXEC_CONFIG', message: location.error });
  else {
    try {
      text = readFile(configPath);
    } catch (error) {
      issues.push({ path: 'ECS_EXEC_CONFIG', message: unreadableMessage(configPath, error) });
    }
  }
  if (text !== undefined) {
    const region = broken.has('AWS_REGION') ? undefined : clean['AWS_REGION'];
    const result = parsePolicyText(text, configPath, region);
    if (result.ok) policy = result.policy;
    else issues.push(...result.issues);
  }

  if (issues.length > 0 || !settings || !slack || !policy) throw new ConfigError(issues);
  return {
    slack,
    port: settings.PORT,
    metricsPort: settings.METRICS_PORT,
    redisUrl: settings.REDIS_URL,
    configPath,
    awsRegion: settings.AWS_REGION,
    logLevel: settings.LOG_LEVEL,
    policy,
    policyVersion: policyVersion(policy),
  };
}
