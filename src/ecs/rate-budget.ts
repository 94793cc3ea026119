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

/** What the budget reports about its queue, for metrics; every method is optional to implement as a no-op. */
export interface BudgetObserver {
  /** How many calls of the class are waiting for a token now. */
  queueDepth(kind: BudgetClass, depth: number): void;
  /** A call waited this long (ms) for its token; 0 when it went out at once. */
  waited(kind: BudgetClass, waitMs: number): void;
  /** A call was refused because the queue was full. */
  refused(kind: BudgetClass): void;
}

/** How a caller takes part in the queue. */
export interface AcquireOptions {
  signal?: AbortSignal;
  /** Called at once, with the expected wait (ms), when the call has to wait for its token. */
  onQueued?: (waitMs: number) => void;
}

/** The answer of `acquire`: go, or refused because the queue is full (with how long the wait would have been). */
export type BudgetSlot = { ok: true } | { ok: false; waitMs: number; queued: number };

/**
 * Waits for a token of each class. The queue is bounded by time: a call that would wait longer than `maxWaitMs`
 * (about `maxWaitMs × rate` calls ahead of it) is refused at once instead of queueing without bound.
 */
export class ApiBudget {
  private readonly buckets: Record<BudgetClass, TokenBucket>;
  private readonly waiting: Record<BudgetClass, number> = { execute: 0, read: 0 };

  constructor(
    clock: Clock,
    rates: Record<BudgetClass, BudgetRate> = DEFAULT_BUDGET,
    readonly maxWaitMs = 30_000,
    private readonly observer?: BudgetObserver,
  ) {
    this.buckets = { execute: new TokenBucket(rates.execute, clock), read: new TokenBucket(rates.read, clock) };
  }

  /** Calls of the class waiting for a token now. */
  queued(kind: BudgetClass): number {
    return this.waiting[kind];
  }

  /**
   * Resolves when the call may go out; returns `ok: false` (and spends nothing) when the queue is full, so the
   * caller can refuse the request with a clear message instead of queueing without bound.
   */
  async acquire(kind: BudgetClass, options: AcquireOptions | AbortSignal = {}): Promise<BudgetSlot> {
    const { signal, onQueued } = options instanceof AbortSignal ? { signal: options, onQueued: undefined } : options;
    const bucket = this.buckets[kind];
    const waitMs = bucket.reserve();
    if (waitMs > this.maxWaitMs) {
      bucket.refund();
      this.observer?.refused(kind);
      return { ok: false, waitMs, queued: this.waiting[kind] };
    }
    this.observer?.waited(kind, waitMs);
    if (waitMs > 0) {
      this.waiting[kind] += 1;
      this.observer?.queueDepth(kind, this.waiting[kind]);
      onQueued?.(waitMs);
      try {
        await sleep(waitMs, signal);
      } catch (error) {
        bucket.refund();
        throw error;
      } finally {
        this.waiting[kind] -= 1;
        this.observer?.queueDepth(kind, this.waiting[kind]);
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
