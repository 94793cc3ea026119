/**
 * Whether a task ARN can belong to a configured cluster. A task ARN carries its partition, region and account; a
 * task of the same cluster name in another account, partition or region is another cluster's task, and must not be
 * run under this cluster's rules (or with this cluster's role).
 */

/** The parts of a task ARN that place it. */
export interface ArnPlace {
  partition: string;
  region: string;
  account: string;
}

/** What a cluster's config says about where it is; parts it does not say are undefined. */
interface ClusterPlace {
  cluster: string;
  region?: string | undefined;
  roleArn?: string | undefined;
}

const CLUSTER_ARN = /^arn:([a-z-]+):ecs:([a-z0-9-]+):(\d{12}):cluster\/.+$/;
const ROLE_ARN = /^arn:([a-z-]+):iam::(\d{12}):role\/.+$/;

/** The partition, region and account of a cluster as far as its config tells them. */
export function placeOfCluster(settings: ClusterPlace): Partial<ArnPlace> {
  const cluster = CLUSTER_ARN.exec(settings.cluster);
  if (cluster) {
    const [, partition, region, account] = cluster as unknown as [string, string, string, string];
    return { partition, region, account };
  }
  // A cluster named without an ARN is in its region, and in the account (and partition) of the role assumed for it.
  const role = settings.roleArn ? ROLE_ARN.exec(settings.roleArn) : null;
  return {
    ...(settings.region ? { region: settings.region } : {}),
    ...(role ? { partition: role[1] as string, account: role[2] as string } : {}),
  };
}

/**
 * Why a task ARN cannot be this cluster's task, in words for the person who typed it; undefined when every part the
 * config says agrees.
 */
export function foreignArnReason(alias: string, settings: ClusterPlace, arn: ArnPlace): string | undefined {
  const place = placeOfCluster(settings);
  const differences: string[] = [];
  for (const part of ['partition', 'account', 'region'] as const) {
    const expected = place[part];
    if (expected !== undefined && expected !== arn[part]) {
      differences.push(`${part} ${arn[part]} (cluster "${alias}" is in ${part} ${expected})`);
    }
  }
  if (differences.length === 0) return undefined;
  return `that task ARN is in ${differences.join(' and ')}: it is not a task of cluster "${alias}"`;
}
