import type { PolicyConfig } from '../config/schema.js';
import { toClusterSettings } from '../ecs/cluster-settings.js';
import type { ClusterSettings } from '../ecs/resolve-target.js';

/** The ECS settings of a cluster alias from the loaded policy, or undefined when the alias is unknown. */
export function clusterSettingsFor(policy: PolicyConfig, alias: string): ClusterSettings | undefined {
  const configured = policy.clusters[alias];
  return configured ? toClusterSettings(alias, configured) : undefined;
}
