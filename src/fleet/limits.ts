import { FleetUsageError } from './errors.js';

/** A limit as written: an absolute count, or a percentage of the tasks that will run. */
export type FleetLimit = { kind: 'count'; value: number } | { kind: 'percent'; value: number };

/** Which tasks of the service: every one whose exec agent runs, or N of them spread across zones. */
export type FleetSelection = { kind: 'all' } | { kind: 'count'; count: number };

/** The rate rules of one fan-out, as written. */
export interface FleetLimits {
  /** Tasks running at once (default 10). */
  maxConcurrency: FleetLimit;
  /** Failures tolerated before no further task is started (default 0: stop at the first). */
  maxErrors: FleetLimit;
}

/** A fan-out as someone asked for it: which tasks of the service, and the rate rules. */
export interface FleetAsk {
  selection: FleetSelection;
  limits: FleetLimits;
}

export const DEFAULT_FLEET_LIMITS: FleetLimits = {
  maxConcurrency: { kind: 'count', value: 10 },
  maxErrors: { kind: 'count', value: 0 },
};

const COUNT = /^\d+$/;
const PERCENT = /^(\d+(?:\.\d+)?)%$/;

/** Parses `N` or `P%` for `--max-concurrency`: at least 1 task, or 1–100 %. @throws FleetUsageError */
export function parseMaxConcurrency(text: string): FleetLimit {
  return parseLimit('--max-concurrency', text, 1);
}

/** Parses `N` or `P%` for `--max-errors`: 0 or more failures, or 0–100 %. @throws FleetUsageError */
export function parseMaxErrors(text: string): FleetLimit {
  return parseLimit('--max-errors', text, 0);
}

function parseLimit(flag: string, text: string, minimum: 0 | 1): FleetLimit {
  const trimmed = text.trim();
  const percent = PERCENT.exec(trimmed);
  if (percent) {
    const value = Number(percent[1]);
    if (value > 100 || value < minimum || (minimum === 1 && value === 0)) {
      throw new FleetUsageError(
        `${flag} ${text}: a percentage must be ${minimum === 1 ? 'above 0' : 'from 0'} up to 100% (e.g. ${flag} 25%)`,
      );
    }
    return { kind: 'percent', value };
  }
  if (COUNT.test(trimmed)) {
    const value = Number(trimmed);
    if (!Number.isSafeInteger(value) || value < minimum) {
      throw new FleetUsageError(
        `${flag} ${text}: give at least ${minimum} task${minimum === 1 ? '' : 's'}, or a percentage`,
      );
    }
    return { kind: 'count', value };
  }
  throw new FleetUsageError(`${flag} "${text}" is not a number of tasks or a percentage (write 10 or 25%)`);
}

/** Parses `--tasks N`: a whole number of tasks, at least 1. @throws FleetUsageError */
export function parseTaskCount(text: string): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!COUNT.test(trimmed) || !Number.isSafeInteger(value) || value < 1) {
    throw new FleetUsageError(`--tasks ${text}: give a number of tasks, at least 1 (or --all for every task)`);
  }
  return value;
}

/**
 * The concurrency for `tasks` tasks: a percentage rounds up, so it is never 0 while there is work (10% of 5 tasks
 * runs one at a time); never more than the tasks themselves.
 */
export function concurrencyFor(limit: FleetLimit, tasks: number): number {
  const raw = limit.kind === 'count' ? limit.value : Math.ceil((limit.value / 100) * tasks);
  return Math.max(1, Math.min(raw, Math.max(tasks, 1)));
}

/**
 * The failures tolerated among `tasks` tasks: a percentage rounds down (10% of 15 tasks tolerates 1), as the
 * tolerance must never be more than was written. Starting stops once failures exceed it.
 */
export function errorBudgetFor(limit: FleetLimit, tasks: number): number {
  return limit.kind === 'count' ? limit.value : Math.floor((limit.value / 100) * tasks);
}

/** The limit as a person wrote it, for cards and summaries. */
export function describeLimit(limit: FleetLimit): string {
  return limit.kind === 'count' ? String(limit.value) : `${limit.value}%`;
}
