import { configFileApplies, configFilePath } from '../config/config-file.js';
import { toClusterSettings } from '../ecs/cluster-settings.js';
import { UnknownClusterError } from '../ecs/errors.js';
import { type ClusterSettings, clusterFor, type TargetRequest } from '../ecs/resolve-target.js';
import { readConfigAt } from './read-config.js';

/**
 * `--cluster C`: an alias of the config file when one is present (`ECS_EXEC_CONFIG`, else `./ecs-exec.yml`), else
 * the cluster's own name or ARN, so the CLI works against any account without a config file. A task ARN names its
 * cluster itself; the config then only contributes that cluster's settings (role, shell) when it lists it. The
 * config may live where the bot reads it (`ssm:/…`, `s3://…`).
 */
export async function clusterFromFlags(
  target: TargetRequest,
  region: string | undefined,
  env: Record<string, string | undefined>,
  /** The run's resolved region (environment or profile), for config clusters that name none. */
  resolvedRegion?: string | undefined,
): Promise<ClusterSettings> {
  const literalRegion = region ?? (target.kind === 'task-arn' ? target.region : undefined);
  const literal: ClusterSettings = {
    alias: target.cluster,
    cluster: target.cluster,
    ...(literalRegion ? { region: literalRegion } : {}),
    shell: '/bin/sh',
  };
  if (!configFileApplies(env)) return literal;
  const defaultRegion = region ?? resolvedRegion ?? (env['AWS_REGION'] || env['AWS_DEFAULT_REGION']);
  const policy = await readConfigAt(configFilePath(env), env, defaultRegion);
  const known = Object.fromEntries(
    Object.entries(policy.clusters).map(([alias, configured]) => [alias, toClusterSettings(alias, configured)]),
  );
  try {
    const settings = clusterFor(target, known);
    return region ? { ...settings, region } : settings;
  } catch (error) {
    if (error instanceof UnknownClusterError) return literal;
    throw error;
  }
}
