import { BotError, type ErrorCode } from '../errors.js';

/**
 * Base of every ECS-side failure. `noSessionExists` is true only when the error proves that no exec session was
 * created (the API answered with an error), which is the one condition under which a retry is allowed.
 */
export abstract class EcsError extends BotError {
  abstract override readonly code: ErrorCode;
  /** True when the API answered with an error, so no session can be running on the other side. */
  readonly noSessionExists: boolean = true;
  /** True when waiting and asking again may succeed (throttling, AWS-side trouble, agent still connecting). */
  readonly retryable: boolean = false;
}

/** The caller's IAM policy (or a condition key on it) does not allow the call. */
export class EcsAccessDeniedError extends EcsError {
  readonly code = 'ecs.access_denied';
  constructor(action: string, detail: string, options?: ErrorOptions) {
    // AWS names the refused permission in its message ("... is not authorized to perform: ecs:ListTasks on ...").
    const permission = /not authorized to perform: ([\w-]+:[\w-]+)/.exec(detail)?.[1] ?? `ecs:${action}`;
    super(`${action} denied: ${detail}`, {
      ...options,
      userMessage:
        `Not permitted: AWS refused ${action} for the bot's role (${detail}). ` +
        `Fix: allow ${permission} for this cluster in the role the bot uses (\`ecs-exec iam-policy\` prints the ` +
        'policy; check conditions on ecs:cluster, ecs:container-name and resource tags).',
    });
    this.permission = permission;
  }

  /** The IAM action that was missing, e.g. `ecs:ListTasks`. */
  readonly permission: string;
}

/** ExecuteCommand answered "execute command was not enabled" or "the agent isn't running". */
export class ExecNotEnabledError extends EcsError {
  readonly code = 'ecs.exec_not_enabled';
  constructor(detail: string, options?: ErrorOptions) {
    super(`execute command not enabled: ${detail}`, {
      ...options,
      userMessage:
        'ECS Exec is not available on this task: it was started without enableExecuteCommand, or its exec agent ' +
        'is not running yet. Fix: update the service with --enable-execute-command and force a new deployment ' +
        '(running tasks cannot be switched on), then wait until the ExecuteCommandAgent is RUNNING.',
    });
  }
}

/** Any other InvalidParameterException: a malformed identifier or a parameter ECS refuses. */
export class EcsInvalidParameterError extends EcsError {
  readonly code = 'ecs.invalid_parameter';
  constructor(detail: string, options?: ErrorOptions) {
    super(`invalid parameter: ${detail}`, {
      ...options,
      userMessage: `ECS refused the request as invalid: ${detail}. Fix: check the cluster, task id and container name.`,
    });
  }
}

/** The SSM agent in the task is not connected (task role permissions, VPC endpoints, agent down). */
export class TargetNotConnectedError extends EcsError {
  readonly code = 'ecs.target_not_connected';
  override readonly retryable = true;
  constructor(detail: string, options?: ErrorOptions) {
    super(`target not connected: ${detail}`, {
      ...options,
      userMessage:
        "The task's exec agent is not connected to Session Manager. Fix: give the task role " +
        'ssmmessages:CreateControlChannel, CreateDataChannel, OpenControlChannel and OpenDataChannel, and with ' +
        'private subnets add the ssmmessages VPC endpoint (run `ecs-exec doctor` for a checklist).',
    });
  }
}

/** The cluster does not exist in this account and region. */
export class ClusterNotFoundError extends EcsError {
  readonly code = 'ecs.cluster_not_found';
  constructor(cluster: string, region: string | undefined, options?: ErrorOptions) {
    super(`cluster not found: ${cluster} (${region ?? 'default region'})`, {
      ...options,
      userMessage:
        `Cluster "${cluster}" was not found${region ? ` in ${region}` : ''}. ` +
        "Fix: check the cluster name or ARN and the region in the config (or --region), and that the bot's " +
        'credentials belong to the right account.',
    });
  }
}

/** The service does not exist in the cluster. */
export class ServiceNotFoundError extends EcsError {
  readonly code = 'ecs.service_not_found';
  constructor(cluster: string, options?: ErrorOptions) {
    super(`service not found in ${cluster}`, {
      ...options,
      userMessage: `That service does not exist in cluster ${cluster}. Fix: check the service name (ecs list-services shows them).`,
    });
  }
}

/** ClientException: ECS says the request itself is wrong (bad identifier, misuse). */
export class EcsClientError extends EcsError {
  readonly code = 'ecs.client';
  constructor(detail: string, options?: ErrorOptions) {
    super(`client error: ${detail}`, {
      ...options,
      userMessage: `ECS rejected the request: ${detail}. Fix: check the task id, service and container names.`,
    });
  }
}

