import type { FleetAsk } from '../fleet/limits.js';
import type { TargetSpec } from '../shared/ecs-target.js';

/**
 * What people ask the workflow for, as any chat front end hands it over once it has read the person's words. The
 * Slack parser's results have exactly these shapes; targets use the one target grammar.
 */

export type { TargetSpec };

/** How a run was asked for, beyond what and where. */
export interface RunOptions {
  reason?: string;
  timeoutMs?: number;
  breakGlass: boolean;
  noWrap: boolean;
}

/** A typed command for one target. */
export interface ExecRequest extends RunOptions {
  target: TargetSpec;
  command: string;
  /** Set for `--all` / `--tasks N`: the command runs on several tasks of the service under one approval. */
  fleet?: FleetAsk;
}

/** A runbook by name, with the parameters given so far. */
export interface RunbookRequest {
  runbook: string;
  params: Record<string, string>;
  reason?: string;
  timeoutMs?: number;
  breakGlass?: boolean;
}

/** What `explain` asks about; nothing runs. */
export interface ExplainRequest {
  target: TargetSpec;
  command: string;
}
