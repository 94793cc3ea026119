/** Wall-clock source, injected so tests and Lua scripts see one notion of "now". */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Timer functions, injected so tests can step time instead of sleeping. The one timer interface of the product:
 * a component that needs only timeouts asks for `Pick<Timers, 'setTimeout' | 'clearTimeout'>`.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Real timers; intervals and timeouts are unref'd so a forgotten one never keeps the process alive. */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setInterval: (callback, ms) => setInterval(callback, ms).unref(),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};
