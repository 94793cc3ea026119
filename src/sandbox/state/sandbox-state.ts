import { randomBytes, randomUUID } from 'node:crypto';
import { SandboxError } from '../errors.js';
import {
  AgentStatus,
  type Cluster,
  type ClusterSeed,
  type Container,
  type KmsKey,
  type KmsKeySeed,
  type RoleSeed,
  type SandboxSeed,
  type Service,
  type ServiceSeed,
  type Task,
  type TaskSeed,
  TaskStatus,
} from './model.js';

/** The sandbox's default account and region when a seed names none. */
export const DEFAULT_ACCOUNT = '111122223333';
export const DEFAULT_REGION = 'us-east-1';

const TASK_ID = /^[0-9a-f]{32}$/;

/** What can change on a running task, for tests that move a task through its life. */
export interface TaskPatch {
  lastStatus?: TaskStatus;
  desiredStatus?: 'RUNNING' | 'PENDING' | 'STOPPED';
  enableExecuteCommand?: boolean;
  platformVersion?: string;
  stoppedReason?: string;
  startedAt?: string | number;
}

/** Called when a task leaves RUNNING for good, so the data channel can lose its agent the way ECS does. */
export type TaskStoppedListener = (task: Task) => void;

function toEpochMs(value: string | number): number {
  return typeof value === 'number' ? value : Date.parse(value);
}

/** A parsed `arn:aws:<service>:<region>:<account>:<resource>`. */
export function parseArn(arn: string): { service: string; region: string; account: string; resource: string } | null {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return null;
  const [, , service = '', region = '', account = ''] = parts;
  return { service, region, account, resource: parts.slice(5).join(':') };
}

/**
 * In-memory ECS/KMS/IAM state of the sandbox. Lookups are scoped by account and region, as in AWS: a cluster seeded
 * in eu-west-1 does not exist for a client signed for us-east-1.
 */
export class SandboxState {
  readonly defaultAccount: string;
  readonly defaultRegion: string;
  private readonly clusters = new Map<string, Cluster>();
  private readonly services = new Map<string, Service>();
  private readonly tasks = new Map<string, Task>();
  private readonly keys = new Map<string, KmsKey>();
  private readonly roles = new Map<string, RoleSeed>();
  private readonly stoppedListeners = new Set<TaskStoppedListener>();
  private seededTasks = 0;

  constructor(seed: SandboxSeed = {}) {
    this.defaultAccount = seed.defaultAccount ?? DEFAULT_ACCOUNT;
    this.defaultRegion = seed.defaultRegion ?? DEFAULT_REGION;
    this.apply(seed);
  }

  /** Adds everything in a seed to the current state. */
  apply(seed: SandboxSeed): void {
    for (const key of seed.kmsKeys ?? []) this.addKmsKey(key);
    for (const role of seed.roles ?? []) this.addRole(role);
    for (const cluster of seed.clusters ?? []) this.addCluster(cluster);
    for (const service of seed.services ?? []) this.addService(service);
    for (const task of seed.tasks ?? []) this.addTask(task);
  }

  addCluster(seed: ClusterSeed): Cluster {
    const account = seed.account ?? this.defaultAccount;
    const region = seed.region ?? this.defaultRegion;
    const cluster: Cluster = {
      clusterArn: `arn:aws:ecs:${region}:${account}:cluster/${seed.name}`,
      clusterName: seed.name,
      account,
      region,
      status: seed.status ?? 'ACTIVE',
      executeCommandConfiguration: seed.executeCommandConfiguration,
    };
    this.clusters.set(cluster.clusterArn, cluster);
    this.ensureKey(account, region, seed.executeCommandConfiguration?.kmsKeyId);
    return cluster;
  }

  /** Changes a cluster's exec configuration (e.g. turn KMS on) without touching its tasks. */
  setExecuteCommandConfiguration(clusterRef: string, configuration: ClusterSeed['executeCommandConfiguration']): void {
    const cluster = this.requireCluster(clusterRef);
    cluster.executeCommandConfiguration = configuration;
    this.ensureKey(cluster.account, cluster.region, configuration?.kmsKeyId);
  }

