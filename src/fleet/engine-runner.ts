import type { ExecEngine } from '../ecs/exec-engine.js';
import type { Requester } from '../ecs/identity.js';
import type { ClusterSettings } from '../ecs/resolve-target.js';
import type { FleetTaskRunner } from './fan-out.js';

/**
 * A fan-out's per-task runner over the bot's single-task engine: each planned task runs as one approved run of that
 * exact task and container, so the fan-out shares the engine's budget, watcher and session handling.
 */
export function fleetRunnerFor(
  engine: ExecEngine,
  run: {
    cluster: ClusterSettings;
    command: string;
    requester: Requester;
    timeoutMs?: number;
    onSession?: (taskArn: string, sessionId: string) => void;
  },
): FleetTaskRunner {
  return (task, io) =>
    engine.run({
      cluster: run.cluster,
      taskArn: task.taskArn,
      container: task.container,
      command: run.command,
      requester: run.requester,
      ...(run.timeoutMs !== undefined ? { timeoutMs: run.timeoutMs } : {}),
      ...(run.onSession ? { onSession: (sessionId: string) => run.onSession?.(task.taskArn, sessionId) } : {}),
      onOutput: io.onOutput,
      signal: io.signal,
    });
}
