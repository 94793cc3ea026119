import type { Clock } from '../shared/clock.js';

/** Sustained rate and burst of one API action, in calls. */
export interface BudgetRate {
  perSecond: number;
  burst: number;
}

/**
 * Client-side token bucket: the account's ECS API rate is shared by every tool in the account and region, so the
 * bot spends at most its own small share and a burst of requests waits (or is refused) instead of exhausting it.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rate: BudgetRate,
    private readonly clock: Clock,
  ) {
    this.tokens = rate.burst;
    this.updatedAt = clock.now();
  }

  /** Takes a token now if one is available and returns 0, else returns the wait (ms) and takes nothing. */
  tryTake(): number {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.rate.perSecond) * 1000);
  }

  /** Reserves a token that becomes available in the returned wait (ms), so concurrent callers queue fairly. */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate.perSecond) * 1000);
  }

  /** Gives back a reservation that was not used. */
  refund(): void {
    this.tokens = Math.min(this.rate.burst, this.tokens + 1);
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.updatedAt = now;
    this.tokens = Math.min(this.rate.burst, this.tokens + (elapsed / 1000) * this.rate.perSecond);
  }
}

/** Budget classes: ExecuteCommand is the scarce one; reads are batched and cached so they need few tokens. */
export const BUDGET_CLASSES = { execute: 'execute', read: 'read' } as const;
export type BudgetClass = (typeof BUDGET_CLASSES)[keyof typeof BUDGET_CLASSES];

/**
 * Default shares: ≤ 2 ExecuteCommand/s sustained with bursts of 10 (an incident channel firing twenty runs at once
 * gets them all within seconds, well inside ECS's account limits); reads 10/s with bursts of 20.
 */
export const DEFAULT_BUDGET: Record<BudgetClass, BudgetRate> = {
  execute: { perSecond: 2, burst: 10 },
  read: { perSecond: 10, burst: 20 },
};

/** Waits for a token of each class, refusing when the queue ahead is longer than `maxWaitMs`. */
export class ApiBudget {
  private readonly buckets: Record<BudgetClass, TokenBucket>;

  constructor(
    clock: Clock,
    rates: Record<BudgetClass, BudgetRate> = DEFAULT_BUDGET,
    readonly maxWaitMs = 30_000,
  ) {
    this.buckets = { execute: new TokenBucket(rates.execute, clock), read: new TokenBucket(rates.read, clock) };
  }

  /**
   * Resolves when the call may go out; returns false (and spends nothing) when the wait would exceed the limit,
   * so the caller can refuse the request instead of queueing without bound.
   */
  async acquire(kind: BudgetClass, signal?: AbortSignal): Promise<{ ok: true } | { ok: false; waitMs: number }> {
    const bucket = this.buckets[kind];
    const waitMs = bucket.reserve();
    if (waitMs > this.maxWaitMs) {
      bucket.refund();
      return { ok: false, waitMs };
    }
    if (waitMs > 0) {
      try {
        await sleep(waitMs, signal);
      } catch (error) {
        bucket.refund();
        throw error;
      }
    }
    return { ok: true };
  }
}

/** Bounded exponential backoff with full jitter: attempt 1 → up to base, doubling, capped. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** setTimeout as a promise that rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
