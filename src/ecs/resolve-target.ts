import { isEcsName, isTaskId, parseTaskArn } from '../shared/ecs-target.js';
import type { EcsContainer, EcsGateway, EcsTask, ReadOptions } from './ecs-port.js';
import { taskIdOf } from './ecs-port.js';
import {
  AmbiguousContainerError,
  ContainerNotFoundError,
  ForeignTaskArnError,
  MalformedTargetError,
  NoEligibleTaskError,
  PRECHECKS,
  PrecheckFailedError,
  TaskNotFoundError,
  UnknownClusterError,
} from './errors.js';
import { placeOfCluster } from './task-arn.js';

/** Where a command should run, as written (same shape as the Slack parser's TargetSpec). */
export type TargetRequest =
  | { kind: 'service'; cluster: string; service: string; container?: string }
  | { kind: 'task'; cluster: string; taskId: string; container?: string }
  | {
      kind: 'task-arn';
      taskArn: string;
      cluster: string;
      taskId: string;
      partition?: string;
      region?: string;
      account?: string;
      container?: string;
    };

/** What the product knows about one cluster alias (from the config, or built from CLI flags). */
export interface ClusterSettings {
  /** The name people type. */
  alias: string;
  /** Cluster name or ARN sent to ECS. */
  cluster: string;
  region?: string;
  roleArn?: string;
  /** Shell that wraps commands to recover the exit code; `none` runs them as given. */
  shell: string;
  /** Per-service default container. */
  defaultContainers?: Readonly<Record<string, string>>;
}

/** A resolved, prechecked target: the exact task and container a command will run in. */
export interface PrecheckedTarget {
  cluster: ClusterSettings;
  task: EcsTask;
  container: EcsContainer;
  /** The service the task was chosen from, when the request named one. */
  service?: string;
}

/**
 * Builds a target from the CLI's flags: `--task` may be an id or an ARN, `--service` a name. Malformed input is
 * refused here, before anything is called.
 */
export function targetFromFlags(flags: {
  cluster: string;
  service?: string | undefined;
  task?: string | undefined;
  container?: string | undefined;
}): TargetRequest {
  const container = flags.container ? { container: flags.container } : {};
  if (flags.container !== undefined && !isEcsName(flags.container)) {
    throw new MalformedTargetError(flags.container, 'a container name is letters, digits, - and _');
  }
  if (flags.task !== undefined) {
    const arn = parseTaskArn(flags.task);
    if (arn) return { kind: 'task-arn', ...arn, ...container };
    if (!isTaskId(flags.task)) {
      throw new MalformedTargetError(flags.task, 'a task id is 32 hexadecimal characters (or a task ARN)');
    }
    return { kind: 'task', cluster: flags.cluster, taskId: flags.task, ...container };
  }
  if (flags.service === undefined || !isEcsName(flags.service)) {
    throw new MalformedTargetError(flags.service ?? '', 'a service name is letters, digits, - and _');
  }
  return { kind: 'service', cluster: flags.cluster, service: flags.service, ...container };
}

/** Finds the cluster settings for an alias; a task ARN may also name the cluster directly. */
export function clusterFor(
  target: TargetRequest,
  clusters: Readonly<Record<string, ClusterSettings>>,
): ClusterSettings {
  if (target.kind !== 'task-arn') {
    const byAlias = clusters[target.cluster];
    if (byAlias) return byAlias;
  } else {
    // The ARN names the real cluster; accept it only when the config knows that very cluster under some alias
    // (same name, and the same region and account where the config says them).
    const known = Object.values(clusters).find((c) => sameCluster(c, target));
    if (known) return known;
  }
  throw new UnknownClusterError(target.cluster, Object.keys(clusters));
}

