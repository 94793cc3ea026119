/** Wall-clock source, injected so tests and Lua scripts see one notion of "now". */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
