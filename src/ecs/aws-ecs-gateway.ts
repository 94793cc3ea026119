import {
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  ExecuteCommandCommand,
  ListTasksCommand,
} from '@aws-sdk/client-ecs';
import { type Clock, systemClock } from '../shared/clock.js';
import { toEcsCluster, toEcsError, toEcsTask } from './aws-ecs-mapping.js';
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
import { ClusterNotFoundError, EcsBudgetExceededError, EcsUnexpectedError, EcsUnreachableError } from './errors.js';
import { ApiBudget, type BudgetClass, backoffDelay, sleep } from './rate-budget.js';
import { forgetWhenSettled, type QueuedListener, SharedFlight } from './shared-flight.js';

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

/**
 * How long a task list or a described task is reused. A burst of requests for one service (an incident channel, a
 * runbook fired by many at once) then costs one ListTasks and one DescribeTasks per few seconds, not per request;
 * a task seen stopping by the watcher, or whose ExecuteCommand failed, is dropped from the cache at once.
 */
export const DEFAULT_CACHE_TTL_MS = 5_000;

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 4_000 };

interface CachedTask {
  task: EcsTask | undefined;
  at: number;
}

interface CachedList {
  arns: string[];
  at: number;
}

interface PendingBatch {
  ids: Set<string>;
  /** Told when the batch's DescribeTasks has to queue for the budget. */
  listeners: Set<QueuedListener>;
  settle?: { resolve: (r: Map<string, EcsTask | undefined>) => void; reject: (e: unknown) => void };
  promise: Promise<Map<string, EcsTask | undefined>>;
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
  /** Describes on the wire, by cluster and task id: a second ask for the same task joins the first. */
  private readonly describing = new Map<string, SharedFlight<EcsTask | undefined>>();
  private readonly listCache = new Map<string, CachedList>();
  /** ListTasks calls on the wire, by query: identical concurrent lookups share one call. */
  private readonly listing = new Map<string, SharedFlight<string[]>>();
  /** Bumped by every invalidation, so an answer sent for before it is not cached after it. */
  private generation = 0;

  constructor(options: AwsEcsGatewayOptions) {
    this.client = options.client;
    this.region = options.region;
    this.clock = options.clock ?? systemClock;
    this.budget = options.budget ?? new ApiBudget(this.clock);
    this.cacheTtlMs = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.random = options.random ?? Math.random;
  }

  async listTasks(
    query: { cluster: string; serviceName?: string; desiredStatus?: 'RUNNING' | 'STOPPED' },
    options: ReadOptions = {},
  ): Promise<string[]> {
    const maxAge = options.maxAgeMs ?? this.cacheTtlMs;
    const key = [query.cluster, query.serviceName ?? '', query.desiredStatus ?? 'RUNNING'].join('\u0000');
    const cached = this.listCache.get(key);
    if (cached && maxAge > 0 && this.clock.now() - cached.at <= maxAge) return [...cached.arns];
    let flight = this.listing.get(key);
    if (!flight) {
      const generation = this.generation;
      const started = new SharedFlight(
        (onQueued) =>
          this.fetchTaskList(query, onQueued).then((arns) => {
            if (generation === this.generation) this.listCache.set(key, { arns, at: this.clock.now() });
            return arns;
          }),
        this.clock,
      );
      flight = started;
      this.listing.set(key, started);
      forgetWhenSettled(this.listing, key, started);
    }
    return [...(await flight.join(options.onQueued))];
  }

  /**
   * Forgets what is cached about a task (and every task list of its cluster that names it), so the next lookup asks
   * ECS: the task is stopping, or an ExecuteCommand on it failed.
   */
  invalidate(cluster: string, taskArn: string): void {
    this.generation += 1;
    const id = taskIdOf(taskArn);
    this.taskCache.delete(cacheKey(cluster, id));
    for (const [key, list] of this.listCache) {
      if (key.startsWith(`${cluster}\u0000`) && list.arns.some((arn) => taskIdOf(arn) === id)) {
        this.listCache.delete(key);
      }
    }
  }

