import { existsSync, readFileSync } from 'node:fs';
import { loadConfigFile } from '../config/load-config.js';
import { UnknownClusterError } from './errors.js';
import { type ClusterSettings, clusterFor, type TargetRequest } from './resolve-target.js';

/** The cluster fields of the config file that the CLI needs (same shape as the config's cluster entries). */
interface ConfiguredCluster {
  cluster: string;
  region?: string | undefined;
  roleArn?: string | undefined;
  shell: string | null;
  containers?: Record<string, string> | undefined;
}

/** A config cluster entry as the ECS layer sees it. */
export function toClusterSettings(alias: string, configured: ConfiguredCluster): ClusterSettings {
  return {
    alias,
    cluster: configured.cluster,
    ...(configured.region ? { region: configured.region } : {}),
    ...(configured.roleArn ? { roleArn: configured.roleArn } : {}),
    shell: configured.shell ?? 'none',
    defaultContainers: configured.containers ?? {},
  };
}

/**
 * `--cluster C`: an alias of the config file when one is present (`ECS_EXEC_CONFIG`, else `./ecs-exec.yml`), else
 * the cluster's own name or ARN, so the CLI works against any account without a config file. A task ARN names its
 * cluster itself; the config then only contributes that cluster's settings (role, shell) when it lists it.
 */
export function clusterFromFlags(
  target: TargetRequest,
  region: string | undefined,
  env: Record<string, string | undefined>,
  /** The run's resolved region (environment or profile), for config clusters that name none. */
  resolvedRegion?: string | undefined,
): ClusterSettings {
  const literalRegion = region ?? (target.kind === 'task-arn' ? target.region : undefined);
  const literal: ClusterSettings = {
    alias: target.cluster,
    cluster: target.cluster,
    ...(literalRegion ? { region: literalRegion } : {}),
    shell: '/bin/sh',
  };
  const path = env['ECS_EXEC_CONFIG'] ?? './ecs-exec.yml';
  if (env['ECS_EXEC_CONFIG'] === undefined && !existsSync(path)) return literal;
  const defaultRegion = region ?? resolvedRegion ?? (env['AWS_REGION'] || env['AWS_DEFAULT_REGION']);
  const policy = loadConfigFile(readFileSync(path, 'utf8'), path, defaultRegion ? { defaultRegion } : {});
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
