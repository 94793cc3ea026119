import { Counter, Gauge, type Registry } from 'prom-client';
import { policyVersion } from '../policy/policy-version.js';
import { formatDuration, parseDuration } from '../shared/duration.js';
import type { Logger } from '../shared/logger.js';
import { createConfigSource } from './aws-config-sources.js';
import { type ConfigSnapshot, type ConfigSource, parseConfigLocation } from './config-source.js';
import { ConfigError, formatConfigIssue } from './errors.js';
import { type Config, loadConfig, loadConfigFile } from './load-config.js';
import { type LoadedPolicy, SwappablePolicy } from './policy-holder.js';
import type { PolicyConfig } from './schema.js';

/** How often the source is asked for a new version unless `ECS_EXEC_CONFIG_RELOAD` says otherwise. */
export const DEFAULT_RELOAD_INTERVAL_MS = 30_000;

/**
 * Parts of the config file the composition root uses once, at start-up: a new value is not applied until the bot
 * restarts, and the reload says so. Everything else (clusters, groups, rules, runbooks, limits) applies to the next
 * request.
 */
export const RESTART_ONLY: ReadonlyArray<{
  path: string;
  read: (policy: PolicyConfig) => unknown;
  /** A copy of `next` with this part as it is in `running`. */
  keep: (next: PolicyConfig, running: PolicyConfig) => PolicyConfig;
}> = [
  // The audit channel's sink is built once, with the Slack client.
  {
    path: 'audit.channel',
    read: (policy) => policy.audit.channel,
    keep: (next, running) => ({ ...next, audit: { ...next.audit, channel: running.audit.channel } }),
  },
  // Compiled into the redactor every run and upload shares; swapping them under a run in progress would redact
  // one half of its output differently from the other.
  {
    path: 'redaction.rules',
    read: (policy) => policy.redaction.rules,
    keep: (next, running) => ({ ...next, redaction: { ...next.redaction, rules: running.redaction.rules } }),
  },
];

/** The config at start-up, the source it came from (kept for reloads) and the version read. */
export interface StartupConfig {
  config: Config;
  source: ConfigSource;
  snapshot: ConfigSnapshot;
  /** How often to look for a new version; 0 when reloading is off. */
  reloadIntervalMs: number;
}

/** `ECS_EXEC_CONFIG_RELOAD`: a duration (`30s`, `5m`), or `off`/`0s` to read the config at start-up only. */
export function reloadIntervalFrom(env: Record<string, string | undefined>): number | { error: string } {
  const value = env['ECS_EXEC_CONFIG_RELOAD']?.trim();
  if (!value) return DEFAULT_RELOAD_INTERVAL_MS;
  if (value === 'off') return 0;
  const ms = parseDuration(value);
  if (ms === undefined) return { error: `"${value}" is not a duration such as 30s or 5m, nor "off"` };
  if (ms > 0 && ms < 100) return { error: `"${value}" is shorter than 100ms` };
  return ms;
}

/**
 * Reads the environment and the config from where `ECS_EXEC_CONFIG` points (a file, an SSM parameter, an S3
 * object), validated exactly as a file is, with every problem named against that source. Throws ConfigError.
 */
