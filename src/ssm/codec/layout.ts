/**
 * The SSM Session Manager data-channel frame ("ClientMessage"), big-endian:
 *
 *   0        4                                36       40        48        56      64          80           112      116      120
 *   +--------+--------------------------------+--------+---------+---------+-------+-----------+------------+--------+--------+---------+
 *   | HdrLen | MessageType (32 ASCII, padded) | Schema | Created | SeqNum  | Flags | MessageId | SHA-256    | PType  | PLen   | Payload |
 *   | =116   |                                | =1     | ms u64  | i64     | u64   | UUID swap | of payload | u32    | u32    | n bytes |
 *   +--------+--------------------------------+--------+---------+---------+-------+-----------+------------+--------+--------+---------+
 *
 * HeaderLength is 116 (the offset of PayloadLength), not 120; the payload starts at HeaderLength + 4.
 */
export const HEADER = {
  headerLength: { offset: 0, length: 4 },
  messageType: { offset: 4, length: 32 },
  schemaVersion: { offset: 36, length: 4 },
  createdDate: { offset: 40, length: 8 },
  sequenceNumber: { offset: 48, length: 8 },
  flags: { offset: 56, length: 8 },
  messageId: { offset: 64, length: 16 },
  payloadDigest: { offset: 80, length: 32 },
  payloadType: { offset: 112, length: 4 },
  payloadLength: { offset: 116, length: 4 },
} as const;

/** Value of HeaderLength on every frame we send. */
export const HEADER_LENGTH_VALUE = 116;
/** Bytes before the payload. */
export const PAYLOAD_OFFSET = 120;

export const MessageType = {
  InputStreamData: 'input_stream_data',
  OutputStreamData: 'output_stream_data',
  Acknowledge: 'acknowledge',
  ChannelClosed: 'channel_closed',
  StartPublication: 'start_publication',
  PausePublication: 'pause_publication',
  AgentSessionState: 'agent_session_state',
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const PayloadType = {
  None: 0,
  Output: 1,
  Error: 2,
  Size: 3,
  Parameter: 4,
  HandshakeRequest: 5,
  HandshakeResponse: 6,
  HandshakeComplete: 7,
  EncChallengeRequest: 8,
  EncChallengeResponse: 9,
  Flag: 10,
  StdErr: 11,
  ExitCode: 12,
} as const;
export type PayloadType = (typeof PayloadType)[keyof typeof PayloadType];

export const Flags = { None: 0, Syn: 1, Fin: 2, SynFin: 3 } as const;

/**
 * One decoded frame. `messageType` stays a string because unknown types must be logged and ignored, not rejected.
 * Sequence numbers and dates are `number`: both stay far below 2^53 in any real session.
 */
export interface AgentMessage {
  messageType: string;
  schemaVersion: number;
  createdDate: number;
  sequenceNumber: number;
  flags: number;
  /** Canonical (hex-string order) UUID; the codec applies the wire half-swap. */
  messageId: string;
  payloadType: number;
  payload: Uint8Array;
}
