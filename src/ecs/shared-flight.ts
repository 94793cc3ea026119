import type { Clock } from '../shared/clock.js';

/** Told, with the expected wait (ms), that a call has to queue for the bot's ECS budget. */
export type QueuedListener = (waitMs: number) => void;

/**
 * One ECS call that several lookups wait for (single flight). Each lookup that joins may ask to be told when the
 * call has to queue for the budget: at once if it already queues, or when it starts to. So a burst of identical
 * requests costs one call, and every person in it still learns that their request is waiting.
 */
export class SharedFlight<T> {
  readonly promise: Promise<T>;
  private readonly listeners = new Set<QueuedListener>();
  private queuedUntil: number | undefined;

  constructor(
    start: (onQueued: QueuedListener) => Promise<T>,
    private readonly clock: Clock,
  ) {
    this.promise = start((waitMs) => {
      this.queuedUntil = this.clock.now() + waitMs;
      for (const listener of this.listeners) listener(waitMs);
    });
  }

  /** The call's answer; `onQueued` hears about a wait for the budget, past or future. */
  join(onQueued?: QueuedListener): Promise<T> {
    if (onQueued) {
      const left = this.queuedUntil === undefined ? 0 : this.queuedUntil - this.clock.now();
      if (left > 0) onQueued(left);
      this.listeners.add(onQueued);
    }
    return this.promise;
  }
}

/** Removes `key` from `flights` once its flight settles, unless a newer flight took its place. */
export function forgetWhenSettled<K, T>(flights: Map<K, SharedFlight<T>>, key: K, flight: SharedFlight<T>): void {
  const done = (): void => {
    if (flights.get(key) === flight) flights.delete(key);
  };
  flight.promise.then(done, done);
}
