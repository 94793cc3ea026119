import { createHash } from 'node:crypto';
import { EcsError } from '../ecs/errors.js';
import type { ExecRunResult } from '../ecs/exec-runner.js';
import { backoffDelay, sleep } from '../ecs/rate-budget.js';
import { isBotError, toUserMessage } from '../errors.js';
import { createOutputPipeline } from '../output/pipeline.js';
import { nextTurn } from '../shared/event-loop-turn.js';
import { groupResults, type ResultGroup, summaryLine } from './grouping.js';
import type { FleetPlan, PlannedTask } from './plan.js';
import type { TaskResult, TaskStatus } from './task-result.js';

export type { TaskOutput, TaskResult, TaskStatus } from './task-result.js';

/** Counts for a progress line: every task of the plan is in exactly one bucket. */
export interface FleetProgress {
  total: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  skipped: number;
  notRun: number;
}

/** What a fan-out tells its caller as it goes (the Slack message and the CLI summary are built from these). */
export type FleetEvent =
  | { kind: 'task-started'; task: PlannedTask; progress: FleetProgress }
  | { kind: 'task-finished'; result: TaskResult; progress: FleetProgress }
  | { kind: 'stopping'; reason: 'max-errors' | 'aborted'; message: string; progress: FleetProgress };

/** The end of a fan-out. */
export interface FleetResult {
  results: TaskResult[];
  groups: ResultGroup[];
  summary: string;
  progress: FleetProgress;
  /** Why starting stopped early, when it did. */
  stopped?: { reason: 'max-errors' | 'aborted'; message: string };
  startedAt: number;
  endedAt: number;
}

/** Runs the command in one task; the single-task engine (`runInContainer`, or `ExecEngine.run`) in production. */
export type FleetTaskRunner = (
  task: PlannedTask,
  io: { onOutput: (chunk: Uint8Array) => void; signal: AbortSignal },
) => Promise<ExecRunResult>;

/** How a fan-out runs. */
export interface FleetRunOptions {
  runTask: FleetTaskRunner;
  /** Redacted output kept per task (the rest is counted and hashed). */
  maxOutputBytes: number;
  /** Stops the whole fan-out: no new task starts, running ones get Ctrl-C and then end. */
  signal?: AbortSignal;
  onEvent?: (event: FleetEvent) => void;
  /** Raw output of a task as it arrives (for `kubectl logs --prefix`-style printing); not redacted. */
  onOutput?: (task: PlannedTask, chunk: Uint8Array) => void;
  /** Starts of one task refused by ECS throttling, retried with backoff before the task counts as not started. */
  maxThrottledStarts?: number;
  /** Backoff between throttled starts (ms). */
  throttleBackoff?: { baseMs: number; capMs: number };
  now?: () => number;
}

const DEFAULT_THROTTLED_STARTS = 8;
/**
 * Hundreds of outputs stream at once in a fan-out, and text each one's redactor holds for a batch outlives the young
 * generation and ages in the heap: a smaller batch than a single run's (48 Ki characters) keeps it short-lived, for
 * a few more rescans of the carry-over.
 */
const FAN_OUT_REDACTOR_BATCH_CHARS = 8 * 1024;

/**
 * Runs one command on every task of a plan: at most `plan.concurrency` at once, each task at most once, and no new
 * start once failures exceed `plan.errorBudget` or the signal aborts. A start that ECS throttled is retried, since
 * the refusal proves no session exists; nothing that may have started a session is ever sent again.
 */
export async function runFleet(plan: FleetPlan, options: FleetRunOptions): Promise<FleetResult> {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const progress: FleetProgress = {
    total: plan.tasks.length + plan.skipped.length,
    pending: plan.tasks.length,
    running: 0,
    succeeded: 0,
    failed: 0,
    skipped: plan.skipped.length,
    notRun: 0,
  };
  const snapshot = (): FleetProgress => ({ ...progress });
  const results = new Map<PlannedTask, TaskResult>();
  const stop = new AbortController();
  const outer = options.signal;
  let stopped: FleetResult['stopped'];
  const stopStarting = (reason: 'max-errors' | 'aborted', message: string): void => {
    if (stopped) return;
    stopped = { reason, message };
    options.onEvent?.({ kind: 'stopping', reason, message, progress: snapshot() });
  };
  const onAbort = (): void => {
    stopStarting('aborted', 'stopped by request');
    stop.abort(outer?.reason);
  };
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });

  const queue = [...plan.tasks];
  const worker = async (): Promise<void> => {
    for (let task = queue.shift(); task; task = queue.shift()) {
      if (stopped) return;
      progress.pending -= 1;
      progress.running += 1;
      options.onEvent?.({ kind: 'task-started', task, progress: snapshot() });
      const result = await runOne(task, options, stop.signal, now);
      results.set(task, result);
      progress.running -= 1;
      if (isFailure(result)) progress.failed += 1;
      else if (result.status === 'completed') progress.succeeded += 1;
      else progress.notRun += 1;
      options.onEvent?.({ kind: 'task-finished', result, progress: snapshot() });
      if (isFailure(result) && progress.failed > plan.errorBudget) {
        stopStarting(
          'max-errors',
          `stopped starting tasks after ${progress.failed} failure${progress.failed === 1 ? '' : 's'} (--max-errors ${plan.errorBudget})`,
        );
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(plan.concurrency, plan.tasks.length) }, worker));
  } finally {
    outer?.removeEventListener('abort', onAbort);
  }
  const notRunReason = stopped ? stopped.message : 'the fan-out ended first';
  const ordered: TaskResult[] = [];
  for (const task of plan.tasks) {
    const result = results.get(task);
    if (result) ordered.push(result);
    else {
      progress.pending -= 1;
      progress.notRun += 1;
      ordered.push({ task, status: 'not_run', exitCode: null, reason: notRunReason, throttled: 0 });
    }
  }
  for (const task of plan.skipped) {
    ordered.push({ task, status: 'skipped', exitCode: null, reason: task.reason, throttled: 0 });
  }
  const groups = groupResults(ordered);
  return {
    results: ordered,
    groups,
    summary: summaryLine(groups),
    progress: snapshot(),
    ...(stopped ? { stopped } : {}),
    startedAt,
    endedAt: now(),
  };
}

