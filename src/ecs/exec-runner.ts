import type { EcsGateway } from './ecs-port.js';
import { ssmTargetIdOf } from './ecs-port.js';
import { TaskStoppingError } from './errors.js';
import { type ClusterSettings, type ResolvedTarget, resolveTarget, type TargetRequest } from './resolve-target.js';
import { watchTask } from './task-watcher.js';

/** How a run ended; `completed` means the remote process exited (its code may still be unknown without a wrap). */
export type RunOutcome = 'completed' | 'timed_out' | 'cancelled' | 'interrupted' | 'failed';

/** What the data-channel session reports back. */
export interface SessionRunResult {
  outcome: RunOutcome;
  exitCode: number | null | undefined;
  reason?: string | undefined;
  outputBytes: number;
}

/** What the data-channel session needs; control and kms are the SSM and KMS ports, passed through untouched. */
export interface SessionRunParams<Control, Kms> {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
  targetId: string;
  control: Control;
  kms: Kms;
  onOutput: (chunk: Uint8Array) => void;
  exitMarker?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The engine pieces a run needs, all built for the target cluster's region and the requester's identity. */
export interface ExecRunnerDeps<Control, Kms> {
  ecs: EcsGateway;
  control: Control;
  kms: Kms;
  runSession: (params: SessionRunParams<Control, Kms>) => Promise<SessionRunResult>;
  wrapCommand: (command: string, shell: string) => { command: string; marker: string };
  /** Poll period of the task watcher (ms). */
  watchIntervalMs?: number;
}

/** One run: where, what, and how long. */
export interface ExecRunRequest {
  target: TargetRequest;
  cluster: ClusterSettings;
  /** The command text as the user wrote it. */
  command: string;
  /** Run without the exit-code wrapper (the exit code is then unknown). Also implied by `shell: none`. */
  noWrap?: boolean;
  timeoutMs?: number;
  onOutput: (chunk: Uint8Array) => void;
  /** Called once the task and container are known and prechecked, before ExecuteCommand. */
  onResolved?: (target: ResolvedTarget) => void;
  signal?: AbortSignal;
}

/** The end of a run. `exitCode` is null when it is unknown (no wrap, or the run did not complete). */
export interface ExecRunResult {
  outcome: RunOutcome;
  exitCode: number | null;
  reason?: string;
  target: ResolvedTarget;
  sessionId: string;
  bytes: number;
}

/**
 * The one entry point for running a command: resolve → precheck → ExecuteCommand → data channel, with the task
 * watched so a stopping task ends the run with that reason. Everything that fails before a session exists throws
 * an EcsError (nothing ran); once a session exists the result says how it ended.
 */
export async function runInContainer<Control, Kms>(
  deps: ExecRunnerDeps<Control, Kms>,
  request: ExecRunRequest,
): Promise<ExecRunResult> {
  request.signal?.throwIfAborted();
  const target = await resolveTarget(deps.ecs, request.target, request.cluster);
  request.onResolved?.(target);
  request.signal?.throwIfAborted();

  const wrap = !request.noWrap && request.cluster.shell !== 'none';
  const wrapped = wrap ? deps.wrapCommand(request.command, request.cluster.shell) : undefined;
  const session = await deps.ecs.executeCommand({
    cluster: request.cluster.cluster,
    task: target.task.taskArn,
    container: target.container.name,
    command: wrapped?.command ?? request.command,
  });

  const watch = watchTask({
    gateway: deps.ecs,
    cluster: request.cluster.cluster,
    taskArn: target.task.taskArn,
    containerName: target.container.name,
    ...(deps.watchIntervalMs !== undefined ? { intervalMs: deps.watchIntervalMs } : {}),
  });
  const signal = request.signal ? AbortSignal.any([request.signal, watch.signal]) : watch.signal;
  try {
    const result = await deps.runSession({
      sessionId: session.sessionId,
      streamUrl: session.streamUrl,
      tokenValue: session.tokenValue,
      targetId: ssmTargetIdOf(session.clusterArn, session.taskArn, target.container.runtimeId),
      control: deps.control,
      kms: deps.kms,
      onOutput: request.onOutput,
      ...(wrapped ? { exitMarker: wrapped.marker } : {}),
      signal,
      ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
    });
    const stopping = watch.signal.aborted && !request.signal?.aborted && result.outcome !== 'completed';
    const reason = stopping ? stoppingText(watch.signal.reason) : result.reason;
    return {
      outcome: stopping ? 'interrupted' : result.outcome,
      exitCode: result.outcome === 'completed' && typeof result.exitCode === 'number' ? result.exitCode : null,
      ...(reason ? { reason } : {}),
      target,
      sessionId: session.sessionId,
      bytes: result.outputBytes,
    };
  } finally {
    watch.stop();
  }
}

function stoppingText(reason: unknown): string {
  if (reason instanceof TaskStoppingError) return reason.userMessage ?? reason.message;
  return reason instanceof Error ? reason.message : 'the task is stopping';
}
