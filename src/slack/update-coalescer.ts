import { type Clock, systemTimers, type Timers } from '../shared/clock.js';

/** The part of the shared timers the coalescer uses (tests step them). */
export type TimerPort = Pick<Timers, 'setTimeout' | 'clearTimeout'>;

/** What a delivery reports back: nothing when it went through, or Slack's `Retry-After` when rate limited. */
export type DeliveryOutcome = undefined | { readonly retryAfterMs: number };

/** Options of `createUpdateCoalescer`. */
export interface UpdateCoalescerOptions<T> {
  readonly clock: Clock;
  readonly timers?: TimerPort;
  /** Least time between the starts of two deliveries; raised to 1,000 ms (Slack's `chat.update` tier) if lower. */
  readonly intervalMs: number;
  /** Sends one state (a `chat.update`). Resolves with the retry-after when Slack answered 429. */
  deliver(state: T): Promise<DeliveryOutcome>;
  /** Attempts per state for failures other than rate limiting (default 3); a newer state starts afresh. */
  readonly maxAttempts?: number;
  /** Told about a delivery failure (after which the state is tried again or, past `maxAttempts`, dropped). */
  onError?(error: unknown): void;
}

/** Coalesces a stream of states into at most one delivery per interval, always ending on the latest state. */
export interface UpdateCoalescer<T> {
  /** A newer state; replaces any state not yet delivered. Ignored after `close`. */
  offer(state: T): void;
  /**
   * Delivers `final` (or the last state offered) once the interval and any retry-after allow, then stops.
   * Resolves true when the last state was delivered, false when it was dropped after `maxAttempts` failures.
   */
  close(final?: T): Promise<boolean>;
  /** Stops at once: pending states are dropped and nothing more is delivered. */
  abandon(): void;
  /** Deliveries that went through. */
  readonly delivered: number;
}

/** Slack's `chat.update` is Tier 3 (about 50 a minute per workspace): no run may update faster than once a second. */
export const MIN_UPDATE_INTERVAL_MS = 1000;

/**
 * The interval actually used for a requested one: never below Slack's one update a second. A faster request (the
 * playground asks for 500 ms) is slowed down rather than refused, so a live tail is never lost to a setting.
 */
export function clampUpdateInterval(requestedMs: number): number {
  return Number.isFinite(requestedMs) && requestedMs > MIN_UPDATE_INTERVAL_MS ? requestedMs : MIN_UPDATE_INTERVAL_MS;
}

/**
 * Creates a coalescer: however fast output arrives, the live-tail message is updated at most once per
 * `intervalMs` (clamped to one second at least), a 429's retry-after pauses it, one delivery is in flight at a time,
 * and the last state offered is always the last one delivered.
 */
export function createUpdateCoalescer<T>(options: UpdateCoalescerOptions<T>): UpdateCoalescer<T> {
  const intervalMs = clampUpdateInterval(options.intervalMs);
  const timers = options.timers ?? systemTimers;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  let pending: { state: T; attempts: number } | undefined;
  let inFlight = false;
  let timer: unknown;
  let lastStartedAt = Number.NEGATIVE_INFINITY;
  /** Set by a 429's retry-after. */
  let pausedUntil = Number.NEGATIVE_INFINITY;
  let closed = false;
  let abandoned = false;
  let delivered = 0;
  let lastDropped = false;
  const idleWaiters: ((delivered: boolean) => void)[] = [];

  const settleIfIdle = (): void => {
    if (!closed || inFlight || (pending && !abandoned)) return;
    for (const resolve of idleWaiters.splice(0)) resolve(!lastDropped && !abandoned);
  };

  const schedule = (): void => {
    if (abandoned || inFlight || !pending || timer !== undefined) {
      settleIfIdle();
      return;
    }
    // The interval paces the live tail; the final state, the one people wait for, waits only for Slack's own limit.
    const gap = closed ? MIN_UPDATE_INTERVAL_MS : intervalMs;
    const wait = Math.max(pausedUntil, lastStartedAt + gap) - options.clock.now();
    if (wait <= 0) {
      void send();
      return;
    }
    timer = timers.setTimeout(() => {
      timer = undefined;
      schedule();
    }, wait);
  };

  const send = async (): Promise<void> => {
    const item = pending;
    if (!item) return;
    pending = undefined;
    inFlight = true;
    lastStartedAt = options.clock.now();
    try {
      const outcome = await options.deliver(item.state);
      if (outcome && outcome.retryAfterMs >= 0) {
        pausedUntil = options.clock.now() + outcome.retryAfterMs;
        pending ??= item;
      } else {
        delivered++;
        lastDropped = false;
      }
    } catch (error) {
      options.onError?.(error);
      if (!pending) {
        if (item.attempts + 1 < maxAttempts) pending = { state: item.state, attempts: item.attempts + 1 };
        else lastDropped = true;
      }
    } finally {
      inFlight = false;
      schedule();
    }
  };

  return {
    offer(state) {
      if (closed || abandoned) return;
      pending = { state, attempts: 0 };
      schedule();
    },
    close(final) {
      if (!closed && final !== undefined && !abandoned) pending = { state: final, attempts: 0 };
      closed = true;
      const done = new Promise<boolean>((resolve) => idleWaiters.push(resolve));
      // A wait timed for the live tail's interval is timed again for the final state's shorter one.
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      schedule();
      return done;
    },
    abandon() {
      abandoned = true;
      closed = true;
      pending = undefined;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      settleIfIdle();
    },
    get delivered() {
      return delivered;
    },
  };
}