/** ServerException: trouble on AWS's side; safe to retry because no session was returned. */
export class EcsServerError extends EcsError {
  readonly code = 'ecs.server';
  override readonly retryable = true;
  constructor(detail: string, options?: ErrorOptions) {
    super(`server error: ${detail}`, {
      ...options,
      userMessage: 'ECS had an internal error and did not start the command. Fix: try again in a minute.',
    });
  }
}

/** ThrottlingException: the account's API rate in this region is used up. */
export class EcsThrottledError extends EcsError {
  readonly code = 'ecs.throttled';
  override readonly retryable = true;
  constructor(detail: string, options?: ErrorOptions) {
    super(`throttled: ${detail}`, {
      ...options,
      userMessage:
        'AWS is throttling ECS API calls for this account and region, so the command was not started. Fix: try again shortly; if it persists, find what else is calling the ECS API in this account.',
    });
  }
}

/** Our own client-side budget refused the call so that a burst cannot exhaust the account's API rate. */
export class EcsBudgetExceededError extends EcsError {
  readonly code = 'ecs.budget_exceeded';
  constructor(action: string, waitMs: number, queued = 0) {
    super(`${action}: client-side budget queue full (${queued} waiting, next slot in ${waitMs} ms)`, {
      userMessage:
        `The bot's queue for ECS requests is full (${queued} waiting, about ${Math.ceil(waitMs / 1000)} s of work ` +
        'ahead): it keeps to a budget so it never exhausts the account API rate, and this request did not fit. ' +
        'Nothing was run. Fix: try again in a minute.',
    });
  }
}

/** The call failed without an answer from ECS (network, timeout): it is unknown whether a session exists. */
export class EcsUnreachableError extends EcsError {
  readonly code = 'ecs.unreachable';
  override readonly noSessionExists: boolean;
  constructor(action: string, detail: string, noSessionExists: boolean, options?: ErrorOptions) {
    super(`${action} failed without an answer: ${detail}`, {
      ...options,
      userMessage: noSessionExists
        ? `Could not reach the ECS API (${detail}). ` +
          'Fix: check the network path to ECS, the region, and AWS_ENDPOINT_URL_ECS if it is set.'
        : `The ECS API did not answer ${action} (${detail}). The command may have started in the task; it was ` +
          'not sent again so that it cannot run twice. Check the task before retrying.',
    });
    this.noSessionExists = noSessionExists;
  }
}

/** The SDK found no credentials to sign with: nothing was sent. */
export class EcsNoCredentialsError extends EcsError {
  readonly code = 'ecs.no_credentials';
  constructor(detail: string, options?: ErrorOptions) {
    super(`no AWS credentials: ${detail}`, {
      ...options,
      userMessage:
        'No AWS credentials were found. Fix: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ' +
        'or run where an instance or task role is available.',
    });
  }
}

/** Anything else the SDK raised, kept with its AWS name. */
export class EcsUnexpectedError extends EcsError {
  readonly code = 'ecs.unexpected';
  constructor(action: string, name: string, detail: string, options?: ErrorOptions) {
    super(`${action} failed with ${name}: ${detail}`, {
      ...options,
      userMessage: `ECS answered ${name} to ${action}: ${detail}`,
    });
  }
}

/** `<cluster>/<service>` or `<cluster>/<task>` could not be parsed. */
export class MalformedTargetError extends EcsError {
  readonly code = 'ecs.malformed_target';
  constructor(text: string, why: string) {
    super(`malformed target "${text}": ${why}`, {
      userMessage:
        `"${text}" is not a target I understand: ${why}. Write <cluster>/<service>[:<container>], ` +
        '<cluster>/<task-id>[:<container>] (32 hex characters) or a task ARN.',
    });
  }
}

/** The cluster alias is not in the config file. */
export class UnknownClusterError extends EcsError {
  readonly code = 'ecs.unknown_cluster';
  constructor(alias: string, known: readonly string[]) {
    super(`unknown cluster alias "${alias}"`, {
      userMessage:
        `There is no cluster "${alias}" in the config. ` +
        (known.length > 0 ? `Known clusters: ${known.join(', ')}.` : 'The config lists no clusters.'),
    });
  }
}

/** A task ARN that names a task of another account, partition or region than the configured cluster's. */
export class ForeignTaskArnError extends EcsError {
  readonly code = 'ecs.foreign_task_arn';
  constructor(typed: string, cluster: string, actual: string) {
    super(`task ARN ${typed} is not the task ${actual} of cluster ${cluster}`, {
      userMessage: `The task ARN ${typed} is not a task of cluster ${cluster} (that cluster's task is ${actual}): it names another account, partition or region. Nothing was run.`,
    });
  }
}