  private async fetchTaskList(
    query: { cluster: string; serviceName?: string; desiredStatus?: 'RUNNING' | 'STOPPED' },
    onQueued: QueuedListener,
  ): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call(
        'ListTasks',
        'read',
        query.cluster,
        () =>
          this.client.send(
            new ListTasksCommand({
              cluster: query.cluster,
              ...(query.serviceName ? { serviceName: query.serviceName } : {}),
              desiredStatus: query.desiredStatus ?? 'RUNNING',
              maxResults: 100,
              ...(nextToken ? { nextToken } : {}),
            }),
          ),
        onQueued,
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
    const waiting: Array<Promise<void>> = [];
    const toFetch: string[] = [];
    for (const ref of new Set(tasks)) {
      const key = cacheKey(cluster, taskIdOf(ref));
      const cached = this.taskCache.get(key);
      const inFlight = this.describing.get(key);
      if (cached && now - cached.at <= maxAge && maxAge > 0) found.set(ref, cached.task);
      // A describe already on the wire was sent no earlier than this one would be answered: fresh enough for all.
      else if (inFlight) waiting.push(inFlight.join(options.onQueued).then((task) => void found.set(ref, task)));
      else toFetch.push(ref);
    }
    if (toFetch.length > 0) {
      const batch = this.enqueueDescribe(cluster, toFetch);
      for (const ref of toFetch) {
        const key = cacheKey(cluster, taskIdOf(ref));
        const one = new SharedFlight((onQueued) => {
          batch.listeners.add(onQueued);
          return batch.promise.then((fetched) => fetched.get(taskIdOf(ref)));
        }, this.clock);
        this.describing.set(key, one);
        forgetWhenSettled(this.describing, key, one);
        waiting.push(one.join(options.onQueued).then((task) => void found.set(ref, task)));
      }
    }
    await Promise.all(waiting);
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
    return toEcsCluster({ ...found, clusterArn: found.clusterArn }, cluster);
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
    ).catch((error: unknown) => {
      // Whatever made it fail (the task stopping, its agent gone) may also make the cached picture of it wrong.
      this.invalidate(request.cluster, request.task);
      throw error;
    });
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
  private enqueueDescribe(cluster: string, refs: readonly string[]): PendingBatch {
    let batch = this.pending.get(cluster);
    if (!batch) {
      const created: PendingBatch = { ids: new Set(), listeners: new Set(), promise: Promise.resolve(new Map()) };
      created.promise = new Promise((resolve, reject) => {
        created.settle = { resolve, reject };
      });
      this.pending.set(cluster, created);
      batch = created;
      setImmediate(() => {
        this.pending.delete(cluster);
        this.flushDescribe(cluster, created);
      });
    }
    for (const ref of refs) batch.ids.add(ref);
    return batch;
  }

  private flushDescribe(cluster: string, batch: PendingBatch): void {
    const refs = [...batch.ids];
    const chunks: string[][] = [];
    for (let i = 0; i < refs.length; i += DESCRIBE_TASKS_BATCH) chunks.push(refs.slice(i, i + DESCRIBE_TASKS_BATCH));
    const onQueued = (waitMs: number): void => {
      for (const listener of batch.listeners) listener(waitMs);
    };
    Promise.all(chunks.map((chunk) => this.describeChunk(cluster, chunk, onQueued))).then(
      (maps) => {
        const merged = new Map<string, EcsTask | undefined>();
        for (const map of maps) for (const [id, task] of map) merged.set(id, task);
        batch.settle?.resolve(merged);
      },
      (error: unknown) => batch.settle?.reject(error),
    );
  }

  private async describeChunk(
    cluster: string,
    refs: string[],
    onQueued: QueuedListener,
  ): Promise<Map<string, EcsTask | undefined>> {
    const generation = this.generation;
    const out = await this.call(
      'DescribeTasks',
      'read',
      cluster,
      () => this.client.send(new DescribeTasksCommand({ cluster, tasks: refs })),
      onQueued,
    );
    const at = this.clock.now();
    const result = new Map<string, EcsTask | undefined>();
    for (const raw of out.tasks ?? []) {
      const task = toEcsTask(raw);
      if (!task) continue;
      result.set(task.taskId, task);
      if (generation === this.generation) this.taskCache.set(cacheKey(cluster, task.taskId), { task, at });
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
  private async call<T>(
    action: string,
    kind: BudgetClass,
    subject: string,
    send: () => Promise<T>,
    onQueued?: QueuedListener,
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      const slot = await this.budget.acquire(kind, onQueued ? { onQueued } : {});
      if (!slot.ok) throw new EcsBudgetExceededError(action, slot.waitMs, slot.queued);
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