function sameCluster(settings: ClusterSettings, target: Extract<TargetRequest, { kind: 'task-arn' }>): boolean {
  const name = settings.cluster.startsWith('arn:')
    ? settings.cluster.slice(settings.cluster.lastIndexOf('/') + 1)
    : settings.cluster;
  if (name !== target.cluster) return false;
  // Every part of the ARN's place that the config states must agree: partition, account and region.
  const place = placeOfCluster(settings);
  const typed = { partition: target.partition, region: target.region, account: target.account };
  return (['partition', 'account', 'region'] as const).every(
    (part) => typed[part] === undefined || place[part] === undefined || typed[part] === place[part],
  );
}

/** Why a task cannot take a command now, in a few words; undefined when it can. */
export function taskIneligibility(task: EcsTask): string | undefined {
  if (task.desiredStatus === 'STOPPED') return 'stopping';
  if (task.lastStatus !== 'RUNNING') return `${task.lastStatus.toLowerCase()}`;
  if (!task.enableExecuteCommand) return 'exec not enabled';
  return undefined;
}

/** The containers of a task whose exec agent is RUNNING. */
export function execReadyContainers(task: EcsTask): EcsContainer[] {
  return task.containers.filter((c) => c.execAgent?.lastStatus === 'RUNNING' && c.lastStatus !== 'STOPPED');
}

/**
 * Picks the container: the one asked for, else the configured default for the service, else the only one.
 * Sidecars without an exec agent do not count as choices; with several candidates the caller must pick.
 */
export function chooseContainer(task: EcsTask, requested?: string, configuredDefault?: string): EcsContainer {
  const names = task.containers.map((c) => c.name);
  const wanted = requested ?? configuredDefault;
  if (wanted !== undefined) {
    const found = task.containers.find((c) => c.name === wanted);
    if (!found) throw new ContainerNotFoundError(wanted, task.taskId, names);
    return found;
  }
  if (task.containers.length === 1 && task.containers[0]) return task.containers[0];
  const ready = execReadyContainers(task);
  if (ready.length === 1 && ready[0]) return ready[0];
  const choices = ready.length > 1 ? ready.map((c) => c.name) : names;
  throw new AmbiguousContainerError(task.taskArn, choices);
}

/**
 * Chooses a service's task: RUNNING, not stopping, exec enabled, the target container's agent RUNNING, newest
 * started first. When none qualifies the error says what was found instead (e.g. "1 stopping, 1 agent PENDING").
 */
export function chooseServiceTask(
  tasks: readonly EcsTask[],
  service: string,
  clusterLabel: string,
  requested?: string,
  configuredDefault?: string,
): { task: EcsTask; container: EcsContainer } {
  const newestFirst = [...tasks].sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0));
  const reasons = new Map<string, number>();
  const note = (reason: string): void => {
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  };
  let ambiguity: AmbiguousContainerError | undefined;
  for (const task of newestFirst) {
    const why = taskIneligibility(task);
    if (why) {
      note(why);
      continue;
    }
    let container: EcsContainer;
    try {
      container = chooseContainer(task, requested, configuredDefault);
    } catch (error) {
      // An ambiguity is about the service, not this task: report it rather than silently trying an older task.
      if (error instanceof AmbiguousContainerError) {
        ambiguity ??= error;
        continue;
      }
      throw error;
    }
    const agent = container.execAgent?.lastStatus;
    if (agent !== 'RUNNING') {
      note(`agent ${agent ?? 'missing'}`);
      continue;
    }
    return { task, container };
  }
  if (ambiguity) throw ambiguity;
  const detail =
    tasks.length === 0
      ? 'no running tasks'
      : `${tasks.length} task${tasks.length === 1 ? '' : 's'}: ${[...reasons].map(([r, n]) => `${n} ${r}`).join(', ')}`;
  throw new NoEligibleTaskError(service, clusterLabel, detail);
}

/**
 * The checks that must hold before ExecuteCommand, in order, each failing with what to do about it. Returning
 * normally means the call has every chance of working.
 */