  /** A cluster that names a key needs it to exist in its account and region, or no KMS session could start. */
  private ensureKey(account: string, region: string, kmsKeyId: string | undefined): void {
    if (!kmsKeyId || this.findKmsKey(account, region, kmsKeyId)) return;
    if (kmsKeyId.startsWith('arn:')) this.addKmsKey({ arn: kmsKeyId });
    else if (kmsKeyId.startsWith('alias/')) {
      this.addKmsKey({ arn: `arn:aws:kms:${region}:${account}:key/${randomUUID()}`, aliases: [kmsKeyId] });
    } else this.addKmsKey({ arn: `arn:aws:kms:${region}:${account}:key/${kmsKeyId}` });
  }

  addService(seed: ServiceSeed): Service {
    const cluster = this.requireCluster(seed.cluster);
    const service: Service = {
      serviceArn: `arn:aws:ecs:${cluster.region}:${cluster.account}:service/${cluster.clusterName}/${seed.name}`,
      serviceName: seed.name,
      clusterArn: cluster.clusterArn,
      clusterName: cluster.clusterName,
      account: cluster.account,
      region: cluster.region,
      launchType: seed.launchType ?? 'FARGATE',
      enableExecuteCommand: seed.enableExecuteCommand ?? true,
      desiredCount: seed.desiredCount ?? 1,
      createdAt: Date.now() - 86_400_000,
    };
    this.services.set(service.serviceArn, service);
    return service;
  }

  addTask(seed: TaskSeed): Task {
    const cluster = this.requireCluster(seed.cluster);
    const service = seed.service ? this.findService(cluster, seed.service) : undefined;
    if (seed.service && !service)
      throw new SandboxError(`Service "${seed.service}" is not seeded in ${cluster.clusterName}`);
    const taskId = seed.id ?? randomBytes(16).toString('hex');
    if (!TASK_ID.test(taskId)) throw new SandboxError(`Task id "${taskId}" must be 32 lowercase hex characters`);
    const taskArn = `arn:aws:ecs:${cluster.region}:${cluster.account}:task/${cluster.clusterName}/${taskId}`;
    const [familyName, revisionText] = (seed.taskDefinition ?? `${seed.service ?? 'standalone'}:1`).split(':');
    const family = familyName ?? 'standalone';
    const revision = Number(revisionText ?? '1') || 1;
    const launchType = seed.launchType ?? service?.launchType ?? 'FARGATE';
    const lastStatus = seed.lastStatus ?? TaskStatus.Running;
    this.seededTasks += 1;
    const startedAt =
      seed.startedAt !== undefined
        ? toEpochMs(seed.startedAt)
        : lastStatus === TaskStatus.Pending || lastStatus === TaskStatus.Provisioning
          ? undefined
          : Date.now() - 3_600_000 + this.seededTasks * 1000;
    const containers = (seed.containers ?? [{ name: 'app' }]).map((c): Container => {
      const agentStatus = c.agentStatus === undefined ? AgentStatus.Running : c.agentStatus;
      return {
        containerArn: `arn:aws:ecs:${cluster.region}:${cluster.account}:container/${cluster.clusterName}/${taskId}/${randomUUID()}`,
        name: c.name,
        image: c.image ?? `public.ecr.aws/docker/library/${c.name === 'app' ? 'alpine' : c.name}:latest`,
        runtimeId: c.runtimeId ?? `${taskId}-${String(Math.floor(Math.random() * 1e10)).padStart(10, '0')}`,
        lastStatus: c.lastStatus ?? lastStatus,
        managedAgents:
          agentStatus === null
            ? []
            : [
                {
                  name: 'ExecuteCommandAgent',
                  lastStatus: agentStatus,
                  ...(startedAt !== undefined ? { lastStartedAt: startedAt } : {}),
                },
              ],
        agentConnected: c.agentConnected ?? true,
        readonlyRootFilesystem: c.readonlyRootFilesystem ?? false,
        environment: { ...c.environment },
      };
    });
    const task: Task = {
      taskId,
      taskArn,
      clusterArn: cluster.clusterArn,
      clusterName: cluster.clusterName,
      account: cluster.account,
      region: cluster.region,
      serviceName: service?.serviceName,
      taskDefinitionArn: `arn:aws:ecs:${cluster.region}:${cluster.account}:task-definition/${family}:${revision}`,
      family,
      revision,
      lastStatus,
      desiredStatus: seed.desiredStatus ?? (lastStatus === TaskStatus.Stopped ? 'STOPPED' : 'RUNNING'),
      launchType,
      platformVersion: launchType === 'FARGATE' ? (seed.platformVersion ?? '1.4.0') : seed.platformVersion,
      enableExecuteCommand: seed.enableExecuteCommand ?? service?.enableExecuteCommand ?? true,
      createdAt: (startedAt ?? Date.now()) - 30_000,
      startedAt,
      stoppingAt: undefined,
      stoppedReason: seed.stoppedReason,
      containers,
      pidMode: seed.pidMode,
      agentVersion: seed.agentVersion ?? (launchType === 'EC2' ? '1.85.0' : undefined),
      availabilityZone: seed.availabilityZone ?? `${cluster.region}a`,
      vanishAfterExecMs: seed.vanishAfterExecMs,
    };
    this.tasks.set(taskArn, task);
    return task;
  }

