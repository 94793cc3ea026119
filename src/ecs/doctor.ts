import { isBotError } from '../errors.js';
import type { KmsPort } from '../ssm/ports.js';
import type { EcsCluster, EcsGateway, EcsTask, EcsTaskDefinition } from './ecs-port.js';
import { EcsAccessDeniedError } from './errors.js';
import type { ClusterSettings } from './resolve-target.js';

/** ✓ passes, ✗ fails (with a fix), ? could not be determined. */
export const CHECK_STATUS = { pass: 'pass', fail: 'fail', unknown: 'unknown' } as const;
export type CheckStatus = (typeof CHECK_STATUS)[keyof typeof CHECK_STATUS];

/** One line of the checklist. */
export interface DoctorCheck {
  id: string;
  status: CheckStatus;
  title: string;
  detail?: string;
  /** Present exactly when status is `fail`. */
  fix?: string;
}

/** Everything the checks look at; gathered once, then judged by pure code. */
export interface DoctorFacts {
  clusterAlias: string;
  service: string;
  /** The cluster's region, when the config or the environment names it; fix commands pass it on. */
  region?: string;
  /** `fix` is set when the failure has a known remedy (a missing permission, named). */
  cluster: EcsCluster | { error: string; fix?: string };
  /** Why the service's tasks could not be listed or described. */
  tasksError?: { error: string; fix?: string };
  /** The service's tasks that ECS still considers running, newest first. */
  tasks: EcsTask[];
  /** Task definition of the newest task; an error text when it could not be read. */
  taskDefinition?: EcsTaskDefinition | { error: string };
  /** ECS agent version of the newest task's EC2 instance, when it runs on EC2. */
  agentVersion?: string | { error: string };
  /** Result of trying kms:GenerateDataKey on the cluster's exec key as the bot (only when a key is configured). */
  kmsAccess?: 'ok' | { error: string };
}

const MIN_FARGATE = [1, 4, 0] as const;
const MIN_EC2_AGENT = [1, 50, 2] as const;

