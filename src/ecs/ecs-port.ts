/** Status of the ECS managed agent that serves ECS Exec inside one container. */
export interface ExecAgentState {
  lastStatus: string;
  reason?: string;
}

/** One container of a task, as much as targeting and `doctor` need. */
export interface EcsContainer {
  name: string;
  /** Docker/containerd id; part of the SSM target id `ecs:<cluster>_<task>_<runtimeId>`. */
  runtimeId?: string;
  lastStatus?: string;
  /** The `ExecuteCommandAgent` managed agent; absent when the task was started without exec. */
  execAgent?: ExecAgentState;
}

/** A task as the product sees it: no SDK types leak past the adapter. */
export interface EcsTask {
  taskArn: string;
  /** The last part of the ARN (32 hex characters on current ARNs). */
  taskId: string;
  clusterArn: string;
  lastStatus: string;
  desiredStatus: string;
  /** Epoch milliseconds. */
  startedAt?: number;
  stoppedReason?: string;
  stopCode?: string;
  enableExecuteCommand: boolean;
  launchType?: string;
  platformVersion?: string;
  platformFamily?: string;
  /** `service:<name>` for service tasks. */
  group?: string;
  taskDefinitionArn?: string;
  containerInstanceArn?: string;
  /** e.g. `eu-west-1a`; fan-outs spread across zones with it. */
  availabilityZone?: string;
  /** ECS agent version on EC2, when the task's attributes carry it (`ecs.agent-version`). */
  agentVersion?: string;
  containers: EcsContainer[];
}

/** Where session logs go, as configured on the cluster. */
export interface ExecLogConfiguration {
  cloudWatchLogGroupName?: string;
  cloudWatchEncryptionEnabled?: boolean;
  s3BucketName?: string;
  s3EncryptionEnabled?: boolean;
  s3KeyPrefix?: string;
}

/** The cluster's `configuration.executeCommandConfiguration`. */
export interface ExecuteCommandConfiguration {
  kmsKeyId?: string;
  /** `NONE` | `DEFAULT` | `OVERRIDE`. */
  logging?: string;
  logConfiguration?: ExecLogConfiguration;
}

/** A cluster as `doctor` and resolution need it. */
export interface EcsCluster {
  clusterArn: string;
  clusterName: string;
  status: string;
  executeCommandConfiguration?: ExecuteCommandConfiguration;
}

/** The parts of a task definition that decide whether ECS Exec can work. */
export interface EcsTaskDefinition {
  taskDefinitionArn: string;
  pidMode?: string;
  containers: Array<{ name: string; readonlyRootFilesystem: boolean }>;
}

/** An EC2 container instance: only the agent version matters here. */
export interface EcsContainerInstance {
  containerInstanceArn: string;
  agentVersion?: string;
}

/** What `ExecuteCommand` returned: a live session that must never be requested twice. */
export interface ExecSessionHandle {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
  clusterArn: string;
  taskArn: string;
  containerName: string;
}

/** One `ExecuteCommand` request. */
export interface ExecuteCommandRequest {
  cluster: string;
  task: string;
  container: string;
  command: string;
}

/** Options for reads that may be answered from the gateway's short-lived cache. */
export interface ReadOptions {
  /** Accept a cached answer at most this old (ms); 0 forces a fresh call. */
  maxAgeMs?: number;
  /** Called with the expected wait (ms) when the read has to queue for the bot's ECS budget. */
  onQueued?: (waitMs: number) => void;
}

/** Answer of describeTasks: tasks found, and the ids or ARNs ECS reported as missing. */
export interface DescribeTasksResult {
  tasks: EcsTask[];
  missing: string[];
}

/** The ECS operations the product uses, in the product's own types. */
export interface EcsGateway {
  /**
   * Every task ARN (all pages) of the cluster, optionally of one service, with desired status RUNNING by default.
   * Identical concurrent lookups share one call, and the answer is briefly cached.
   */
  listTasks(
    query: { cluster: string; serviceName?: string; desiredStatus?: 'RUNNING' | 'STOPPED' },
    options?: ReadOptions,
  ): Promise<string[]>;
  /** Batched (≤ 100 per call), shared with a describe of the same task already on the wire, and briefly cached. */
  describeTasks(cluster: string, tasks: readonly string[], options?: ReadOptions): Promise<DescribeTasksResult>;
  describeCluster(cluster: string): Promise<EcsCluster>;
  describeTaskDefinition(taskDefinition: string): Promise<EcsTaskDefinition>;
  describeContainerInstance(cluster: string, containerInstance: string): Promise<EcsContainerInstance | undefined>;
  /** Forgets the cached task and the cached task lists that name it (it is stopping, or exec on it failed). */
  invalidate(cluster: string, taskArn: string): void;
  /** Interactive `ExecuteCommand`; retried only while the API's answer proves no session exists. */
  executeCommand(request: ExecuteCommandRequest): Promise<ExecSessionHandle>;
}

/** The last path segment of a task ARN, or the input when it is already an id. */
export function taskIdOf(taskArnOrId: string): string {
  const slash = taskArnOrId.lastIndexOf('/');
  return slash === -1 ? taskArnOrId : taskArnOrId.slice(slash + 1);
}

/** The cluster name from a cluster or task ARN, or the input when it is a plain name. */
export function clusterNameOf(clusterArnOrName: string): string {
  const match = /^arn:[^:]+:ecs:[^:]*:[^:]*:(?:cluster|task)\/([^/]+)/.exec(clusterArnOrName);
  return match?.[1] ?? clusterArnOrName;
}

/** The SSM target id of an ECS Exec session (`ecs:<cluster>_<task-id>_<runtime-id>`), used as KMS context. */
export function ssmTargetIdOf(clusterArnOrName: string, taskArn: string, runtimeId: string | undefined): string {
  return `ecs:${clusterNameOf(clusterArnOrName)}_${taskIdOf(taskArn)}_${runtimeId ?? ''}`;
}
