import type { EcsGateway, EcsTask } from './ecs-port.js';
import { taskIdOf } from './ecs-port.js';
import { TaskStoppingError } from './errors.js';

/** A running watch: `signal` aborts (with a TaskStoppingError as reason) when the task starts stopping. */
export interface TaskWatch {
  readonly signal: AbortSignal;
  stop(): void;
}

/** What to watch and how often. */
export interface WatchTaskOptions {
  gateway: EcsGateway;
  cluster: string;
  taskArn: string;
  containerName?: string;
  /** Poll period; describes younger than this are served from the gateway's shared cache. */
  intervalMs?: number;
}

/** Why a task can no longer run a command, or undefined while it still can. */
export function stoppingReason(task: EcsTask | undefined, containerName?: string): string | undefined {
  if (!task) return 'the task is gone';
  if (
    task.desiredStatus === 'STOPPED' ||
    ['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'].includes(task.lastStatus)
  ) {
    const status = task.lastStatus === 'RUNNING' ? 'stopping' : task.lastStatus.toLowerCase();
    return task.stoppedReason ? `${status}: ${task.stoppedReason}` : status;
  }
  const container = containerName ? task.containers.find((c) => c.name === containerName) : undefined;
  if (container?.lastStatus === 'STOPPED') return `container ${container.name} stopped`;
  return undefined;
}

/**
 * Polls the task while a command runs, so a task that is being stopped (deployment, scale-in, crash) ends the run
 * with that reason instead of leaving it to hang until the 20-minute idle timeout. Failed polls are ignored: a
 * throttled DescribeTasks must not end a healthy run.
 */
export function watchTask(options: WatchTaskOptions): TaskWatch {
  const controller = new AbortController();
  const intervalMs = options.intervalMs ?? 5_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const poll = async (): Promise<void> => {
    try {
      const { tasks } = await options.gateway.describeTasks(options.cluster, [options.taskArn], {
        maxAgeMs: intervalMs,
      });
      const why = stoppingReason(tasks[0], options.containerName);
      if (why && !stopped) controller.abort(new TaskStoppingError(taskIdOf(options.taskArn), why));
    } catch {
      // Next poll will tell; see the function's comment.
    }
    if (!stopped && !controller.signal.aborted) timer = setTimeout(() => void poll(), intervalMs);
  };
  timer = setTimeout(() => void poll(), intervalMs);

  return {
    signal: controller.signal,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