  /** Changes fields of a task; a task reaching STOPPED (or desired STOPPED) loses its exec sessions. */
  updateTask(taskRef: string, patch: TaskPatch): Task {
    const task = this.requireTask(taskRef);
    if (patch.lastStatus !== undefined) {
      task.lastStatus = patch.lastStatus;
      for (const container of task.containers) container.lastStatus = patch.lastStatus;
    }
    if (patch.desiredStatus !== undefined) task.desiredStatus = patch.desiredStatus;
    if (patch.enableExecuteCommand !== undefined) task.enableExecuteCommand = patch.enableExecuteCommand;
    if (patch.platformVersion !== undefined) task.platformVersion = patch.platformVersion;
    if (patch.stoppedReason !== undefined) task.stoppedReason = patch.stoppedReason;
    if (patch.startedAt !== undefined) task.startedAt = toEpochMs(patch.startedAt);
    if (task.desiredStatus === 'STOPPED' && task.stoppingAt === undefined) task.stoppingAt = Date.now();
    if (task.lastStatus === TaskStatus.Stopped) this.notifyStopped(task);
    return task;
  }

  /**
   * Starts stopping a task as ECS does: desired STOPPED, last status DEACTIVATING, agents stop. With `final` it is
   * STOPPED at once. Either way the task's agents are gone, so open data channels lose their peer.
   */
  stopTask(taskRef: string, options: { reason?: string; final?: boolean } = {}): Task {
    const task = this.requireTask(taskRef);
    task.desiredStatus = 'STOPPED';
    task.stoppingAt = Date.now();
    task.stoppedReason = options.reason ?? 'Task stopped by user';
    task.lastStatus = options.final ? TaskStatus.Stopped : TaskStatus.Deactivating;
    for (const container of task.containers) {
      if (options.final) container.lastStatus = TaskStatus.Stopped;
      for (const agent of container.managedAgents) agent.lastStatus = AgentStatus.Stopped;
    }
    this.notifyStopped(task);
    return task;
  }

  /** Sets the `ExecuteCommandAgent` status of one container (or every container when `container` is omitted). */
  setAgentStatus(taskRef: string, status: AgentStatus, container?: string): Task {
    const task = this.requireTask(taskRef);
    for (const c of task.containers) {
      if (container !== undefined && c.name !== container) continue;
      if (c.managedAgents.length === 0) c.managedAgents.push({ name: 'ExecuteCommandAgent', lastStatus: status });
      for (const agent of c.managedAgents) agent.lastStatus = status;
    }
    return task;
  }

  /** Makes the agent of a container reachable or not by SSM (false gives TargetNotConnectedException). */
  setAgentConnected(taskRef: string, connected: boolean, container?: string): Task {
    const task = this.requireTask(taskRef);
    for (const c of task.containers) if (container === undefined || c.name === container) c.agentConnected = connected;
    return task;
  }

  onTaskStopped(listener: TaskStoppedListener): () => void {
    this.stoppedListeners.add(listener);
    return () => this.stoppedListeners.delete(listener);
  }

  private notifyStopped(task: Task): void {
    for (const listener of this.stoppedListeners) listener(task);
  }

