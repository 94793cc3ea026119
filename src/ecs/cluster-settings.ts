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
