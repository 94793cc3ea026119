import {
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  ExecuteCommandCommand,
  ListTasksCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { type Clock, systemClock } from '../shared/clock.js';
import type {
  DescribeTasksResult,
  EcsCluster,
  EcsContainerInstance,
  EcsGateway,
  EcsTask,
  EcsTaskDefinition,
  ExecSessionHandle,
  ExecuteCommandRequest,
  ReadOptions,
} from './ecs-port.js';
import { taskIdOf } from './ecs-port.js';
import {
  ClusterNotFoundError,
  EcsAccessDeniedError,
  EcsBudgetExceededError,
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
import { ApiBudget, type BudgetClass, backoffDelay, sleep } from './rate-budget.js';

/** DescribeTasks accepts at most this many tasks per call. */
export const DESCRIBE_TASKS_BATCH = 100;

/** Retry bounds for errors that prove no session exists. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Dependencies of the ECS adapter. */
export interface AwsEcsGatewayOptions {
  /** Build it with `maxAttempts: 1`: this adapter owns retries, and the SDK's own would retry ExecuteCommand. */
  client: ECSClient;
  /** Region the client talks to; only used in messages. */
  region?: string;
  /** Shared by every gateway of the process so the whole bot stays inside one budget. */
  budget?: ApiBudget;
  clock?: Clock;
  /** How long a described task may be reused (ms). */
  cacheTtlMs?: number;
  retry?: Partial<RetryPolicy>;
  random?: () => number;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 4_000 };

interface CachedTask {
  task: EcsTask | undefined;
  at: number;
}

interface PendingBatch {
  ids: Set<string>;
  waiters: Array<{ resolve: (r: Map<string, EcsTask | undefined>) => void; reject: (e: unknown) => void }>;
}

/** The ECS API through `@aws-sdk/client-ecs`, mapping every SDK error to an `EcsError` exactly once. */
export class AwsEcsGateway implements EcsGateway {
  private readonly client: ECSClient;
  private readonly region: string | undefined;
  private readonly budget: ApiBudget;
  private readonly clock: Clock;
  private readonly cacheTtlMs: number;
  private readonly retry: RetryPolicy;
  private readonly random: () => number;
  private readonly taskCache = new Map<string, CachedTask>();
  private readonly pending = new Map<string, PendingBatch>();

  constructor(options: AwsEcsGatewayOptions) {
    this.client = options.client;
    this.region = options.region;
    this.clock = options.clock ?? systemClock;
    this.budget = options.budget ?? new ApiBudget(this.clock);
    this.cacheTtlMs = options.cacheTtlMs ?? 2_000;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.random = options.random ?? Math.random;
  }

  async listTasks(query: {
    cluster: string;
    serviceName?: string;
    desiredStatus?: 'RUNNING' | 'STOPPED';
  }): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call('ListTasks', 'read', query.cluster, () =>
        this.client.send(
          new ListTasksCommand({
            cluster: query.cluster,
            ...(query.serviceName ? { serviceName: query.serviceName } : {}),
            desiredStatus: query.desiredStatus ?? 'RUNNING',
            maxResults: 100,
            ...(nextToken ? { nextToken } : {}),
          }),
        ),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  }

  async describeTasks(
    cluster: string,
    tasks: readonly string[],
    options: ReadOptions = {},
  ): Promise<DescribeTasksResult> {
    const maxAge = options.maxAgeMs ?? this.cacheTtlMs;
    const now = this.clock.now();
    const found = new Map<string, EcsTask | undefined>();
    const toFetch: string[] = [];
    for (const ref of new Set(tasks)) {
      const id = taskIdOf(ref);
      const cached = this.taskCache.get(cacheKey(cluster, id));
      if (cached && now - cached.at <= maxAge && maxAge > 0) found.set(ref, cached.task);
      else toFetch.push(ref);
    }
    if (toFetch.length > 0) {
      const fetched = await this.enqueueDescribe(cluster, toFetch);
      for (const ref of toFetch) found.set(ref, fetched.get(taskIdOf(ref)));
    }
    const result: DescribeTasksResult = { tasks: [], missing: [] };
    for (const ref of new Set(tasks)) {
      const task = found.get(ref);
      if (task) result.tasks.push(task);
      else result.missing.push(ref);
    }
    return result;
  }

  async describeCluster(cluster: string): Promise<EcsCluster> {
    const out = await this.call('DescribeClusters', 'read', cluster, () =>
      this.client.send(new DescribeClustersCommand({ clusters: [cluster], include: ['CONFIGURATIONS'] })),
    );
    const found = out.clusters?.[0];
    if (!found?.clusterArn || found.status === 'INACTIVE') throw new ClusterNotFoundError(cluster, this.region);
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

  async describeTaskDefinition(taskDefinition: string): Promise<EcsTaskDefinition> {
    const out = await this.call('DescribeTaskDefinition', 'read', taskDefinition, () =>
      this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition })),
    );
    const def = out.taskDefinition;
    return {
      taskDefinitionArn: def?.taskDefinitionArn ?? taskDefinition,
      ...(def?.pidMode ? { pidMode: def.pidMode } : {}),
      containers: (def?.containerDefinitions ?? []).map((c) => ({
        name: c.name ?? '',
        readonlyRootFilesystem: c.readonlyRootFilesystem === true,
      })),
    };
  }

  async describeContainerInstance(
    cluster: string,
    containerInstance: string,
  ): Promise<EcsContainerInstance | undefined> {
    const out = await this.call('DescribeContainerInstances', 'read', cluster, () =>
      this.client.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: [containerInstance] })),
    );
    const instance = out.containerInstances?.[0];
    if (!instance?.containerInstanceArn) return undefined;
    return {
      containerInstanceArn: instance.containerInstanceArn,
      ...(instance.versionInfo?.agentVersion ? { agentVersion: instance.versionInfo.agentVersion } : {}),
    };
  }

  async executeCommand(request: ExecuteCommandRequest): Promise<ExecSessionHandle> {
    const out = await this.call('ExecuteCommand', 'execute', request.cluster, () =>
      this.client.send(
        new ExecuteCommandCommand({
          cluster: request.cluster,
          task: request.task,
          container: request.container,
          command: request.command,
          interactive: true,
        }),
      ),
    );
    const session = out.session;
    if (!session?.sessionId || !session.streamUrl || !session.tokenValue) {
      // A reply without a usable session: nothing can be running that we could talk to, but we must not ask again.
      throw new EcsUnexpectedError('ExecuteCommand', 'IncompleteSession', 'the answer carried no usable session');
    }
    return {
      sessionId: session.sessionId,
      streamUrl: session.streamUrl,
      tokenValue: session.tokenValue,
      clusterArn: out.clusterArn ?? request.cluster,
      taskArn: out.taskArn ?? request.task,
      containerName: out.containerName ?? request.container,
    };
  }

  /** Coalesces concurrent describes of one cluster into calls of at most 100 tasks. */
  private enqueueDescribe(cluster: string, refs: readonly string[]): Promise<Map<string, EcsTask | undefined>> {
    let batch = this.pending.get(cluster);
    if (!batch) {
      const created: PendingBatch = { ids: new Set(), waiters: [] };
      this.pending.set(cluster, created);
      batch = created;
      setImmediate(() => {
        this.pending.delete(cluster);
        this.flushDescribe(cluster, created);
      });
    }
    for (const ref of refs) batch.ids.add(ref);
    const target = batch;
    return new Promise((resolve, reject) => target.waiters.push({ resolve, reject }));
  }

  private flushDescribe(cluster: string, batch: PendingBatch): void {
    const refs = [...batch.ids];
    const chunks: string[][] = [];
    for (let i = 0; i < refs.length; i += DESCRIBE_TASKS_BATCH) chunks.push(refs.slice(i, i + DESCRIBE_TASKS_BATCH));
    Promise.all(chunks.map((chunk) => this.describeChunk(cluster, chunk))).then(
      (maps) => {
        const merged = new Map<string, EcsTask | undefined>();
        for (const map of maps) for (const [id, task] of map) merged.set(id, task);
        for (const waiter of batch.waiters) waiter.resolve(merged);
      },
      (error: unknown) => {
        for (const waiter of batch.waiters) waiter.reject(error);
      },
    );
  }

  private async describeChunk(cluster: string, refs: string[]): Promise<Map<string, EcsTask | undefined>> {
    const out = await this.call('DescribeTasks', 'read', cluster, () =>
      this.client.send(new DescribeTasksCommand({ cluster, tasks: refs })),
    );
    const at = this.clock.now();
    const result = new Map<string, EcsTask | undefined>();
    for (const raw of out.tasks ?? []) {
      const task = toEcsTask(raw);
      if (!task) continue;
      result.set(task.taskId, task);
      this.taskCache.set(cacheKey(cluster, task.taskId), { task, at });
    }
    for (const ref of refs) {
      const id = taskIdOf(ref);
      if (!result.has(id)) result.set(id, undefined);
    }
    this.pruneCache(at);
    return result;
  }

  private pruneCache(now: number): void {
    if (this.taskCache.size < 1_000) return;
    for (const [key, entry] of this.taskCache) if (now - entry.at > this.cacheTtlMs) this.taskCache.delete(key);
  }

  /**
   * Spends budget, sends, maps errors, and retries only what proves no session exists and is worth retrying.
   * Reads are idempotent, so an unanswered read may be retried too; an unanswered ExecuteCommand never is.
   */
  private async call<T>(action: string, kind: BudgetClass, subject: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      const slot = await this.budget.acquire(kind);
      if (!slot.ok) throw new EcsBudgetExceededError(action, slot.waitMs);
      try {
        return await send();
      } catch (raw) {
        const error = toEcsError(raw, action, { subject, region: this.region });
        // A read changes nothing, so one whose answer was lost (a reset, a timeout) is simply asked again.
        const mayRetry =
          (error.noSessionExists && error.retryable) || (kind === 'read' && error instanceof EcsUnreachableError);
        if (!mayRetry || attempt >= this.retry.maxAttempts) throw error;
        await sleep(backoffDelay(attempt, this.retry.baseDelayMs, this.retry.maxDelayMs, this.random));
      }
    }
  }
}

function cacheKey(cluster: string, taskId: string): string {
  return `${cluster}\u0000${taskId}`;
}

function definedOnly<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
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
