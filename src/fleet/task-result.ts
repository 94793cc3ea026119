import type { PlannedTask, SkippedTask } from './plan.js';

/**
 * How one task's part of a fan-out ended.
 * - `completed`: the command finished (its exit code may be non-zero, or unknown without the wrapper);
 * - `timed_out`, `cancelled` (stopped mid-run), `interrupted` (the session broke off);
 * - `vanished`: the task stopped or disappeared under the run (or between planning and its start);
 * - `not_started`: ECS refused to start it (nothing ran there);
 * - `not_run`: never started, because the fan-out stopped first (too many failures, or Stop);
 * - `skipped`: the task could not take a command at planning time (agent not RUNNING).
 */
export type TaskStatus =
  | 'completed'
  | 'timed_out'
  | 'cancelled'
  | 'interrupted'
  | 'vanished'
  | 'not_started'
  | 'not_run'
  | 'skipped';

/** The redacted output of one task, as the grouping, the summary and the upload use it. */
export interface TaskOutput {
  /** Rendered, redacted output, at most `maxOutputBytes`. */
  text: string;
  truncated: boolean;
  /** Raw bytes received. */
  bytes: number;
  /** SHA-256 of the raw bytes, for the audit. */
  sha256: string;
  /** SHA-256 of the whole redacted rendering: equal for tasks that showed the same thing. */
  sha256Redacted: string;
  redactions: number;
}

/** One task's result. */
export interface TaskResult {
  task: PlannedTask | SkippedTask;
  status: TaskStatus;
  exitCode: number | null;
  reason?: string;
  output?: TaskOutput;
  sessionId?: string;
  /** Epoch ms; absent for tasks that never started. */
  startedAt?: number;
  endedAt?: number;
  /** ExecuteCommand attempts ECS throttled before this task's session started (none of them made a session). */
  throttled: number;
}
