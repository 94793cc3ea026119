/** How long to wait before the next attempt to open a Socket Mode connection after failed ones. */
export interface ReconnectBackoff {
  /** The wait after the first failure; each further failure doubles it. */
  baseMs: number;
  /** The longest wait. */
  maxMs: number;
}

/**
 * Slack allows 10 connections per app. When they are all taken, every replica that retries on a fixed period asks
 * again at the same moments and keeps the limit saturated; doubling waits spread thin quickly, and the random half
 * of each wait keeps replicas that failed together from retrying together.
 */
export const DEFAULT_RECONNECT_BACKOFF: ReconnectBackoff = { baseMs: 1_000, maxMs: 60_000 };

/**
 * The wait after `failures` consecutive failures (1 = the first): between half and all of `baseMs * 2^(failures-1)`,
 * capped at `maxMs` ("equal jitter": never less than half the step, so the spacing keeps growing).
 */
export function reconnectDelayMs(failures: number, backoff: ReconnectBackoff, random: () => number): number {
  const step = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(step / 2 + (step / 2) * random());
}