export async function loadStartupConfig(
  env: Record<string, string | undefined>,
  options: { allowMissingSlack?: boolean } = {},
): Promise<StartupConfig> {
  const configPath = env['ECS_EXEC_CONFIG']?.trim() || './ecs-exec.yml';
  const location = parseConfigLocation(configPath);
  const interval = reloadIntervalFrom(env);
  const intervalIssue =
    typeof interval === 'number' ? [] : [{ path: 'ECS_EXEC_CONFIG_RELOAD', message: interval.error }];
  if ('error' in location) {
    // loadConfig reports the malformed location together with every other problem of the environment.
    const issues = collectIssues(() => loadConfig(env, () => '', options));
    throw new ConfigError([...issues, ...intervalIssue]);
  }
  const source = createConfigSource(location, env);
  let snapshot: ConfigSnapshot | undefined;
  let readError: unknown;
  try {
    const read = await source.read();
    if (read !== 'unchanged') snapshot = read;
  } catch (error) {
    readError = error;
  }
  try {
    const config = loadConfig(
      env,
      () => {
        if (!snapshot) throw readError;
        return snapshot.text;
      },
      options,
    );
    if (typeof interval !== 'number' || !snapshot) throw new ConfigError(intervalIssue);
    return { config, source, snapshot, reloadIntervalMs: interval };
  } catch (error) {
    source.close();
    if (error instanceof ConfigError) throw new ConfigError([...error.issues, ...intervalIssue]);
    throw error;
  }
}

