/**
 * The request state table: every state of product.md §3 as the Lua scripts spell them, which of them are final,
 * and the plain words for each. Chat adapters and the CLI put their own marks in front of these words; nothing
 * else keeps a list of states.
 */

/** Every state, by name. */
export const RequestState = {
  Requested: 'requested',
  Rejected: 'rejected',
  PendingApproval: 'pending_approval',
  Approved: 'approved',
  Dispatched: 'dispatched',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  TimedOut: 'timed_out',
  Cancelled: 'cancelled',
  Interrupted: 'interrupted',
  Denied: 'denied',
  Expired: 'expired',
  Error: 'error',
} as const;
/** One lifecycle state. */
export type RequestState = (typeof RequestState)[keyof typeof RequestState];

/** How a run ends once it was dispatched: `finish()` accepts only these. */
export type FinishState = 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'interrupted' | 'error';

/** States a request never leaves (the Lua scripts keep the same list in `attach-card-4.lua`). */
export const TERMINAL_STATES: ReadonlySet<RequestState> = new Set<RequestState>([
  'rejected',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'interrupted',
  'denied',
  'expired',
  'error',
]);

/** True when nothing can happen to the request any more (the card loses its buttons). */
export function isTerminal(state: RequestState): boolean {
  return TERMINAL_STATES.has(state);
}

/** Each state in plain words, lower case, as a sentence continues "the request is …". */
export const STATE_LABELS: Readonly<Record<RequestState, string>> = {
  requested: 'requested',
  rejected: 'rejected',
  pending_approval: 'waiting for approval',
  approved: 'approved',
  dispatched: 'starting',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  timed_out: 'timed out',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  denied: 'denied',
  expired: 'expired',
  error: 'could not start',
};

/** The plain words of a state; a state this release does not know is shown as stored. */
export function stateLabel(state: string): string {
  return (STATE_LABELS as Readonly<Record<string, string>>)[state] ?? state;
}
