import type { Clock, Timers } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { TerminalSize } from './codec/payloads.js';
import type { SsmError } from './errors.js';
import type { KmsPort } from './ports.js';
import type { TransportCloseInfo } from './transport-port.js';

/** What the data channel reports upward. */
export interface DataChannelEvents {
  /** Command output in order, decrypted; may be a view into a received frame. */
  onOutput(chunk: Uint8Array): void;
  /** MGS closed the channel; `output` is empty on a normal end and holds the reason otherwise. */
  onChannelClosed(output: string): void;
  /** The channel cannot go on (handshake, KMS or decryption failure). */
  onFatal(error: SsmError): void;
  /** The socket went away without `channel_closed`; the owner may reconnect and `attach` again. */
  onTransportClosed(info: TransportCloseInfo): void;
  /** The session is live: the handshake completed, or the first output arrived without one. */
  onLive?(): void;
  /** An `EXIT_CODE: n` payload (only NonInteractiveCommands sessions send it). */
  onExitCode?(code: number): void;
}

/** Options for {@link DataChannel}. Defaults follow AWS's session-manager-plugin unless noted. */
export interface DataChannelOptions {
  sessionId: string;
  /** `ecs:<cluster>_<task>_<runtimeId>`; part of the KMS encryption context. */
  targetId: string;
  kms: KmsPort;
  clock: Clock;
  timers: Timers;
  events: DataChannelEvents;
  /** Reused across reconnects of this client. Default: random. */
  clientId?: string;
  /** Advertised client version; a realistic released one. Default 1.2.650.0. */
  clientVersion?: string;
  /** Sent once when live. Default 200x50. */
  terminalSize?: TerminalSize;
  /**
   * Out-of-order frames held at most; beyond it they are dropped unacked and the agent resends. Default 10,000, as the
   * session-manager-plugin: the agent resends one lost frame per 100 ms tick, so a gap can stay open while thousands of
   * later frames arrive, and each one discarded here would need its own slow resend.
   */
  maxOutOfOrder?: number;
  /** Input messages awaiting an ack at most. Default 10,000. */
  maxUnacked?: number;
  /** Resend scheduler period. Default 100 ms. */
  resendIntervalMs?: number;
  /** Add `aws:ssm:RandomChallenge` to the KMS context and acknowledge it. Default false (as the stock client). */
  kmsChallengeContext?: boolean;
  /**
   * When nothing at all has arrived this long after attaching, the agent has skipped the handshake and its command
   * is simply quiet: send the Size now, so a command that measures the terminal before printing sees the real size.
   * Default 1000 ms; 0 disables (Size only once live, as session-manager-plugin does).
   */
  earlySizeAfterMs?: number;
  /** Largest accepted frame payload. Default 1 MiB. */
  maxPayloadBytes?: number;
  logger?: Logger;
}

/** Output the channel knows it never delivered: frames from `firstMissingSeq` on are missing or held past a gap. */
export interface OutputGap {
  /** The sequence number output stopped at. */
  firstMissingSeq: number;
  /** Highest sequence number seen; frames up to it exist but were not all delivered. */
  highestSeenSeq: number;
  /** Frames held in the reorder buffer, never delivered. */
  bufferedFrames: number;
}

/** Where the channel is in its life. */
export type DataChannelState = 'waiting' | 'handshaking' | 'live' | 'closed';
