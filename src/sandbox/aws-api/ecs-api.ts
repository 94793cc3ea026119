import { shellQuote } from '../../shared/shell-quote.js';
import type { ExecSessionsPort } from '../exec-sessions-port.js';
import { AgentStatus, type Cluster, type Container, type Service, type Task, TaskStatus } from '../state/model.js';
import { parseArn, type SandboxState } from '../state/sandbox-state.js';
import { AwsApiError, invalidParameter } from './aws-error.js';
import type { CallContext } from './principals.js';

type Input = Record<string, unknown>;
type Handler = (input: Input, ctx: CallContext) => unknown;

/** ECS's error text when exec is not enabled on the task or its agent is not running (both give the same). */
export const EXEC_NOT_ENABLED_MESSAGE =
  'The execute command failed because execute command was not enabled when the task was run or the execute command agent isn’t running. Wait and try again or run a new task with execute command enabled and try again.';
/** ECS's error text when the agent is RUNNING but not connected to SSM. */
export const TARGET_NOT_CONNECTED_MESSAGE = 'The execute command failed due to an internal error. Try again later.';

const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

function str(input: Input, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsApiError('SerializationException', `${key} must be a string`);
  return value;
}

function stringList(input: Input, key: string): string[] {
  const value = input[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new AwsApiError('SerializationException', `${key} must be a list of strings`);
  }
  return value as string[];
}

/** Cuts a list into pages; the token is the next offset, opaque to the caller. */
function paginate<T>(items: T[], input: Input, defaultMax: number): { page: T[]; nextToken?: string } {
  const maxResults = input['maxResults'] ?? defaultMax;
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
    throw invalidParameter('maxResults must be between 1 and 100.');
  }
  const token = str(input, 'nextToken');
  let offset = 0;
  if (token !== undefined) {
    const decoded = Number(
      Buffer.from(token, 'base64url')
        .toString('utf8')
        .replace(/^offset:/, ''),
    );
    if (!Number.isInteger(decoded) || decoded < 0) throw invalidParameter('Invalid nextToken.');
    offset = decoded;
  }
  const page = items.slice(offset, offset + maxResults);
  const next = offset + maxResults;
  return next < items.length ? { page, nextToken: Buffer.from(`offset:${next}`).toString('base64url') } : { page };
}

function clusterJson(cluster: Cluster, state: SandboxState, include: string[]): Input {
  const tasks = state.listTasks(cluster);
  return {
    clusterArn: cluster.clusterArn,
    clusterName: cluster.clusterName,
    status: cluster.status,
    registeredContainerInstancesCount: 0,
    runningTasksCount: tasks.filter((t) => t.lastStatus === TaskStatus.Running).length,
    pendingTasksCount: tasks.filter((t) => t.lastStatus === TaskStatus.Pending).length,
    activeServicesCount: state.listServices(cluster).length,
    statistics: [],
    tags: [],
    settings: include.includes('SETTINGS') ? [{ name: 'containerInsights', value: 'disabled' }] : undefined,
    capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    // Like ECS, the exec configuration is only returned when asked for with include: ['CONFIGURATIONS'].
    configuration:
      include.includes('CONFIGURATIONS') && cluster.executeCommandConfiguration
        ? { executeCommandConfiguration: cluster.executeCommandConfiguration }
        : undefined,
  };
}

function serviceJson(service: Service, state: SandboxState): Input {
  const cluster = state.findCluster(service.account, service.region, service.clusterName);
  const tasks = cluster ? state.listTasks(cluster).filter((t) => t.serviceName === service.serviceName) : [];
  return {
    serviceArn: service.serviceArn,
    serviceName: service.serviceName,
    clusterArn: service.clusterArn,
    status: 'ACTIVE',
    desiredCount: service.desiredCount,
    runningCount: tasks.filter((t) => t.lastStatus === TaskStatus.Running).length,
    pendingCount: tasks.filter((t) => t.lastStatus === TaskStatus.Pending).length,
    launchType: service.launchType,
    enableExecuteCommand: service.enableExecuteCommand,
    createdAt: seconds(service.createdAt),
  };
}

function taskJson(task: Task): Input {
  return {
    taskArn: task.taskArn,
    clusterArn: task.clusterArn,
    taskDefinitionArn: task.taskDefinitionArn,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    launchType: task.launchType,
    platformVersion: task.platformVersion,
    platformFamily: task.launchType === 'FARGATE' ? 'Linux' : undefined,
    enableExecuteCommand: task.enableExecuteCommand,
    group: task.serviceName ? `service:${task.serviceName}` : 'family:standalone',
    startedBy: task.serviceName ? 'ecs-svc/1234567890123456789' : undefined,
    createdAt: seconds(task.createdAt),
    startedAt: seconds(task.startedAt),
    stoppingAt: seconds(task.stoppingAt),
    stoppedReason: task.stoppedReason,
    cpu: '256',
    memory: '512',
    version: 3,
    availabilityZone: task.availabilityZone,
    containers: task.containers.map((c) => ({
      containerArn: c.containerArn,
      taskArn: task.taskArn,
      name: c.name,
      image: c.image,
      runtimeId: c.runtimeId,
      lastStatus: c.lastStatus,
      healthStatus: 'UNKNOWN',
      managedAgents: c.managedAgents.map((a) => ({
        name: a.name,
        lastStatus: a.lastStatus,
        lastStartedAt: seconds(a.lastStartedAt),
      })),
    })),
    attributes: task.agentVersion ? [{ name: 'ecs.agent-version', value: task.agentVersion }] : undefined,
  };
}

