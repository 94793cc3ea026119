import type { EcsContainer, EcsGateway, EcsTask } from '../ecs/ecs-port.js';
import { ContainerNotFoundError } from '../ecs/errors.js';
import { type ClusterSettings, chooseContainer, taskIneligibility } from '../ecs/resolve-target.js';
import {
  concurrencyFor,
  DEFAULT_FLEET_LIMITS,
  errorBudgetFor,
  type FleetLimits,
  type FleetSelection,
} from './limits.js';

/** A fan-out target: the tasks of one service, and which of them. */
export interface FleetTarget {
  cluster: ClusterSettings;
  service: string;
  container?: string;
  selection: FleetSelection;
}

/** A task the fan-out will run on, with the container chosen for it. */
export interface PlannedTask {
  taskArn: string;
  taskId: string;
  /** The first 8 characters of the id: what output lines and summaries are prefixed with. */
  shortId: string;
  container: string;
  availabilityZone?: string;
}

/** A task of the service that will not run the command, and why (never an error for the others). */
export interface SkippedTask {
  taskArn: string;
  taskId: string;
  shortId: string;
  /** A few words: `agent STOPPED`, `pending`, `exec not enabled`. */
  reason: string;
  availabilityZone?: string;
}

/** What a fan-out will do, decided before anything runs (and what an approval is bound to). */
export interface FleetPlan {
  cluster: ClusterSettings;
  service: string;
  selection: FleetSelection;
  limits: FleetLimits;
  tasks: PlannedTask[];
  skipped: SkippedTask[];
  /** Tasks running at once, resolved against the number of tasks. */
  concurrency: number;
  /** Failures tolerated; the first failure beyond it stops further starts. */
  errorBudget: number;
  /** Eligible tasks in the service; more than `tasks.length` when `--tasks N` took a subset. */
  eligible: number;
}

/** Length of the short task id shown in prefixes and summaries (as the ECS console's task lists). */
export const SHORT_ID_LENGTH = 8;

/**
 * Lists the service's tasks and decides where the command runs: every task whose exec agent is RUNNING, or N of
 * them taken round robin across availability zones (newest first within a zone), so a zone-local problem shows.
 * Tasks that cannot run it are returned as skipped. @throws EcsError when ECS cannot be read
 */
export async function planFleet(
  ecs: EcsGateway,
  target: FleetTarget,
  limits: FleetLimits = DEFAULT_FLEET_LIMITS,
): Promise<FleetPlan> {
  // Fresh lists, never the gateway's short cache: a plan made again at dispatch must see the service as it is now.
  const arns = await ecs.listTasks({ cluster: target.cluster.cluster, serviceName: target.service }, { maxAgeMs: 0 });
  const { tasks } =
    arns.length > 0 ? await ecs.describeTasks(target.cluster.cluster, arns, { maxAgeMs: 0 }) : { tasks: [] };
  const configured = target.cluster.defaultContainers?.[target.service];
  const eligible: PlannedTask[] = [];
  const skipped: SkippedTask[] = [];
  const newestFirst = [...tasks].sort(
    (a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || a.taskId.localeCompare(b.taskId),
  );
  for (const task of newestFirst) {
    const base = {
      taskArn: task.taskArn,
      taskId: task.taskId,
      shortId: task.taskId.slice(0, SHORT_ID_LENGTH),
      ...(task.availabilityZone ? { availabilityZone: task.availabilityZone } : {}),
    };
    const verdict = containerFor(task, target.container, configured);
    if (typeof verdict === 'string') skipped.push({ ...base, reason: verdict });
    else eligible.push({ ...base, container: verdict.name });
  }
  const chosen = target.selection.kind === 'all' ? eligible : spreadAcrossZones(eligible, target.selection.count);
  return {
    cluster: target.cluster,
    service: target.service,
    selection: target.selection,
    limits,
    tasks: chosen,
    skipped,
    concurrency: concurrencyFor(limits.maxConcurrency, chosen.length),
    errorBudget: errorBudgetFor(limits.maxErrors, chosen.length),
    eligible: eligible.length,
  };
}

/** The container to run in, or why the task is skipped. Ambiguity is the caller's to fix, so it is thrown. */
function containerFor(
  task: EcsTask,
  requested: string | undefined,
  configured: string | undefined,
): EcsContainer | string {
  const why = taskIneligibility(task);
  if (why) return why;
  let container: EcsContainer;
  try {
    container = chooseContainer(task, requested, configured);
  } catch (error) {
    // A task without the named container is skipped; an ambiguity is the caller's to resolve, so it is thrown.
    if (error instanceof ContainerNotFoundError) return `no container ${requested ?? configured}`;
    throw error;
  }
  const agent = container.execAgent?.lastStatus;
  if (agent !== 'RUNNING') return `agent ${agent ?? 'missing'}`;
  if (container.lastStatus !== undefined && container.lastStatus !== 'RUNNING') {
    return `container ${container.lastStatus}`;
  }
  return container;
}

/** Takes `count` tasks round robin over zones (sorted by name), keeping each zone's newest-first order. */
export function spreadAcrossZones(tasks: readonly PlannedTask[], count: number): PlannedTask[] {
  const byZone = new Map<string, PlannedTask[]>();
  for (const task of tasks) {
    const zone = task.availabilityZone ?? '';
    const list = byZone.get(zone) ?? [];
    list.push(task);
    byZone.set(zone, list);
  }
  const queues = [...byZone.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, list]) => list);
  const chosen: PlannedTask[] = [];
  for (let round = 0; chosen.length < count; round += 1) {
    let took = false;
    for (const queue of queues) {
      const next = queue[round];
      if (next && chosen.length < count) {
        chosen.push(next);
        took = true;
      }
    }
    if (!took) break;
  }
  return chosen;
}
