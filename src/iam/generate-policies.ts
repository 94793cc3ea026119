import type { ConfigLocation } from '../config/config-source.js';
import type { ClusterConfig, PolicyConfig } from '../config/schema.js';
import { compileTargetPattern } from '../policy/patterns.js';
import { compact, type PolicyDocument, type PolicyStatement, policyDocument } from './policy-document.js';

/*
 * Where each ARN shape and condition key comes from (Service Authorization Reference, "Actions, resources, and
 * condition keys for ..."):
 * - ECS (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html):
 *   cluster `arn:${Partition}:ecs:${Region}:${Account}:cluster/${ClusterName}`, task
 *   `arn:${Partition}:ecs:${Region}:${Account}:task/${ClusterName}/${TaskId}`, container instance
 *   `arn:${Partition}:ecs:${Region}:${Account}:container-instance/${ClusterName}/${ContainerInstanceId}`.
 *   ecs:ExecuteCommand needs both the cluster and the task resource and takes the `ecs:container-name` condition key
 *   (the ECS Exec guide, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html, "Using IAM
 *   policies to limit access to ECS Exec", shows exactly this statement). ecs:ListTasks is authorised against the
 *   container-instance resource in the reference, but in practice it is only granted with `"Resource": "*"` and the
 *   `ecs:cluster` condition key (awsdocs/amazon-ecs-developer-guide#211), so that is what is written here.
 *   ecs:DescribeTaskDefinition supports no resource-level permissions: `*` is the only resource it takes.
 * - Systems Manager (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html):
 *   session `arn:${Partition}:ssm:${Region}:${Account}:session/${SessionId}`. Sessions that ECS opens for
 *   ExecuteCommand are named `ecs-execute-command-<id>` (the `session.sessionId` of the ExecuteCommand answer, and
 *   what CloudTrail shows), not after the caller as StartSession's `<user>-<id>` sessions are, so the narrowest
 *   pattern that matches them is `session/ecs-execute-command-*` in the cluster's account and region.
 * - KMS (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html): key
 *   `arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}`; an alias ARN does not authorise the use of a key.
 * - STS (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html):
 *   role `arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}`; passing SourceIdentity needs
 *   sts:SetSourceIdentity from both the caller's policy and the role's trust policy, and the trust policy can
 *   require it with the `sts:SourceIdentity` condition key
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html).
 * - The config's own source: an SSM parameter is `arn:${Partition}:ssm:${Region}:${Account}:parameter/${Name}` with
 *   the name's leading `/` dropped (ssm:GetParameter); a SecureString under a customer managed key also needs
 *   kms:Decrypt on that key, which SSM asks for with the `PARAMETER_ARN` encryption context and through
 *   `kms:ViaService` `ssm.<region>.amazonaws.com` ("How AWS Systems Manager Parameter Store uses AWS KMS",
 *   https://docs.aws.amazon.com/kms/latest/developerguide/services-parameter-store.html); the AWS managed key
 *   `alias/aws/ssm` needs no statement. An S3 object is `arn:${Partition}:s3:::${BucketName}/${ObjectName}`
 *   (s3:GetObject, which also authorises HeadObject and conditional GETs); without s3:ListBucket a missing key answers
 *   403 rather than 404, which the bot reports as unreadable either way.
 */

const CLUSTER_ARN = /^arn:(aws[a-z-]*):ecs:([a-z0-9-]+):(\d{12}):cluster\/(.+)$/;

/** The SourceIdentity every request carries: `slack-<user id>` or `cli-<login>` (see `sourceIdentityFor`). */
export const SOURCE_IDENTITY_PATTERNS = ['cli-*', 'slack-*'];

/** A policy for one role the bot acts as. */
export interface RolePolicies {
  roleArn: string;
  /** Config aliases of the clusters reached through this role. */
  clusters: string[];
  permissions: PolicyDocument;
}

/** A per-cluster role: what it may do, and who may assume it (the bot, naming the requester). */
export interface ClusterRolePolicies extends RolePolicies {
  trust: PolicyDocument;
}

/** Everything `ecs-exec iam-policy` prints. */
export interface GeneratedPolicies {
  botRole: RolePolicies;
  clusterRoles: ClusterRolePolicies[];
}

export interface GenerateOptions {
  /** The bot's own role (its ECS task role); default `role/ecs-exec-bot` in `account`. */
  botRoleArn?: string;
  /** Account of clusters given by name without `account`, and of the default bot role. */
  account?: string;
  /** Where the bot reads its config (`ECS_EXEC_CONFIG`): an SSM parameter or S3 object gets a read statement. */
  configSource?: {
    location: ConfigLocation;
    /** Region of the SSM parameter (the bot's AWS_REGION); default: the first cluster's. */
    region?: string;
    /** The customer managed KMS key of a SecureString parameter, as a key ARN. */
    kmsKeyArn?: string;
  };
}