  addKmsKey(seed: KmsKeySeed): KmsKey {
    const parsed = parseArn(seed.arn);
    const account = parsed?.account ?? this.defaultAccount;
    const region = parsed?.region ?? this.defaultRegion;
    const keyId = parsed ? parsed.resource.replace(/^key\//, '') : seed.arn;
    const key: KmsKey = {
      keyId,
      arn: `arn:aws:kms:${region}:${account}:key/${keyId}`,
      account,
      region,
      aliases: seed.aliases ?? [],
      enabled: seed.enabled ?? true,
    };
    this.keys.set(key.arn, key);
    return key;
  }

  /** Finds a key by id, key ARN, `alias/name` or alias ARN, within one account and region. */
  findKmsKey(account: string, region: string, ref: string): KmsKey | undefined {
    const parsed = parseArn(ref);
    if (parsed) {
      if (parsed.account !== account || parsed.region !== region) return undefined;
      if (parsed.resource.startsWith('alias/')) return this.findKmsKey(account, region, parsed.resource);
      return this.keys.get(ref);
    }
    for (const key of this.keys.values()) {
      if (key.account !== account || key.region !== region) continue;
      if (key.keyId === ref || key.aliases.includes(ref)) return key;
    }
    return undefined;
  }

  addRole(seed: RoleSeed): void {
    this.roles.set(seed.arn, seed);
  }

  /** Any well-formed role may be assumed unless it is seeded as denied. */
  isRoleDenied(roleArn: string): boolean {
    return this.roles.get(roleArn)?.denied === true;
  }

  /** Finds a cluster by name or ARN for a caller in `account`/`region`. */
  findCluster(account: string, region: string, ref: string): Cluster | undefined {
    if (ref.startsWith('arn:')) return this.clusters.get(ref);
    return this.clusters.get(`arn:aws:ecs:${region}:${account}:cluster/${ref}`);
  }

  listClusters(account: string, region: string): Cluster[] {
    return [...this.clusters.values()].filter((c) => c.account === account && c.region === region);
  }

  findService(cluster: Cluster, ref: string): Service | undefined {
    if (ref.startsWith('arn:')) {
      const service = this.services.get(ref);
      if (service) return service.clusterArn === cluster.clusterArn ? service : undefined;
      // Old-format service ARNs have no cluster segment.
      const name = ref.split('/').pop() ?? '';
      return this.services.get(
        `arn:aws:ecs:${cluster.region}:${cluster.account}:service/${cluster.clusterName}/${name}`,
      );
    }
    return this.services.get(`arn:aws:ecs:${cluster.region}:${cluster.account}:service/${cluster.clusterName}/${ref}`);
  }

  listServices(cluster: Cluster): Service[] {
    return [...this.services.values()].filter((s) => s.clusterArn === cluster.clusterArn);
  }

  /** Finds a task by 32-hex id or ARN within a cluster. */
  findTask(cluster: Cluster, ref: string): Task | undefined {
    const id = ref.startsWith('arn:') ? ref.split('/').pop() : ref;
    return this.tasks.get(`arn:aws:ecs:${cluster.region}:${cluster.account}:task/${cluster.clusterName}/${id}`);
  }

  listTasks(cluster: Cluster): Task[] {
    return [...this.tasks.values()].filter((t) => t.clusterArn === cluster.clusterArn);
  }

  /** Every task in every account, for the test API. */
  allTasks(): Task[] {
    return [...this.tasks.values()];
  }

  /** Finds a task by ARN, or by id anywhere in the sandbox; throws when unknown or ambiguous. */
  requireTask(ref: string): Task {
    const byArn = this.tasks.get(ref);
    if (byArn) return byArn;
    const matches = [...this.tasks.values()].filter((t) => t.taskId === ref);
    const [only] = matches;
    if (matches.length !== 1 || !only) throw new SandboxError(`No single seeded task matches "${ref}"`);
    return only;
  }

  /** Finds a cluster by ARN, or by name in the default account and region (falling back to any unique name). */
  requireCluster(ref: string): Cluster {
    const direct = this.findCluster(this.defaultAccount, this.defaultRegion, ref);
    if (direct) return direct;
    const matches = [...this.clusters.values()].filter((c) => c.clusterName === ref);
    const [only] = matches;
    if (matches.length !== 1 || !only) throw new SandboxError(`No single seeded cluster matches "${ref}"`);
    return only;
  }
}
