import type { Cluster, Task } from '@aws-sdk/client-ecs';
import type { EcsCluster, EcsTask } from './ecs-port.js';
import { taskIdOf } from './ecs-port.js';
import {
  ClusterNotFoundError,
  EcsAccessDeniedError,
  EcsClientError,
  EcsError,
  EcsInvalidParameterError,
  EcsNoCredentialsError,
  EcsServerError,
  EcsThrottledError,
  EcsUnexpectedError,
  EcsUnreachableError,
  ExecNotEnabledError,
  ServiceNotFoundError,
  TargetNotConnectedError,
} from './errors.js';

// The one place SDK shapes become product shapes: tasks from DescribeTasks, errors from every call.

export function definedOnly<T extends Record<string, unknown>>(
  value: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** SDK cluster → our cluster, with its ECS Exec settings (KMS key, logging). */
export function toEcsCluster(found: Cluster & { clusterArn: string }, cluster: string): EcsCluster {
  const exec = found.configuration?.executeCommandConfiguration;
  const log = exec?.logConfiguration;
  return {
    clusterArn: found.clusterArn,
    clusterName: found.clusterName ?? cluster,
    status: found.status ?? 'UNKNOWN',
    ...(exec
      ? {
          executeCommandConfiguration: {
            ...(exec.kmsKeyId ? { kmsKeyId: exec.kmsKeyId } : {}),
            ...(exec.logging ? { logging: exec.logging } : {}),
            ...(log
              ? {
                  logConfiguration: definedOnly({
                    cloudWatchLogGroupName: log.cloudWatchLogGroupName,
                    cloudWatchEncryptionEnabled: log.cloudWatchEncryptionEnabled,
                    s3BucketName: log.s3BucketName,
                    s3EncryptionEnabled: log.s3EncryptionEnabled,
                    s3KeyPrefix: log.s3KeyPrefix,
                  }),
                }
              : {}),
          },
        }
      : {}),
  };
}

/** SDK task → our task; undefined for a reply without an ARN (never seen, but the model allows it). */
export function toEcsTask(raw: Task): EcsTask | undefined {
  if (!raw.taskArn) return undefined;
  return {
    taskArn: raw.taskArn,
    taskId: taskIdOf(raw.taskArn),
    clusterArn: raw.clusterArn ?? '',
    lastStatus: raw.lastStatus ?? 'UNKNOWN',
    desiredStatus: raw.desiredStatus ?? 'UNKNOWN',
    ...(raw.startedAt ? { startedAt: new Date(raw.startedAt).getTime() } : {}),
    ...(raw.stoppedReason ? { stoppedReason: raw.stoppedReason } : {}),
    ...(raw.stopCode ? { stopCode: raw.stopCode } : {}),
    enableExecuteCommand: raw.enableExecuteCommand === true,
    ...(raw.launchType ? { launchType: raw.launchType } : {}),
    ...(raw.platformVersion ? { platformVersion: raw.platformVersion } : {}),
    ...(raw.platformFamily ? { platformFamily: raw.platformFamily } : {}),
    ...(raw.group ? { group: raw.group } : {}),
    ...(raw.taskDefinitionArn ? { taskDefinitionArn: raw.taskDefinitionArn } : {}),
    ...(raw.containerInstanceArn ? { containerInstanceArn: raw.containerInstanceArn } : {}),
    ...(raw.availabilityZone ? { availabilityZone: raw.availabilityZone } : {}),
    ...agentVersionOf(raw),
    containers: (raw.containers ?? []).map((c) => {
      const agent = c.managedAgents?.find((a) => a.name === 'ExecuteCommandAgent');
      return {
        name: c.name ?? '',
        ...(c.runtimeId ? { runtimeId: c.runtimeId } : {}),
        ...(c.lastStatus ? { lastStatus: c.lastStatus } : {}),
        ...(agent
          ? {
              execAgent: {
                lastStatus: agent.lastStatus ?? 'UNKNOWN',
                ...(agent.reason ? { reason: agent.reason } : {}),
              },
            }
          : {}),
      };
    }),
  };
}

function agentVersionOf(raw: Task): { agentVersion?: string } {
  const value = raw.attributes?.find((a) => a.name === 'ecs.agent-version')?.value;
  return value ? { agentVersion: value } : {};
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

/** Network error codes that prove the request never left this machine. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'CERT_HAS_EXPIRED']);

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ThrottledException',
]);

/**
 * The one place SDK errors become product errors. An error that carries an HTTP status came from the API, so no
 * session exists; one without a status is a transport failure whose effect on the server side is unknown unless
 * the connection was refused outright.
 */
export function toEcsError(
  raw: unknown,
  action: string,
  context: { subject: string; region?: string | undefined },
): EcsError {
  if (raw instanceof EcsError) return raw;
  const error = (typeof raw === 'object' && raw !== null ? raw : { message: String(raw) }) as SdkErrorShape;
  const name = error.name ?? 'Error';
  const detail = (error.message ?? name).trim() || name;
  const options = { cause: raw };
  const status = error.$metadata?.httpStatusCode;
  const answered = status !== undefined && status > 0;
  if (THROTTLING.has(name) || status === 429) return new EcsThrottledError(detail, options);
  if (name === 'CredentialsProviderError') return new EcsNoCredentialsError(detail, options);
  switch (name) {
    case 'AccessDeniedException':
    case 'AccessDenied':
    case 'UnauthorizedOperation':
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException':
      return new EcsAccessDeniedError(action, detail, options);
    case 'InvalidParameterException':
      if (/execute command (?:was not enabled|agent)|not enabled when the task/i.test(detail)) {
        return new ExecNotEnabledError(detail, options);
      }
      return new EcsInvalidParameterError(detail, options);
    case 'TargetNotConnectedException':
      return new TargetNotConnectedError(detail, options);
    case 'ClusterNotFoundException':
      return new ClusterNotFoundError(context.subject, context.region, options);
    case 'ClientException':
      return new EcsClientError(detail, options);
    case 'ServiceNotFoundException':
      return new ServiceNotFoundError(context.subject, options);
    case 'ServerException':
    case 'InternalFailure':
    case 'ServiceUnavailable':
      return new EcsServerError(detail, options);
  }
  if (answered) {
    if (status >= 500) return new EcsServerError(detail, options);
    return new EcsUnexpectedError(action, name, detail, options);
  }
  // Only an ExecuteCommand can have started something; any other call that went unanswered left no session behind.
  const notSent = (error.code !== undefined && NOT_SENT.has(error.code)) || action !== 'ExecuteCommand';
  return new EcsUnreachableError(action, error.code ? `${error.code}: ${detail}` : detail, notSent, options);
}