/**
 * The agent starts commands with the container's environment: the sandbox, running them on this machine, passes
 * it through `env` so seeded tasks can differ (one with a full disk, one with a stale config).
 */
function withEnvironment(container: Container, command: string): string {
  const entries = Object.entries(container.environment);
  if (entries.length === 0) return command;
  return `env ${entries.map(([name, value]) => shellQuote(`${name}=${value}`)).join(' ')} ${command}`;
}

/** A task whose host is lost: it stops, final, while a session on it may still run. */
function vanishLater(state: SandboxState, task: Task, afterMs: number): void {
  setTimeout(() => {
    if (task.lastStatus === TaskStatus.Running) {
      state.stopTask(task.taskArn, { final: true, reason: 'Task stopped: its host was lost' });
    }
  }, afterMs).unref();
}

/** The ECS subset of the sandbox: X-Amz-Target `AmazonEC2ContainerServiceV20141113.<Operation>`. */
export function createEcsHandlers(state: SandboxState, sessions: ExecSessionsPort): Record<string, Handler> {
  const resolveCluster = (ctx: CallContext, operation: string, ref: string | undefined): Cluster => {
    const name = ref ?? 'default';
    const arn = parseArn(name);
    if (arn && arn.account !== ctx.principal.account) {
      throw new AwsApiError(
        'AccessDeniedException',
        `User: ${ctx.principal.arn} is not authorized to perform: ecs:${operation} on resource: ${name} because no identity-based policy allows the ecs:${operation} action`,
      );
    }
    const cluster =
      arn && arn.region !== ctx.region ? undefined : state.findCluster(ctx.principal.account, ctx.region, name);
    if (cluster?.status !== 'ACTIVE') throw new AwsApiError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  };

  return {
    ListClusters: (input, ctx) => {
      const { page, nextToken } = paginate(
        state.listClusters(ctx.principal.account, ctx.region).map((c) => c.clusterArn),
        input,
        100,
      );
      return { clusterArns: page, nextToken };
    },

    DescribeClusters: (input, ctx) => {
      const refs = stringList(input, 'clusters');
      const include = stringList(input, 'include');
      const wanted = refs.length === 0 ? ['default'] : refs;
      if (wanted.length > 100) throw invalidParameter('Clusters cannot have more than 100 elements.');
      const clusters: Input[] = [];
      const failures: Input[] = [];
      for (const ref of wanted) {
        const cluster = state.findCluster(ctx.principal.account, ctx.region, ref);
        if (cluster) clusters.push(clusterJson(cluster, state, include));
        else
          failures.push({
            arn: ref.startsWith('arn:') ? ref : `arn:aws:ecs:${ctx.region}:${ctx.principal.account}:cluster/${ref}`,
            reason: 'MISSING',
          });
      }
      return { clusters, failures };
    },

    ListServices: (input, ctx) => {
      const cluster = resolveCluster(ctx, 'ListServices', str(input, 'cluster'));
      const launchType = str(input, 'launchType');
      const arns = state
        .listServices(cluster)
        .filter((s) => launchType === undefined || s.launchType === launchType)
        .map((s) => s.serviceArn);
      const { page, nextToken } = paginate(arns, input, 10);
      return { serviceArns: page, nextToken };
    },

    DescribeServices: (input, ctx) => {
      const cluster = resolveCluster(ctx, 'DescribeServices', str(input, 'cluster'));
      const refs = stringList(input, 'services');
      if (refs.length === 0) throw invalidParameter('Services cannot be empty.');
      if (refs.length > 10) throw invalidParameter('Services cannot have more than 10 elements.');
      const services: Input[] = [];
      const failures: Input[] = [];
      for (const ref of refs) {
        const service = state.findService(cluster, ref);
        if (service) services.push(serviceJson(service, state));
        else failures.push({ arn: ref, reason: 'MISSING' });
      }
      return { services, failures };
    },

    ListTasks: (input, ctx) => {
      const cluster = resolveCluster(ctx, 'ListTasks', str(input, 'cluster'));
      const serviceName = str(input, 'serviceName');
      const desiredStatus = str(input, 'desiredStatus') ?? 'RUNNING';
      const family = str(input, 'family');
      const launchType = str(input, 'launchType');
      const startedBy = str(input, 'startedBy');
      if (!['RUNNING', 'PENDING', 'STOPPED'].includes(desiredStatus)) {
        throw invalidParameter(`Invalid desiredStatus: ${desiredStatus}`);
      }
      let service: Service | undefined;
      if (serviceName !== undefined) {
        service = state.findService(cluster, serviceName);
        if (!service) throw new AwsApiError('ServiceNotFoundException', 'Service not found.');
      }
      const arns = state
        .listTasks(cluster)
        .filter((t) => service === undefined || t.serviceName === service.serviceName)
        .filter((t) => t.desiredStatus === desiredStatus)
        .filter((t) => family === undefined || t.family === family)
        .filter((t) => launchType === undefined || t.launchType === launchType)
        .filter((t) => startedBy === undefined || (t.serviceName !== undefined && startedBy.startsWith('ecs-svc')))
        .map((t) => t.taskArn);
      const { page, nextToken } = paginate(arns, input, 100);
      return { taskArns: page, nextToken };
    },

    DescribeTasks: (input, ctx) => {
      const cluster = resolveCluster(ctx, 'DescribeTasks', str(input, 'cluster'));
      const refs = stringList(input, 'tasks');
      if (refs.length === 0) throw invalidParameter('Tasks cannot be empty.');
      if (refs.length > 100) throw invalidParameter('Tasks cannot have more than 100 elements.');
      const tasks: Input[] = [];
      const failures: Input[] = [];
      for (const ref of refs) {
        const task = state.findTask(cluster, ref);
        if (task) tasks.push(taskJson(task));
        else
          failures.push({
            arn: ref.startsWith('arn:') ? ref : `${cluster.clusterArn.replace(':cluster/', ':task/')}/${ref}`,
            reason: 'MISSING',
          });
      }
      return { tasks, failures };
    },

    DescribeTaskDefinition: (input, ctx) => {
      const ref = str(input, 'taskDefinition');
      if (!ref) throw invalidParameter('Task Definition can not be blank.');
      const familyRevision = ref.startsWith('arn:') ? (ref.split('/').pop() ?? '') : ref;
      const [family, revisionText] = familyRevision.split(':');
      const candidates = state
        .allTasks()
        .filter((t) => t.account === ctx.principal.account && t.region === ctx.region && t.family === family)
        .filter((t) => revisionText === undefined || String(t.revision) === revisionText)
        .sort((a, b) => b.revision - a.revision);
      const task = candidates[0];
      if (!task) throw new AwsApiError('ClientException', 'Unable to describe task definition.');
      return {
        taskDefinition: {
          taskDefinitionArn: task.taskDefinitionArn,
          family: task.family,
          revision: task.revision,
          status: 'ACTIVE',
          networkMode: task.launchType === 'FARGATE' ? 'awsvpc' : 'bridge',
          requiresCompatibilities: [task.launchType],
          pidMode: task.pidMode,
          cpu: '256',
          memory: '512',
          taskRoleArn: `arn:aws:iam::${task.account}:role/${task.family}-task`,
          containerDefinitions: task.containers.map((c) => ({
            name: c.name,
            image: c.image,
            essential: true,
            readonlyRootFilesystem: c.readonlyRootFilesystem,
          })),
        },
        tags: [],
      };
    },

    ExecuteCommand: (input, ctx) => {
      const command = str(input, 'command');
      const taskRef = str(input, 'task');
      if (!command) throw invalidParameter('Command can not be blank.');
      if (!taskRef) throw invalidParameter('Task can not be blank.');
      if (input['interactive'] !== true) throw invalidParameter('Interactive is the only mode supported currently.');
      const cluster = resolveCluster(ctx, 'ExecuteCommand', str(input, 'cluster'));
      const task = state.findTask(cluster, taskRef);
      if (!task) throw invalidParameter('The specified task was not found.');
      const containerName = str(input, 'container');
      const container =
        containerName === undefined
          ? task.containers.length === 1
            ? task.containers[0]
            : undefined
          : task.containers.find((c) => c.name === containerName);
      if (!container) {
        throw invalidParameter(
          containerName === undefined
            ? 'The container name must be specified when the task has more than one container.'
            : `The container ${containerName} was not found in the task.`,
        );
      }
      if (task.lastStatus !== TaskStatus.Running || task.desiredStatus === 'STOPPED') {
        throw invalidParameter('The execute command failed because the task is not in a RUNNING state.');
      }
      const agent = container.managedAgents.find((a) => a.name === 'ExecuteCommandAgent');
      if (!task.enableExecuteCommand || !agent || agent.lastStatus !== AgentStatus.Running) {
        throw invalidParameter(EXEC_NOT_ENABLED_MESSAGE);
      }
      if (!container.agentConnected) throw new AwsApiError('TargetNotConnectedException', TARGET_NOT_CONNECTED_MESSAGE);
      const session = sessions.open({ cluster, task, container, command: withEnvironment(container, command) });
      if (task.vanishAfterExecMs !== undefined) vanishLater(state, task, task.vanishAfterExecMs);
      return {
        clusterArn: cluster.clusterArn,
        containerArn: container.containerArn,
        containerName: container.name,
        interactive: true,
        session,
        taskArn: task.taskArn,
      };
    },
  };
}