/** Compares dotted versions (`1.4.0`, `v1.50.2`); undefined when either is not a version. */
export function compareVersions(a: string, b: readonly number[]): number | undefined {
  const parts = /^v?(\d+)\.(\d+)\.(\d+)/.exec(a.trim());
  if (!parts) return undefined;
  const nums = parts.slice(1).map(Number);
  for (let i = 0; i < 3; i += 1) {
    const diff = (nums[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function pass(id: string, title: string, detail?: string): DoctorCheck {
  return { id, status: 'pass', title, ...(detail ? { detail } : {}) };
}
function fail(id: string, title: string, detail: string, fix: string): DoctorCheck {
  return { id, status: 'fail', title, detail, fix };
}
function unknown(id: string, title: string, detail: string): DoctorCheck {
  return { id, status: 'unknown', title, detail };
}

function clusterChecks(facts: DoctorFacts): DoctorCheck[] {
  const { cluster } = facts;
  if ('error' in cluster) {
    return [
      fail(
        'cluster',
        `Cluster ${facts.clusterAlias}`,
        cluster.error,
        cluster.fix ?? 'Check the cluster name, region and account in the config.',
      ),
    ];
  }
  const checks = [pass('cluster', `Cluster ${cluster.clusterName}`, cluster.status)];
  const exec = cluster.executeCommandConfiguration;
  const logging = exec?.logging ?? 'DEFAULT';
  const log = exec?.logConfiguration;
  if (logging === 'NONE') {
    checks.push(
      fail(
        'logging',
        'Session logging',
        'logging is NONE: nothing records what was typed or printed in exec sessions',
        'Set executeCommandConfiguration.logging to DEFAULT or OVERRIDE (with a log group or bucket) on the cluster.',
      ),
    );
  } else if (logging === 'OVERRIDE') {
    if (!log?.cloudWatchLogGroupName && !log?.s3BucketName) {
      checks.push(
        fail(
          'logging',
          'Session logging',
          'logging is OVERRIDE but no log group or S3 bucket is named',
          'Set logConfiguration.cloudWatchLogGroupName or s3BucketName, or use logging DEFAULT.',
        ),
      );
    } else {
      const where = [
        log.cloudWatchLogGroupName ? `log group ${log.cloudWatchLogGroupName}` : '',
        log.s3BucketName ? `bucket s3://${log.s3BucketName}/${log.s3KeyPrefix ?? ''}` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      checks.push(pass('logging', 'Session logging', `OVERRIDE to ${where}`));
      if (log.cloudWatchEncryptionEnabled) {
        checks.push(
          unknown(
            'log-encryption',
            'Log group encryption',
            'cloudWatchEncryptionEnabled is on: the log group must be KMS-encrypted or every session is refused; this cannot be read from ECS',
          ),
        );
      }
      if (log.s3BucketName) {
        checks.push(
          unknown(
            'container-tools',
            'Tools for session logging',
            'the image needs `script` and `cat` for S3/CloudWatch session logs, and logs are uploaded only when the session ends',
          ),
        );
      }
    }
  } else {
    checks.push(
      pass('logging', 'Session logging', "DEFAULT: the task's awslogs driver (nothing is kept if it has none)"),
    );
  }
  if (!exec?.kmsKeyId) {
    checks.push(pass('kms', 'Session encryption', 'TLS only (no KMS key configured)'));
    return checks;
  }
  const access = facts.kmsAccess;
  if (access === undefined) {
    checks.push(
      unknown(
        'kms',
        'Session encryption',
        `KMS key ${exec.kmsKeyId}: not tried; the bot needs kms:GenerateDataKey on it, the task role kms:Decrypt`,
      ),
    );
  } else if (access === 'ok') {
    checks.push(
      pass(
        'kms',
        'Session encryption',
        `KMS key ${exec.kmsKeyId}: the bot may use it (the task role needs kms:Decrypt)`,
      ),
    );
  } else {
    checks.push(
      fail(
        'kms',
        'Session encryption',
        `KMS key ${exec.kmsKeyId}: the bot cannot create a data key with it (${access.error})`,
        `Allow the bot's role kms:GenerateDataKey on ${exec.kmsKeyId} (key policy and IAM), or fix kmsKeyId on the cluster.`,
      ),
    );
  }
  return checks;
}

/** `--cluster <real name> [--region r]`: a fix someone can paste as it is, for the cluster that was inspected. */
function clusterArgs(facts: DoctorFacts): string {
  const name = 'error' in facts.cluster ? facts.clusterAlias : facts.cluster.clusterName;
  return `--cluster ${name}${facts.region ? ` --region ${facts.region}` : ''}`;
}

function taskChecks(facts: DoctorFacts): DoctorCheck[] {
  if (facts.tasksError) {
    return [
      fail(
        'task',
        `Running task of ${facts.service}`,
        facts.tasksError.error,
        facts.tasksError.fix ?? 'Check the service name and that the bot may list and describe its tasks.',
      ),
    ];
  }
  const task = facts.tasks.find((t) => t.desiredStatus !== 'STOPPED' && t.lastStatus === 'RUNNING') ?? facts.tasks[0];
  if (!task) {
    return [
      fail(
        'task',
        `Running task of ${facts.service}`,
        'the service has no running task',
        'Check the service name, and that the service has a desired count above zero and tasks that start.',
      ),
    ];
  }
  const checks: DoctorCheck[] = [
    pass('task', `Task ${task.taskId}`, `${task.lastStatus}, desired ${task.desiredStatus}`),
  ];
  checks.push(
    task.enableExecuteCommand
      ? pass('exec-enabled', 'enableExecuteCommand', 'on')
      : fail(
          'exec-enabled',
          'enableExecuteCommand',
          'the task was started without ECS Exec',
          `aws ecs update-service ${clusterArgs(facts)} --service ${facts.service} --enable-execute-command --force-new-deployment`,
        ),
  );
  // Without exec enabled no container has an agent; one ✗ with one fix says it all.
  for (const container of task.enableExecuteCommand ? task.containers : []) {
    const agent = container.execAgent;
    const title = `Exec agent in ${container.name}`;
    if (agent?.lastStatus === 'RUNNING') checks.push(pass(`agent:${container.name}`, title, 'RUNNING'));
    else
      checks.push(
        fail(
          `agent:${container.name}`,
          title,
          agent ? `${agent.lastStatus}${agent.reason ? ` (${agent.reason})` : ''}` : 'no agent (exec not enabled)',
          agent
            ? 'Give the task role ssmmessages:CreateControlChannel/CreateDataChannel/OpenControlChannel/OpenDataChannel, ' +
                'add the ssmmessages VPC endpoint for private subnets, then start a new task.'
            : 'Enable execute command on the service and force a new deployment.',
        ),
      );
  }
  checks.push(platformCheck(task, facts));
  checks.push(...taskDefinitionChecks(facts));
  return checks;
}

function platformCheck(task: EcsTask, facts: DoctorFacts): DoctorCheck {
  if (task.launchType === 'FARGATE') {
    const version = task.platformVersion ?? 'LATEST';
    if (version === 'LATEST') return pass('platform', 'Fargate platform version', 'LATEST');
    const cmp = compareVersions(version, MIN_FARGATE);
    if (cmp === undefined) return unknown('platform', 'Fargate platform version', `cannot read "${version}"`);
    return cmp >= 0
      ? pass('platform', 'Fargate platform version', version)
      : fail(
          'platform',
          'Fargate platform version',
          `${version} is older than 1.4.0`,
          'Deploy the service with platform version 1.4.0 or LATEST.',
        );
  }
  const agent = facts.agentVersion;
  if (agent === undefined) return unknown('platform', 'ECS agent version', 'the container instance is not known');
  if (typeof agent !== 'string') return unknown('platform', 'ECS agent version', agent.error);
  const cmp = compareVersions(agent, MIN_EC2_AGENT);
  if (cmp === undefined) return unknown('platform', 'ECS agent version', `cannot read "${agent}"`);
  return cmp >= 0
    ? pass('platform', 'ECS agent version', agent)
    : fail(
        'platform',
        'ECS agent version',
        `${agent} is older than 1.50.2`,
        'Update the ECS agent on the instance (or roll the AMI).',
      );
}

function taskDefinitionChecks(facts: DoctorFacts): DoctorCheck[] {
  const def = facts.taskDefinition;
  if (def === undefined) return [];
  if ('error' in def) {
    return [unknown('task-definition', 'Task definition', `could not be read: ${def.error}`)];
  }
  const checks: DoctorCheck[] = [];
  const readOnly = def.containers.filter((c) => c.readonlyRootFilesystem).map((c) => c.name);
  checks.push(
    readOnly.length === 0
      ? pass('read-only-root', 'Writable root filesystem', 'no container has readonlyRootFilesystem')
      : fail(
          'read-only-root',
          'Writable root filesystem',
          `readonlyRootFilesystem is on for ${readOnly.join(', ')}: the exec agent cannot start there`,
          'Set readonlyRootFilesystem to false in the task definition for the containers you exec into.',
        ),
  );
  checks.push(
    def.pidMode === 'task'
      ? fail(
          'pid-mode',
          'pidMode',
          'pidMode is "task": ECS Exec does not support it',
          'Remove pidMode (or set it to host only where really needed) in the task definition.',
        )
      : pass('pid-mode', 'pidMode', def.pidMode ?? 'default'),
  );
  return checks;
}

/** Judges the facts: the checklist, in the order a person fixes things. */
export function doctorChecks(facts: DoctorFacts): DoctorCheck[] {
  return [...clusterChecks(facts), ...('error' in facts.cluster ? [] : taskChecks(facts))];
}

const SYMBOL: Record<CheckStatus, string> = { pass: '✓', fail: '✗', unknown: '?' };

/** Plain-text checklist: one line per check, the fix indented under each ✗. */
export function renderChecklist(checks: readonly DoctorCheck[]): string {
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(`${SYMBOL[check.status]} ${check.title}${check.detail ? `: ${check.detail}` : ''}`);
    if (check.fix) lines.push(`    fix: ${check.fix}`);
  }
  const failed = checks.filter((c) => c.status === 'fail').length;
  lines.push(
    failed === 0 ? 'Nothing blocks ECS Exec that I can see.' : `${failed} problem${failed === 1 ? '' : 's'} to fix.`,
  );
  return `${lines.join('\n')}\n`;
}

/** Asks KMS for a data key exactly as a session handshake would: the one permission doctor can really test. */
async function probeKms(kms: KmsPort, keyId: string): Promise<'ok' | { error: string }> {
  try {
    await kms.generateDataKey({
      keyId,
      encryptionContext: { 'aws:ssm:SessionId': 'ecs-exec-doctor', 'aws:ssm:TargetId': 'ecs:doctor' },
      numberOfBytes: 64,
    });
    return 'ok';
  } catch (error) {
    return { error: errorText(error) };
  }
}

/** A failure as a fact: its text, and for a refused permission the fix that names it. */
function failureOf(error: unknown): { error: string; fix?: string } {
  if (error instanceof EcsAccessDeniedError) {
    return {
      error: errorText(error),
      fix: `Allow ${error.permission} in the role the bot uses (\`ecs-exec iam-policy\` prints the whole policy).`,
    };
  }
  return { error: errorText(error) };
}

function errorText(error: unknown): string {
  if (isBotError(error)) return error.userMessage ?? error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Reads what the checks need through the port; read failures become facts (shown as ✗ or ?), never crashes. */
export async function gatherDoctorFacts(
  gateway: EcsGateway,
  cluster: ClusterSettings,
  service: string,
  probes: { kms?: KmsPort } = {},
): Promise<DoctorFacts> {
  const facts: DoctorFacts = {
    clusterAlias: cluster.alias,
    service,
    ...(cluster.region ? { region: cluster.region } : {}),
    cluster: { error: '' },
    tasks: [],
  };
  try {
    facts.cluster = await gateway.describeCluster(cluster.cluster);
  } catch (error) {
    facts.cluster = failureOf(error);
    return facts;
  }
  const keyId = facts.cluster.executeCommandConfiguration?.kmsKeyId;
  if (keyId && probes.kms) facts.kmsAccess = await probeKms(probes.kms, keyId);
  try {
    // A diagnosis looks at the service as it is now, never at a cached picture of it.
    const arns = await gateway.listTasks({ cluster: cluster.cluster, serviceName: service }, { maxAgeMs: 0 });
    const { tasks } =
      arns.length > 0 ? await gateway.describeTasks(cluster.cluster, arns, { maxAgeMs: 0 }) : { tasks: [] };
    facts.tasks = [...tasks].sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0));
  } catch (error) {
    facts.tasksError = failureOf(error);
    return facts;
  }
  const newest = facts.tasks.find((t) => t.lastStatus === 'RUNNING') ?? facts.tasks[0];
  if (newest?.taskDefinitionArn) {
    try {
      facts.taskDefinition = await gateway.describeTaskDefinition(newest.taskDefinitionArn);
    } catch (error) {
      facts.taskDefinition = { error: errorText(error) };
    }
  }
  if (newest?.agentVersion) facts.agentVersion = newest.agentVersion;
  else if (newest && newest.launchType !== 'FARGATE' && newest.containerInstanceArn) {
    try {
      const instance = await gateway.describeContainerInstance(cluster.cluster, newest.containerInstanceArn);
      if (instance?.agentVersion) facts.agentVersion = instance.agentVersion;
    } catch (error) {
      facts.agentVersion = { error: errorText(error) };
    }
  }
  return facts;
}