function collectIssues(load: () => unknown): ConfigError['issues'] {
  try {
    load();
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
}

/** What the reloader needs from the composition root. */
export interface ConfigReloaderDeps {
  source: ConfigSource;
  /** The version the bot started with. */
  initial: { config: Config; snapshot: ConfigSnapshot };
  intervalMs: number;
  logger: Logger;
  /** Where the reload counters and the policy-in-force gauge go (the bot's /metrics). */
  registry: Registry;
  /** Tells people (the audit channel, when there is one); must not throw. */
  announce?: (text: string) => void;
}

/** A running reloader: the policy holder every request reads, and how to stop polling. */
export interface ConfigReloader {
  readonly policy: SwappablePolicy;
  /** Looks at the source now (the poll does this on its own); resolves once the answer is applied or refused. */
  check(): Promise<void>;
  stop(): void;
}

type ReloadResult = 'applied' | 'unchanged' | 'refused' | 'unreadable';

/**
 * Polls the config source and swaps the policy in one step when a new, valid version appears. A version that does
 * not parse or validate is refused and the running one kept, loudly: an error log line naming the source and every
 * problem, `ecs_exec_config_reloads_total{result="refused"}`, and a message to the audit channel. Parts that only
 * take effect at start-up keep their old value, with a warning naming them.
 */
export function startConfigReloader(deps: ConfigReloaderDeps): ConfigReloader {
  const { source, logger } = deps;
  const defaultRegion = deps.initial.config.awsRegion;
  const policy = new SwappablePolicy(loadedFrom(deps.initial.config.policy, source.label, deps.initial.snapshot));
  const reloads = new Counter({
    name: 'ecs_exec_config_reloads_total',
    help:
      'Config versions seen by the reloader, by result: applied, refused (invalid: the running policy is kept) or ' +
      'unreadable (the source could not be read)',
    labelNames: ['result'],
    registers: [deps.registry],
  });
  const info = new Gauge({
    name: 'ecs_exec_policy_info',
    help: 'The policy in force (value 1): its version, its source and the source revision it was read from',
    labelNames: ['policy_version', 'source', 'revision'],
    registers: [deps.registry],
  });
  const stale = new Gauge({
    name: 'ecs_exec_config_refused',
    help: 'Whether the newest version of the config was refused (1) and an older one is in force, else 0',
    registers: [deps.registry],
  });
  const showInfo = (loaded: LoadedPolicy): void => {
    info.reset();
    info.set({ policy_version: loaded.policyVersion, source: loaded.source, revision: loaded.revision ?? '' }, 1);
  };
  showInfo(policy.current());
  stale.set(0);

  let known = deps.initial.snapshot;
  /** The revision last refused or found unreadable, so one bad version is reported once, not at every poll. */
  let reported: string | undefined;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const refuse = (revision: string, problems: string[]): void => {
    reloads.inc({ result: 'refused' });
    stale.set(1);
    if (reported === revision) return;
    reported = revision;
    const running = policy.current();
    logger.error(
      { source: source.label, revision, problems, policyVersion: running.policyVersion },
      `config reload refused: ${source.label} (${revision}) is invalid; the running policy is kept`,
    );
    deps.announce?.(
      ':warning: A new config version was refused and the running policy is kept.\n' +
        `Source: ${source.label} (${revision}), ${problems.length === 1 ? '1 problem' : `${problems.length} problems`}:\n` +
        problems.map((problem) => `• ${problem}`).join('\n'),
    );
  };

  async function check(): Promise<ReloadResult> {
    let read: ConfigSnapshot | 'unchanged';
    try {
      read = await source.read(known);
    } catch (error) {
      reloads.inc({ result: 'unreadable' });
      const message = error instanceof Error ? error.message : String(error);
      if (reported !== `unreadable:${message}`) {
        reported = `unreadable:${message}`;
        logger.warn({ source: source.label, err: message }, 'config source unreadable; the running policy is kept');
      }
      return 'unreadable';
    }
    if (read === 'unchanged' || read.revision === reported) return 'unchanged';
    let next: PolicyConfig;
    try {
      next = loadConfigFile(read.text, source.label, defaultRegion ? { defaultRegion } : {});
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      refuse(read.revision, error.issues.map(formatConfigIssue));
      return 'refused';
    }
    const previous = policy.current();
    const kept: string[] = [];
    for (const part of RESTART_ONLY) {
      if (JSON.stringify(part.read(previous.policy)) === JSON.stringify(part.read(next))) continue;
      kept.push(part.path);
      next = part.keep(next, previous.policy);
    }
    for (const path of kept) {
      logger.warn(
        { source: source.label, revision: read.revision, setting: path },
        `config reload: ${path} changed but takes effect only when the bot restarts; the old value is kept`,
      );
    }
    const loaded = loadedFrom(next, source.label, read);
    known = read;
    reported = undefined;
    stale.set(0);
    policy.swap(loaded);
    showInfo(loaded);
    reloads.inc({ result: 'applied' });
    if (loaded.policyVersion === previous.policyVersion) {
      logger.info({ source: source.label, revision: read.revision }, 'config source changed; same policy');
      return 'applied';
    }
    logger.info(
      {
        source: source.label,
        revision: read.revision,
        policyVersion: loaded.policyVersion,
        previousPolicyVersion: previous.policyVersion,
        ...(kept.length > 0 ? { restartOnly: kept } : {}),
      },
      'config reloaded: new requests use the new policy; requests waiting for approval must be asked again',
    );
    deps.announce?.(
      `:arrows_counterclockwise: Policy reloaded from ${source.label} (${read.revision}): ` +
        `${shortVersion(loaded.policyVersion)}, was ${shortVersion(previous.policyVersion)}.` +
        (kept.length > 0 ? ` Not applied until a restart: ${kept.join(', ')}.` : ''),
    );
    return 'applied';
  }

  const runCheck = (): Promise<void> => {
    // One check at a time: a slow source must not stack polls, and two reads must not race to swap.
    running ??= check()
      .then(() => {})
      .catch((error: unknown) => logger.error({ err: error, source: source.label }, 'config reload failed'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const schedule = (): void => {
    if (stopped || deps.intervalMs <= 0) return;
    timer = setTimeout(() => {
      void runCheck().finally(schedule);
    }, deps.intervalMs);
    timer.unref();
  };
  schedule();
  if (deps.intervalMs > 0) {
    logger.info({ source: source.label, every: formatDuration(deps.intervalMs) }, 'watching the config for changes');
  }

  return {
    policy,
    check: runCheck,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      source.close();
    },
  };
}

function loadedFrom(policy: PolicyConfig, source: string, snapshot: ConfigSnapshot): LoadedPolicy {
  return { policy, policyVersion: policyVersion(policy), source, revision: snapshot.revision };
}

/** `sha256:1a2b3c4d5e6f` for people; the full version is in the log line and on /metrics. */
function shortVersion(version: string): string {
  return version.slice(0, 'sha256:'.length + 12);
}
