import type { TerminalSize } from '../ssm/codec/payloads.js';
import {
  type ExecOutcome,
  type ExecSessionParams,
  type ExecSessionResult,
  type KmsPort,
  runExecSession,
  type SessionControl,
  type SsmControlPort,
} from '../ssm/exec-session.js';

import type { EcsGateway } from './ecs-port.js';
import { ssmTargetIdOf } from './ecs-port.js';
import { TaskStoppingError } from './errors.js';
import { prepareCommand, wrapperOutputFilter } from './exit-code.js';
import { type ClusterSettings, type PrecheckedTarget, resolveTarget, type TargetRequest } from './resolve-target.js';
import { watchTask } from './task-watcher.js';

/** The engine pieces a run needs, all built for the target cluster's region and the requester's identity. */
export interface ExecRunnerDeps {
  ecs: EcsGateway;
  control: SsmControlPort;
  kms: KmsPort;
  /** The data-channel session; the SSM client's `runExecSession` unless a test substitutes it. */
  runSession?: (params: ExecSessionParams) => Promise<ExecSessionResult>;
  /** Extra data-channel settings (watchdog periods, logger); the runner sets the session fields itself. */
  sessionOptions?: Partial<
    Omit<ExecSessionParams, 'sessionId' | 'streamUrl' | 'tokenValue' | 'targetId' | 'control' | 'kms' | 'onOutput'>
  >;
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
  /** Let the wrapper make output byte-exact (no CR insertion, no echo); see `WrapOptions.plainTerminal`. */
  plainTerminal?: boolean;
  /** The wrapper set up the terminal; `status` 0 when it is plain. Only with `plainTerminal` and a shell. */
  onReady?: (status: number) => void;
  /** The means to type into the remote terminal and resize it, before the session connects. */
  onControl?: (control: SessionControl) => void;
  /** The remote terminal's size at the start. */
  terminalSize?: TerminalSize;
  timeoutMs?: number;
  onOutput: (chunk: Uint8Array) => void;
  /** Called once the task and container are known and prechecked, before ExecuteCommand. */
  onResolved?: (target: PrecheckedTarget) => void;
  /** Called once ExecuteCommand returned a session, before the data channel opens. */
  onSession?: (sessionId: string) => void;
  signal?: AbortSignal;
}

/** The end of a run. `exitCode` is null when it is unknown (no wrap, or the run did not complete). */
export interface ExecRunResult {
  /** `completed` means the remote process exited (its code may still be unknown without a wrap). */
  outcome: ExecOutcome;
  exitCode: number | null;
  reason?: string;
  target: PrecheckedTarget;
  sessionId: string;
  bytes: number;
  /** True when the run ended because its task stopped (or vanished) under it. */
  taskStopped?: boolean;
}

/**
 * The one entry point for running a command: resolve → precheck → ExecuteCommand → data channel, with the task
 * watched so a stopping task ends the run with that reason. Everything that fails before a session exists throws
 * an EcsError (nothing ran); once a session exists the result says how it ended.
 */
export async function runInContainer(deps: ExecRunnerDeps, request: ExecRunRequest): Promise<ExecRunResult> {
  request.signal?.throwIfAborted();
  // The last look before ExecuteCommand: the task as it is now, not as a cache remembers it.
  const target = await resolveTarget(deps.ecs, request.target, request.cluster, { maxAgeMs: 0 });
  request.onResolved?.(target);
  request.signal?.throwIfAborted();

  const prepared = prepareCommand(request.command, request.noWrap ? 'none' : request.cluster.shell, {
    plainTerminal: request.plainTerminal === true,
  });
  const session = await deps.ecs.executeCommand({
    cluster: request.cluster.cluster,
    task: target.task.taskArn,
    container: target.container.name,
    command: prepared.command,
  });
  request.onSession?.(session.sessionId);

  const watch = watchTask({
    gateway: deps.ecs,
    cluster: request.cluster.cluster,
    taskArn: target.task.taskArn,
    containerName: target.container.name,
    ...(deps.watchIntervalMs !== undefined ? { intervalMs: deps.watchIntervalMs } : {}),
  });
  const signal = request.signal ? AbortSignal.any([request.signal, watch.signal]) : watch.signal;
  try {
    const runSession = deps.runSession ?? runExecSession;
    const result = await runSession({
      ...deps.sessionOptions,
      sessionId: session.sessionId,
      streamUrl: session.streamUrl,
      tokenValue: session.tokenValue,
      targetId: ssmTargetIdOf(session.clusterArn, session.taskArn, target.container.runtimeId),
      control: deps.control,
      kms: deps.kms,
      onOutput: request.onOutput,
      outputFilter: wrapperOutputFilter(prepared, request.onReady),
      ...(request.onControl ? { onControl: request.onControl } : {}),
      ...(request.terminalSize ? { terminalSize: request.terminalSize } : {}),
      signal,
      ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
    });
    const stopping = watch.signal.aborted && !request.signal?.aborted && result.outcome !== 'completed';
    // A wrapped command always reports its status last. A session that ended without it lost its end (or its shell
    // was killed), so "completed" would claim more than is known.
    const statusMissing = prepared.marker !== null && result.outcome === 'completed' && result.exitCode === null;
    const reason = stopping
      ? stoppingText(watch.signal.reason)
      : statusMissing
        ? (result.reason ?? STATUS_MISSING)
        : result.reason;
    return {
      outcome: stopping || statusMissing ? 'interrupted' : result.outcome,
      exitCode: result.outcome === 'completed' ? result.exitCode : null,
      ...(reason ? { reason } : {}),
      target,
      sessionId: session.sessionId,
      bytes: result.outputBytes,
      ...(stopping ? { taskStopped: true } : {}),
    };
  } finally {
    watch.stop();
  }
}

const STATUS_MISSING =
  "The session ended without the command's exit status: its shell was killed or the end of the output was lost, " +
  'so the command may not have finished.';

function stoppingText(reason: unknown): string {
  if (reason instanceof TaskStoppingError) return reason.userMessage ?? reason.message;
  return reason instanceof Error ? reason.message : 'the task is stopping';
}