export function precheck(task: EcsTask, container: EcsContainer): void {
  if (task.desiredStatus === 'STOPPED' || task.lastStatus !== 'RUNNING') {
    throw new PrecheckFailedError(
      PRECHECKS.taskRunning,
      `task ${task.taskId} is ${task.lastStatus} (desired ${task.desiredStatus})`,
      `Task ${task.taskId} is not running (it is ${task.lastStatus.toLowerCase()}` +
        `${task.desiredStatus === 'STOPPED' && task.lastStatus === 'RUNNING' ? ' and stopping' : ''}` +
        `${task.stoppedReason ? `: ${task.stoppedReason}` : ''}). Fix: pick a running task, or name the service to let me choose one.`,
    );
  }
  if (!task.enableExecuteCommand) {
    throw new PrecheckFailedError(
      PRECHECKS.execEnabled,
      `task ${task.taskId} has enableExecuteCommand=false`,
      `Task ${task.taskId} was started without ECS Exec. Fix: update the service with --enable-execute-command ` +
        'and force a new deployment; running tasks cannot be switched on.',
    );
  }
  if (container.lastStatus !== undefined && container.lastStatus !== 'RUNNING') {
    throw new PrecheckFailedError(
      PRECHECKS.containerRunning,
      `container ${container.name} is ${container.lastStatus}`,
      `Container ${container.name} in task ${task.taskId} is ${container.lastStatus.toLowerCase()}, not running. ` +
        'Fix: pick another container or wait for it to start.',
    );
  }
  const agent = container.execAgent?.lastStatus;
  if (agent !== 'RUNNING') {
    throw new PrecheckFailedError(
      PRECHECKS.agentRunning,
      `exec agent of ${container.name} is ${agent ?? 'missing'}`,
      agent === undefined
        ? `Container ${container.name} has no exec agent. Fix: the task must be started with enableExecuteCommand ` +
            '(and on EC2 an ECS agent ≥ 1.50.2).'
        : `The exec agent in container ${container.name} is ${agent}, not RUNNING${container.execAgent?.reason ? ` (${container.execAgent.reason})` : ''}. ` +
            'Fix: wait a few seconds after the task starts; if it stays so, run `ecs-exec doctor` (task role ' +
            'ssmmessages permissions, VPC endpoints, read-only root filesystem).',
    );
  }
}

/**
 * Resolves a target against ECS through the port: alias → cluster, service → its best task, task id → that task,
 * then container choice and prechecks. Throws an EcsError with a plain-language fix at the first problem.
 *
 * Reads may be answered from the gateway's few-second cache (so a burst of requests for one target costs one
 * lookup); a run about to call ExecuteCommand passes `maxAgeMs: 0` to look at the task as it is now.
 */
export async function resolveTarget(
  gateway: EcsGateway,
  target: TargetRequest,
  cluster: ClusterSettings,
  read: ReadOptions = {},
): Promise<PrecheckedTarget> {
  if (target.kind === 'service') {
    const arns = await gateway.listTasks({ cluster: cluster.cluster, serviceName: target.service }, read);
    const { tasks } = arns.length > 0 ? await gateway.describeTasks(cluster.cluster, arns, read) : { tasks: [] };
    const chosen = chooseServiceTask(
      tasks,
      target.service,
      cluster.alias,
      target.container,
      cluster.defaultContainers?.[target.service],
    );
    precheck(chosen.task, chosen.container);
    return { cluster, task: chosen.task, container: chosen.container, service: target.service };
  }
  const ref = target.kind === 'task-arn' ? target.taskArn : target.taskId;
  const { tasks } = await gateway.describeTasks(cluster.cluster, [ref], read);
  const task = tasks[0];
  if (!task) throw new TaskNotFoundError(taskIdOf(ref), cluster.alias);
  // ECS answers for a task id within the configured cluster; a typed ARN must be that very task, not a namesake in
  // another account, partition or region.
  if (target.kind === 'task-arn' && task.taskArn !== target.taskArn) {
    throw new ForeignTaskArnError(target.taskArn, cluster.alias, task.taskArn);
  }
  const service = task.group?.startsWith('service:') ? task.group.slice('service:'.length) : undefined;
  const container = chooseContainer(task, target.container, service ? cluster.defaultContainers?.[service] : undefined);
  precheck(task, container);
  return { cluster, task, container, ...(service ? { service } : {}) };
}