/** A failure for `--max-errors`: anything but a command that finished with exit 0, a skip, or a task never started. */
export function isFailure(result: TaskResult): boolean {
  switch (result.status) {
    case 'completed':
      return result.exitCode !== 0;
    case 'skipped':
    case 'not_run':
    case 'cancelled':
      return false;
    default:
      return true;
  }
}

async function runOne(
  task: PlannedTask,
  options: FleetRunOptions,
  signal: AbortSignal,
  now: () => number,
): Promise<TaskResult> {
  const pipeline = createOutputPipeline({
    maxOutputBytes: options.maxOutputBytes,
    redactor: { batchChars: FAN_OUT_REDACTOR_BATCH_CHARS },
  });
  const startedAt = now();
  const maxStarts = options.maxThrottledStarts ?? DEFAULT_THROTTLED_STARTS;
  const backoff = options.throttleBackoff ?? { baseMs: 500, capMs: 8_000 };
  let throttled = 0;
  let budgetRefusals = 0;
  for (;;) {
    try {
      // Hundreds of tasks start together: each opens its session in a turn of its own (see nextTurn).
      await nextTurn();
      const run = await options.runTask(task, {
        signal,
        onOutput: (chunk) => {
          pipeline.write(chunk);
          options.onOutput?.(task, chunk);
        },
      });
      // Many sessions may end in one batch of frames; finishing each output (the last render and redaction, the
      // digests) waits for a turn of its own.
      await nextTurn();
      const output = pipeline.result();
      return {
        task,
        status: statusOf(run),
        exitCode: run.exitCode,
        ...(run.reason ? { reason: run.reason } : {}),
        output: {
          text: output.text,
          truncated: output.truncated,
          bytes: output.totalBytes,
          sha256: output.sha256,
          sha256Redacted: redactedDigest(output.text, output.tail, output.truncated, output.renderedBytes),
          redactions: output.redactions,
        },
        sessionId: run.sessionId,
        startedAt,
        endedAt: now(),
        throttled,
      };
    } catch (error) {
      // The runner throws only while no session exists, so a start refused for its rate may be asked again: by ECS
      // (throttled, a bounded number of times) or by our own budget's full queue (a wide fan-out waits its turn).
      const wait = retryWait(error, throttled, budgetRefusals, maxStarts, backoff);
      if (wait !== undefined && !signal.aborted) {
        if (error instanceof EcsError && error.code === 'ecs.throttled') throttled += 1;
        else budgetRefusals += 1;
        try {
          await sleep(wait, signal);
          continue;
        } catch {
          return { task, status: 'not_run', exitCode: null, reason: 'stopped by request', throttled };
        }
      }
      const endedAt = now();
      if (signal.aborted && !isBotError(error)) {
        return { task, status: 'not_run', exitCode: null, reason: 'stopped by request', throttled };
      }
      return {
        task,
        status: vanishedBeforeStart(error) ? 'vanished' : 'not_started',
        exitCode: null,
        reason: shortReason(error),
        startedAt,
        endedAt,
        throttled,
      };
    }
  }
}

/** Refusals of our own budget a task waits through (a full queue drains; this bounds a stuck one). */
const MAX_BUDGET_REFUSALS = 60;

/** How long to wait before asking again for a start that was refused for its rate; undefined: do not. */
function retryWait(
  error: unknown,
  throttled: number,
  budgetRefusals: number,
  maxStarts: number,
  backoff: { baseMs: number; capMs: number },
): number | undefined {
  if (!(error instanceof EcsError) || !error.noSessionExists) return undefined;
  if (error.code === 'ecs.throttled' && throttled + 1 < maxStarts) {
    return backoffDelay(throttled + 1, backoff.baseMs, backoff.capMs);
  }
  if (error.code === 'ecs.budget_exceeded' && budgetRefusals < MAX_BUDGET_REFUSALS) {
    return backoffDelay(budgetRefusals + 1, backoff.baseMs, backoff.capMs);
  }
  return undefined;
}

function statusOf(run: ExecRunResult): TaskStatus {
  if (run.taskStopped) return 'vanished';
  // A session that failed after ExecuteCommand may have run the command: as much as known of a broken session.
  return run.outcome === 'failed' ? 'interrupted' : run.outcome;
}

/** Errors that mean the task went away between planning and its start. */
function vanishedBeforeStart(error: unknown): boolean {
  if (!(error instanceof EcsError)) return false;
  return (
    error.code === 'ecs.task_not_found' ||
    error.code === 'ecs.task_stopping' ||
    error.code === 'ecs.precheck.task_running'
  );
}

function shortReason(error: unknown): string {
  const text = toUserMessage(error);
  const firstSentence = /^[^.]*\./.exec(text)?.[0] ?? text;
  return firstSentence.length <= 160 ? firstSentence : `${firstSentence.slice(0, 157)}...`;
}

function redactedDigest(text: string, tail: string, truncated: boolean, renderedBytes: number): string {
  const hash = createHash('sha256').update(text);
  if (truncated) hash.update(`\u0000${renderedBytes}\u0000`).update(tail);
  return hash.digest('hex');
}
