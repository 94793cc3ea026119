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
  /** Poll period (ms); watches of one gateway, cluster and period share one DescribeTasks per period. */
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

interface Watcher {
  taskArn: string;
  containerName: string | undefined;
  controller: AbortController;
}

/**
 * One poller per (gateway, cluster, period): however many commands run at once, each period costs one batched
 * DescribeTasks (≤ 100 tasks per call) instead of one call per run, so watching stays well inside the API budget.
 */
class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly gateway: EcsGateway,
    private readonly cluster: string,
    private readonly intervalMs: number,
    private readonly onEmpty: () => void,
  ) {}

  add(watcher: Watcher): void {
    this.watchers.add(watcher);
    this.timer ??= setTimeout(() => void this.poll(), this.intervalMs);
  }

  remove(watcher: Watcher): void {
    this.watchers.delete(watcher);
    if (this.watchers.size === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.onEmpty();
    }
  }

  private async poll(): Promise<void> {
    const arns = [...new Set([...this.watchers].map((w) => w.taskArn))];
    try {
      const { tasks } = await this.gateway.describeTasks(this.cluster, arns, { maxAgeMs: this.intervalMs / 2 });
      const byId = new Map(tasks.map((t) => [t.taskId, t]));
      const polled = new Set(arns);
      for (const watcher of this.watchers) {
        // A run that started while this poll was on the wire is not in its answer: absent is not "gone" for it.
        if (!polled.has(watcher.taskArn)) continue;
        const why = stoppingReason(byId.get(taskIdOf(watcher.taskArn)), watcher.containerName);
        if (why && !watcher.controller.signal.aborted) {
          // New requests must not be resolved to this task from a cached list that still names it.
          this.gateway.invalidate(this.cluster, watcher.taskArn);
          watcher.controller.abort(new TaskStoppingError(taskIdOf(watcher.taskArn), why));
        }
      }
    } catch {
      // A failed poll (throttled, network) must not end healthy runs; the next period tells.
    }
    this.timer = this.watchers.size > 0 ? setTimeout(() => void this.poll(), this.intervalMs) : undefined;
  }
}

const hubs = new WeakMap<EcsGateway, Map<string, WatchHub>>();

/**
 * Watches the task while a command runs, so a task that is being stopped (deployment, scale-in, crash) ends the run
 * with that reason instead of leaving it to hang until the 20-minute idle timeout.
 */
export function watchTask(options: WatchTaskOptions): TaskWatch {
  const intervalMs = options.intervalMs ?? 5_000;
  let byKey = hubs.get(options.gateway);
  if (!byKey) {
    byKey = new Map();
    hubs.set(options.gateway, byKey);
  }
  const key = `${options.cluster}\u0000${intervalMs}`;
  let hub = byKey.get(key);
  if (!hub) {
    const map = byKey;
    hub = new WatchHub(options.gateway, options.cluster, intervalMs, () => map.delete(key));
    map.set(key, hub);
  }
  const watcher: Watcher = {
    taskArn: options.taskArn,
    containerName: options.containerName,
    controller: new AbortController(),
  };
  hub.add(watcher);
  const owner = hub;
  let stopped = false;
  return {
    signal: watcher.controller.signal,
    stop() {
      if (stopped) return;
      stopped = true;
      owner.remove(watcher);
    },
  };
}
