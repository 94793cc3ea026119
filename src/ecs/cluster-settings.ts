import { existsSync, readFileSync } from 'node:fs';
import { loadConfigFile } from '../config/load-config.js';
import type { ClusterSettings } from './resolve-target.js';

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
 * the cluster's own name or ARN, so the CLI works against any account without a config file.
 */
export function clusterFromFlags(
  alias: string,
  region: string | undefined,
  env: Record<string, string | undefined>,
): ClusterSettings {
  const path = env['ECS_EXEC_CONFIG'] ?? './ecs-exec.yml';
  if (env['ECS_EXEC_CONFIG'] !== undefined || existsSync(path)) {
    const defaultRegion = region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
    const policy = loadConfigFile(readFileSync(path, 'utf8'), path, defaultRegion ? { defaultRegion } : {});
    const configured = policy.clusters[alias];
    if (configured) {
      const settings = toClusterSettings(alias, configured);
      return region ? { ...settings, region } : settings;
    }
  }
  return { alias, cluster: alias, ...(region ? { region } : {}), shell: '/bin/sh' };
}
