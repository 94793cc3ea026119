import type { Clock, Timers } from '../shared/clock.js';

/** RTO estimator constants (Jacobson/Karels, RFC 6298), the same in the reference agent and client. */
export const RTO_CONSTANTS = {
  initialSrttMs: 100,
  initialRtoMs: 200,
  alpha: 1 / 8,
  beta: 1 / 4,
  granularityMs: 10,
  maxRtoMs: 1000,
} as const;

/** The retransmission timeout, updated from each round-trip sample. */
export class RtoEstimator {
  private srtt: number = RTO_CONSTANTS.initialSrttMs;
  private rttvar = 0;
  private rtoValue: number = RTO_CONSTANTS.initialRtoMs;

  get rto(): number {
    return this.rtoValue;
  }

  sample(roundTripMs: number): void {
    const { alpha, beta, granularityMs, maxRtoMs } = RTO_CONSTANTS;
    this.rttvar = (1 - beta) * this.rttvar + beta * Math.abs(this.srtt - roundTripMs);
    this.srtt = (1 - alpha) * this.srtt + alpha * roundTripMs;
    this.rtoValue = Math.min(maxRtoMs, this.srtt + Math.max(granularityMs, 4 * this.rttvar));
  }
}

/** One sequenced frame waiting for its ack. */
export interface WindowEntry {
  readonly seq: number;
  /** The exact bytes first sent; a resend repeats them (same MessageId, CreatedDate, seq). */
  readonly frame: Uint8Array;
  readonly firstSentAt: number;
  lastSentAt: number;
  /** Times the frame went out, counting the first. */
  sends: number;
}

export interface SendWindowOptions {
  clock: Clock;
  timers: Timers;
  /** How often the oldest entry is looked at. 100 ms in both reference implementations. */
  resendIntervalMs: number;
  /** Puts a resent frame on the wire. */
  resend(entry: WindowEntry): void;
  /** False while resending must wait (no socket, the peer paused); the tick then does nothing. */
  canResend(): boolean;
}

/**
 * The outgoing side of one sequence space, shared by the client and the sandbox agent: frames sent and not yet
 * acknowledged, matched to acks by sequence number only, resent from the oldest on the RTO estimate. Each tick looks
 * only at the oldest entry, as both reference sides do: later ones are usually just queued behind it, not lost. A
 * resend refreshes the entry's send time (the agent's rule; the stock plugin's "resend every tick once late" only adds
 * duplicates). Karn's rule: a frame sent more than once gives no round-trip sample.
 */
export class SendWindow {
  private readonly options: SendWindowOptions;
  /** In sequence order: sequence numbers only grow, and a Map keeps insertion order. */
  private readonly entries = new Map<number, WindowEntry>();
  private readonly estimator = new RtoEstimator();
  private timer: unknown = null;
  private closed = false;

  constructor(options: SendWindowOptions) {
    this.options = options;
  }

  get size(): number {
    return this.entries.size;
  }
  get rto(): number {
    return this.estimator.rto;
  }
  /** First send time of the oldest unacknowledged frame, or null when none is. */
  get oldestFirstSentAt(): number | null {
    return this.head()?.firstSentAt ?? null;
  }

  /** Records a frame that has just gone out (or was deliberately lost on the way: it counts as sent). */
  track(seq: number, frame: Uint8Array): WindowEntry {
    const now = this.options.clock.now();
    const entry: WindowEntry = { seq, frame, firstSentAt: now, lastSentAt: now, sends: 1 };
    this.entries.set(seq, entry);
    this.startTimer();
    return entry;
  }

  /** An ack for `seq`: the entry leaves the window. Returns it, or undefined for an unknown or repeated ack. */
  acknowledge(seq: number): WindowEntry | undefined {
    const entry = this.entries.get(seq);
    if (!entry) return undefined;
    this.entries.delete(seq);
    if (entry.sends === 1) this.estimator.sample(this.options.clock.now() - entry.firstSentAt);
    if (this.entries.size === 0) this.stopTimer();
    return entry;
  }

  /** Makes the oldest entry due at the next tick, whatever the RTO (a new socket should not wait a full RTO). */
  expediteHead(): void {
    const head = this.head();
    if (head) head.lastSentAt = Number.NEGATIVE_INFINITY;
  }

  /** Sends every unacknowledged frame again, in order (a resumed peer gets everything it has not acknowledged). */
  resendAll(): void {
    for (const entry of this.entries.values()) this.resendEntry(entry);
  }

  /** Forgets every entry (the session ended). */
  clear(): void {
    this.entries.clear();
    this.stopTimer();
  }

  /** Stops resending for good; entries stay readable. */
  close(): void {
    this.closed = true;
    this.stopTimer();
  }

  private head(): WindowEntry | undefined {
    return this.entries.values().next().value;
  }

  private tick(): void {
    const head = this.head();
    if (!head) {
      this.stopTimer();
      return;
    }
    if (!this.options.canResend()) return;
    if (this.options.clock.now() - head.lastSentAt < this.estimator.rto) return;
    this.resendEntry(head);
  }

  private resendEntry(entry: WindowEntry): void {
    entry.sends += 1;
    entry.lastSentAt = this.options.clock.now();
    this.options.resend(entry);
  }

  private startTimer(): void {
    if (this.timer !== null || this.closed) return;
    this.timer = this.options.timers.setInterval(() => this.tick(), this.options.resendIntervalMs);
  }

  private stopTimer(): void {
    if (this.timer === null) return;
    this.options.timers.clearInterval(this.timer);
    this.timer = null;
  }
}
