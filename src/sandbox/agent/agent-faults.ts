/**
 * Misbehaviour the sandbox agent (and the MGS in front of it) can be told to show, so each client path has a test.
 * "Every Nth" counters are deterministic: a test knows exactly which frame is affected.
 */
export interface AgentFaults {
  /**
   * Every Nth output frame is lost on its first transmission; the agent's resend delivers it later. Like the real
   * agent it resends only its oldest unacked frame per 100 ms tick, so each lost frame costs about 100 ms.
   */
  dropOutputEvery?: number;
  /** Every Nth output frame is sent twice. */
  duplicateOutputEvery?: number;
  /** Every Nth output frame is sent after the frame that follows it. */
  reorderOutputEvery?: number;
  /** Acks of client frames leave this many ms late. */
  ackDelayMs?: number;
  /** Every Nth ack of a client frame is lost (the client must resend; the agent re-acks the duplicate). */
  dropAckEvery?: number;
  /** After this many output frames MGS sends `pause_publication` and the agent holds its output. */
  pausePublicationAfterFrames?: number;
  /** How long the pause lasts before `start_publication`; omitted, it never ends (the agent vanished). */
  pausePublicationMs?: number;
  /** Once per session, after this many output frames the socket is dropped without a close frame. */
  closeSocketAfterFrames?: number;
  /** Slow agent: this many ms between output frames. */
  outputDelayMs?: number;
  /** The agent accepts the token and then never sends or acks anything. */
  neverAnswer?: boolean;
  /** Client input is left unacked for this long after the session starts (the pty is "not ready" yet). */
  notReadyMs?: number;
  /** No process: this many bytes of deterministic data (see `syntheticOutput`) in 1 KiB frames, then the end. */
  syntheticOutputBytes?: number;
  /** On every connect MGS first sends `start_publication` with a garbage digest and a little-endian PayloadLength. */
  garbledStartPublication?: boolean;
  /** Handshake (SessionType only) even without KMS, as future agents may. */
  alwaysHandshake?: boolean;
  /** Refuse KMS clients that do not acknowledge the random challenge (the agent's RequireKMSChallengeResponse). */
  requireChallengeAcknowledgement?: boolean;
}

/** Later fault sets override earlier ones field by field. */
export function mergeFaults(...sets: Array<AgentFaults | undefined>): AgentFaults {
  return Object.assign({}, ...sets.filter((set) => set !== undefined));
}

/** True for the Nth, 2Nth, ... item of a 1-based count when `every` is set. */
export function isEvery(every: number | undefined, count: number): boolean {
  return every !== undefined && every > 0 && count % every === 0;
}
