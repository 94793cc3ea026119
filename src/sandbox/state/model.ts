/**
 * The sandbox's picture of AWS: accounts, ECS clusters, services, tasks, task definitions, KMS keys and IAM roles.
 * Seeds use these shapes with most fields optional; `SandboxState` fills in what ECS would.
 */

/** Values ECS uses for a task's or container's lifecycle. */
export const TaskStatus = {
  Provisioning: 'PROVISIONING',
  Pending: 'PENDING',
  Activating: 'ACTIVATING',
  Running: 'RUNNING',
  Deactivating: 'DEACTIVATING',
  Stopping: 'STOPPING',
  Deprovisioning: 'DEPROVISIONING',
  Stopped: 'STOPPED',
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

/** Values ECS reports for the `ExecuteCommandAgent` managed agent. */
export const AgentStatus = {
  Pending: 'PENDING',
  Running: 'RUNNING',
  Stopped: 'STOPPED',
} as const;
export type AgentStatus = (typeof AgentStatus)[keyof typeof AgentStatus];

/** `executeCommandConfiguration` of a cluster, as ECS returns it under `configuration`. */
export interface ExecuteCommandConfiguration {
  kmsKeyId?: string;
  logging?: 'NONE' | 'DEFAULT' | 'OVERRIDE';
  logConfiguration?: {
    cloudWatchLogGroupName?: string;
    cloudWatchEncryptionEnabled?: boolean;
    s3BucketName?: string;
    s3EncryptionEnabled?: boolean;
    s3KeyPrefix?: string;
  };
}

export interface ContainerSeed {
  name: string;
  image?: string;
  lastStatus?: TaskStatus;
  /** `lastStatus` of the container's `ExecuteCommandAgent`; omit the agent entirely with `null`. */
  agentStatus?: AgentStatus | null;
  /** False: ECS says the agent is RUNNING but it never reached SSM (ExecuteCommand gives TargetNotConnectedException). */
  agentConnected?: boolean;
  runtimeId?: string;
  readonlyRootFilesystem?: boolean;
  /** The container's environment variables, as its task definition would set them; commands see them. */
  environment?: Record<string, string>;
}

export interface TaskSeed {
  /** 32 hex characters; generated when omitted. */
  id?: string;
  cluster: string;
  service?: string;
  /** Task definition family:revision; defaults to the service name (or `standalone`) at revision 1. */
  taskDefinition?: string;
  lastStatus?: TaskStatus;
  desiredStatus?: 'RUNNING' | 'PENDING' | 'STOPPED';
  launchType?: 'FARGATE' | 'EC2' | 'EXTERNAL';
  platformVersion?: string;
  enableExecuteCommand?: boolean;
  /** ISO time or epoch ms; defaults to "now" minus the task's position so newer seeds start later. */
  startedAt?: string | number;
  stoppedReason?: string;
  containers?: ContainerSeed[];
  pidMode?: 'task' | 'host';
  /** Agent version for EC2 tasks (the doctor checks it). */
  agentVersion?: string;
  /** Availability zone; defaults to the region's `a` zone. */
  availabilityZone?: string;
  /**
   * The task stops on its own this many ms after ExecuteCommand opens a session on it (its host is lost), so a
   * run on it loses its task mid-way.
   */
  vanishAfterExecMs?: number;
}

export interface ServiceSeed {
  name: string;
  cluster: string;
  launchType?: 'FARGATE' | 'EC2' | 'EXTERNAL';
  enableExecuteCommand?: boolean;
  desiredCount?: number;
}

export interface ClusterSeed {
  name: string;
  /** Defaults to the sandbox's default account and region. */
  account?: string;
  region?: string;
  executeCommandConfiguration?: ExecuteCommandConfiguration;
  status?: 'ACTIVE' | 'INACTIVE';
}

export interface KmsKeySeed {
  /** Key ARN, or a bare key id (then account and region default). */
  arn: string;
  aliases?: string[];
  enabled?: boolean;
}

export interface RoleSeed {
  arn: string;
  /** Callers are refused with AccessDenied. */
  denied?: boolean;
}

/** Everything a sandbox starts with. */
export interface SandboxSeed {
  defaultAccount?: string;
  defaultRegion?: string;
  clusters?: ClusterSeed[];
  services?: ServiceSeed[];
  tasks?: TaskSeed[];
  kmsKeys?: KmsKeySeed[];
  roles?: RoleSeed[];
}

export interface ManagedAgent {
  name: 'ExecuteCommandAgent';
  lastStatus: AgentStatus;
  lastStartedAt?: number;
}

export interface Container {
  containerArn: string;
  name: string;
  image: string;
  runtimeId: string;
  lastStatus: TaskStatus;
  managedAgents: ManagedAgent[];
  agentConnected: boolean;
  readonlyRootFilesystem: boolean;
  environment: Record<string, string>;
}

export interface Task {
  taskId: string;
  taskArn: string;
  clusterArn: string;
  clusterName: string;
  account: string;
  region: string;
  serviceName: string | undefined;
  taskDefinitionArn: string;
  family: string;
  revision: number;
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'PENDING' | 'STOPPED';
  launchType: 'FARGATE' | 'EC2' | 'EXTERNAL';
  platformVersion: string | undefined;
  enableExecuteCommand: boolean;
  createdAt: number;
  startedAt: number | undefined;
  stoppingAt: number | undefined;
  stoppedReason: string | undefined;
  containers: Container[];
  pidMode: 'task' | 'host' | undefined;
  agentVersion: string | undefined;
  availabilityZone: string;
  vanishAfterExecMs: number | undefined;
}

export interface Service {
  serviceArn: string;
  serviceName: string;
  clusterArn: string;
  clusterName: string;
  account: string;
  region: string;
  launchType: 'FARGATE' | 'EC2' | 'EXTERNAL';
  enableExecuteCommand: boolean;
  desiredCount: number;
  createdAt: number;
}

export interface Cluster {
  clusterArn: string;
  clusterName: string;
  account: string;
  region: string;
  status: 'ACTIVE' | 'INACTIVE';
  executeCommandConfiguration: ExecuteCommandConfiguration | undefined;
}

export interface KmsKey {
  keyId: string;
  arn: string;
  account: string;
  region: string;
  aliases: string[];
  enabled: boolean;
}