/** A config cluster could not be placed in an account. */
export class IamPolicyInputError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'IamPolicyInputError';
  }
}

interface ResolvedCluster {
  alias: string;
  partition: string;
  region: string;
  account: string;
  name: string;
  arn: string;
  roleArn: string | undefined;
  kmsKeyArn: string | undefined;
  /** undefined: any container may be reached (some rule or runbook names none). */
  containers: string[] | undefined;
}

function resolveCluster(alias: string, cluster: ClusterConfig, account: string | undefined): ResolvedCluster | string {
  const parts = CLUSTER_ARN.exec(cluster.cluster);
  const owner = parts?.[3] ?? cluster.account ?? account;
  if (!owner) return `clusters.${alias}: give "account" (or a cluster ARN), or pass --account`;
  const partition = parts?.[1] ?? 'aws';
  const name = parts?.[4] ?? cluster.cluster;
  return {
    alias,
    partition,
    region: cluster.region,
    account: owner,
    name,
    arn: `arn:${partition}:ecs:${cluster.region}:${owner}:cluster/${name}`,
    roleArn: cluster.roleArn,
    kmsKeyArn: cluster.kmsKeyArn,
    containers: [],
  };
}

/**
 * The containers the config lets anyone reach in a cluster: the container part of every allow rule's target and of
 * every runbook that allows itself (`who`). A target without a container, or with a placeholder there, reaches any.
 */
function reachableContainers(policy: PolicyConfig, alias: string): string[] | undefined {
  const globs = new Set<string>();
  const consider = (target: string): boolean => {
    const containerPart = /^[^/]*\/[^:]*:(.+)$/.exec(target)?.[1];
    if (containerPart === undefined || containerPart === '*' || containerPart.includes('{{')) return false;
    globs.add(containerPart);
    return true;
  };
  for (const rule of policy.rules) {
    if (rule.effect !== 'allow') continue;
    for (const target of rule.targets ?? ['*']) {
      if (target !== '*' && !compileTargetPattern(target).matchesCluster(alias)) continue;
      if (!consider(target)) return undefined;
    }
  }
  for (const runbook of Object.values(policy.runbooks)) {
    if (runbook.who === undefined) continue;
    const clusterPart = runbook.target.slice(0, runbook.target.indexOf('/'));
    if (clusterPart !== alias && !clusterPart.includes('{{')) continue;
    if (!consider(runbook.target)) return undefined;
  }
  return [...globs].sort();
}

const pascal = (alias: string): string =>
  alias
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');

const ecsArn = (c: ResolvedCluster, kind: 'task' | 'container-instance'): string =>
  `arn:${c.partition}:ecs:${c.region}:${c.account}:${kind}/${c.name}/*`;

/** What an identity needs to run commands in, and diagnose, the given clusters. */
function clusterStatements(clusters: readonly ResolvedCluster[]): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  for (const c of clusters) {
    const exec: PolicyStatement = {
      Sid: `ExecIn${pascal(c.alias)}`,
      Effect: 'Allow',
      Action: 'ecs:ExecuteCommand',
      Resource: [c.arn, ecsArn(c, 'task')],
    };
    if (c.containers !== undefined) {
      const wild = c.containers.some((name) => /[*?]/.test(name));
      exec.Condition = { [wild ? 'StringLike' : 'StringEquals']: { 'ecs:container-name': compact(c.containers) } };
    }
    statements.push(exec);
  }
  statements.push(
    {
      Sid: 'ReadClustersAndTasks',
      Effect: 'Allow',
      Action: ['ecs:DescribeClusters', 'ecs:DescribeTasks'],
      Resource: clusters.flatMap((c) => [c.arn, ecsArn(c, 'task')]),
    },
    {
      Sid: 'ListTasksOfTheseClusters',
      Effect: 'Allow',
      Action: 'ecs:ListTasks',
      Resource: '*',
      Condition: { ArnEquals: { 'ecs:cluster': compact(clusters.map((c) => c.arn)) } },
    },
    {
      Sid: 'DoctorReadsContainerInstances',
      Effect: 'Allow',
      Action: 'ecs:DescribeContainerInstances',
      Resource: compact(clusters.map((c) => ecsArn(c, 'container-instance'))),
    },
    {
      Sid: 'DoctorReadsTaskDefinitions',
      Effect: 'Allow',
      Action: 'ecs:DescribeTaskDefinition',
      Resource: '*',
    },
    {
      Sid: 'ResumeAndEndExecSessions',
      Effect: 'Allow',
      Action: ['ssm:ResumeSession', 'ssm:TerminateSession'],
      Resource: compact(
        clusters.map((c) => `arn:${c.partition}:ssm:${c.region}:${c.account}:session/ecs-execute-command-*`),
      ),
    },
  );
  const keys = clusters.flatMap((c) => (c.kmsKeyArn ? [c.kmsKeyArn] : []));
  if (keys.length > 0) {
    statements.push({
      Sid: 'EncryptedExecSessions',
      Effect: 'Allow',
      Action: 'kms:GenerateDataKey',
      Resource: compact(keys),
    });
  }
  // The bot never opens sessions itself; a session started around ECS Exec would escape its logging and its checks.
  statements.push({
    Sid: 'NoSessionsAroundEcsExec',
    Effect: 'Deny',
    Action: 'ssm:StartSession',
    Resource: compact(clusters.map((c) => ecsArn(c, 'task'))),
  });
  return statements;
}