/** A task id or ARN that ECS does not know (or that has been gone long enough to be forgotten). */
export class TaskNotFoundError extends EcsError {
  readonly code = 'ecs.task_not_found';
  constructor(task: string, cluster: string) {
    super(`task ${task} not found in ${cluster}`, {
      userMessage: `Task ${task} was not found in cluster ${cluster}. Fix: check the task id; stopped tasks disappear after about an hour.`,
    });
  }
}

/** A service with no task that could run the command; `detail` says what was found instead. */
export class NoEligibleTaskError extends EcsError {
  readonly code = 'ecs.no_eligible_task';
  constructor(service: string, cluster: string, detail: string) {
    super(`no eligible task for ${cluster}/${service}: ${detail}`, {
      userMessage:
        `Service ${service} in ${cluster} has no task ready for ECS Exec (${detail}). ` +
        'Fix: wait for a task to reach RUNNING with its exec agent RUNNING, or check that the service was ' +
        'deployed with --enable-execute-command (run `ecs-exec doctor`).',
    });
  }
}

/** Several containers fit and nothing says which one; `choices` are the container names. */
export class AmbiguousContainerError extends EcsError {
  readonly code = 'ecs.ambiguous_container';
  readonly choices: readonly string[];
  readonly taskArn: string;
  constructor(taskArn: string, choices: readonly string[]) {
    super(`ambiguous container in ${taskArn}: ${choices.join(', ')}`, {
      userMessage: `The task has several containers; pick one with :<container> (or --container): ${choices.join(', ')}.`,
    });
    this.choices = choices;
    this.taskArn = taskArn;
  }
}

/** The requested container is not in the task. */
export class ContainerNotFoundError extends EcsError {
  readonly code = 'ecs.container_not_found';
  readonly choices: readonly string[];
  constructor(container: string, taskId: string, choices: readonly string[]) {
    super(`container ${container} not in task ${taskId}`, {
      userMessage: `Task ${taskId} has no container "${container}". Its containers: ${choices.join(', ')}.`,
    });
    this.choices = choices;
  }
}

/** A precheck before ExecuteCommand failed; `check` names which one so callers and tests can tell them apart. */
export class PrecheckFailedError extends EcsError {
  readonly code: ErrorCode;
  readonly check: PrecheckName;
  constructor(check: PrecheckName, message: string, userMessage: string) {
    super(message, { userMessage });
    this.check = check;
    this.code = `ecs.precheck.${check}`;
  }
}

/** The prechecks run before ExecuteCommand, in order. */
export const PRECHECKS = {
  taskRunning: 'task_running',
  execEnabled: 'exec_enabled',
  agentRunning: 'agent_running',
  containerRunning: 'container_running',
} as const;
export type PrecheckName = (typeof PRECHECKS)[keyof typeof PRECHECKS];

/** STS refused to let the bot assume the cluster's role: reported as such, never retried. */
export class AssumeRoleDeniedError extends EcsError {
  readonly code = 'ecs.assume_role_denied';
  constructor(roleArn: string, detail: string, options?: ErrorOptions) {
    super(`AssumeRole ${roleArn} denied: ${detail}`, {
      ...options,
      userMessage:
        `The bot may not assume role ${roleArn} (${detail}). Fix: the role's trust policy must allow the bot's ` +
        'principal sts:AssumeRole and sts:SetSourceIdentity.',
    });
  }
}

/** STS failed for another reason (network, region, malformed role). */
export class AssumeRoleFailedError extends EcsError {
  readonly code = 'ecs.assume_role_failed';
  constructor(roleArn: string, detail: string, options?: ErrorOptions) {
    super(`AssumeRole ${roleArn} failed: ${detail}`, {
      ...options,
      userMessage: `Could not assume role ${roleArn}: ${detail}. Fix: check the roleArn in the config and the STS endpoint.`,
    });
  }
}

/** Every ECS-side error, for exhaustive handling. */
export type AnyEcsError = EcsError;

/** The task began stopping while a command ran in it; the run ends with this as its reason. */
export class TaskStoppingError extends EcsError {
  readonly code = 'ecs.task_stopping';
  override readonly noSessionExists = false;
  constructor(taskId: string, detail: string) {
    super(`task ${taskId} is stopping: ${detail}`, {
      userMessage: `The task ${taskId} started stopping while the command ran (${detail}); the command may not have finished.`,
    });
  }
}

/** No region was given and none is configured: nothing can be called. */
export class NoRegionError extends EcsError {
  readonly code = 'ecs.no_region';
  constructor(profile: string | undefined) {
    const where = profile ? `the profile "${profile}"` : 'the default profile';
    super('no AWS region configured', {
      userMessage:
        'No AWS region is set, so there is no ECS endpoint to call. Fix: pass --region eu-west-1, set AWS_REGION, ' +
        `or add "region = eu-west-1" to ${where} in ~/.aws/config ` +
        `(aws configure set region eu-west-1${profile ? ` --profile ${profile}` : ''}).`,
    });
  }
}