function trustPolicy(botRoleArn: string): PolicyDocument {
  return policyDocument([
    {
      Sid: 'BotAssumesForANamedPerson',
      Effect: 'Allow',
      Principal: { AWS: botRoleArn },
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      // Without a SourceIdentity the condition key is absent and StringLike fails: every session names its person.
      Condition: { StringLike: { 'sts:SourceIdentity': SOURCE_IDENTITY_PATTERNS } },
    },
  ]);
}

/**
 * Least-privilege policies for a config: the bot's role reaches clusters without `roleArn` itself and may assume the
 * per-cluster roles (only with a SourceIdentity); each per-cluster role reaches its clusters.
 * @throws IamPolicyInputError when a cluster's account is unknown.
 */
export function generatePolicies(policy: PolicyConfig, options: GenerateOptions = {}): GeneratedPolicies {
  const problems: string[] = [];
  const resolved: ResolvedCluster[] = [];
  for (const [alias, cluster] of Object.entries(policy.clusters)) {
    const result = resolveCluster(alias, cluster, options.account);
    if (typeof result === 'string') problems.push(result);
    else resolved.push({ ...result, containers: reachableContainers(policy, alias) });
  }
  const first = resolved[0];
  const botRoleArn =
    options.botRoleArn ??
    (first ? `arn:${first.partition}:iam::${options.account ?? first.account}:role/ecs-exec-bot` : undefined);
  if (!botRoleArn) problems.push('no cluster to derive the bot role from: pass --bot-role-arn');
  if (problems.length > 0 || !botRoleArn) throw new IamPolicyInputError(problems);

  const direct = resolved.filter((c) => c.roleArn === undefined);
  const byRole = new Map<string, ResolvedCluster[]>();
  for (const c of resolved) {
    if (c.roleArn !== undefined) byRole.set(c.roleArn, [...(byRole.get(c.roleArn) ?? []), c]);
  }
  const botStatements = direct.length > 0 ? clusterStatements(direct) : [];
  if (byRole.size > 0) {
    botStatements.push({
      Sid: 'AssumeClusterRolesNamingThePerson',
      Effect: 'Allow',
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      Resource: compact([...byRole.keys()]),
    });
  }
  if (options.configSource) {
    const [, partition = 'aws', botAccount = ''] = /^arn:([^:]+):iam::(\d{12}):/.exec(botRoleArn) ?? [];
    const region = options.configSource.region ?? first?.region ?? '';
    botStatements.push(...configSourceStatements(options.configSource, partition, region, botAccount));
  }
  return {
    botRole: { roleArn: botRoleArn, clusters: direct.map((c) => c.alias), permissions: policyDocument(botStatements) },
    clusterRoles: [...byRole].map(([roleArn, clusters]) => ({
      roleArn,
      clusters: clusters.map((c) => c.alias),
      permissions: policyDocument(clusterStatements(clusters)),
      trust: trustPolicy(botRoleArn),
    })),
  };
}

/** Read access to the config's own source, in the bot's account (see the ARN notes at the top). */
function configSourceStatements(
  source: NonNullable<GenerateOptions['configSource']>,
  partition: string,
  region: string,
  account: string,
): PolicyStatement[] {
  const { location } = source;
  if (location.kind === 'file') return [];
  if (location.kind === 's3') {
    return [
      {
        Sid: 'ReadConfigObject',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: `arn:${partition}:s3:::${location.bucket}/${location.key}`,
      },
    ];
  }
  const parameterArn = `arn:${partition}:ssm:${region}:${account}:parameter/${location.name.replace(/^\//, '')}`;
  const statements: PolicyStatement[] = [
    { Sid: 'ReadConfigParameter', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: parameterArn },
  ];
  if (source.kmsKeyArn) {
    statements.push({
      Sid: 'DecryptConfigParameter',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: source.kmsKeyArn,
      Condition: {
        StringEquals: {
          'kms:ViaService': `ssm.${region}.amazonaws.com`,
          'kms:EncryptionContext:PARAMETER_ARN': parameterArn,
        },
      },
    });
  }
  return statements;
}
