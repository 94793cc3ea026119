import { encodeAgentMessage } from './agent-message.js';
import { type AgentMessage, Flags, HEADER, MessageType, PayloadType } from './layout.js';
import { encodeAcknowledgeContent } from './payloads.js';
import { randomMessageId, writeRandomWireUuid } from './uuid.js';

/** Encoded first, then replaced by random bytes: the digest covers only the payload, so the header may change. */
const PLACEHOLDER_MESSAGE_ID = '00000000-0000-4000-8000-000000000000';

/** The sequenced stream types: the client's input and the agent's output. */
export type StreamMessageType = typeof MessageType.InputStreamData | typeof MessageType.OutputStreamData;

/**
 * A sequenced stream frame with a fresh MessageId. Flags as the reference senders set them (they are informational):
 * SYN on the agent's first output frame, nothing otherwise.
 */
export function encodeStreamFrame(
  messageType: StreamMessageType,
  sequenceNumber: number,
  payloadType: number,
  payload: Uint8Array,
  createdDate: number,
): Uint8Array {
  return encodeAgentMessage({
    messageType,
    schemaVersion: 1,
    createdDate,
    sequenceNumber,
    flags: messageType === MessageType.OutputStreamData && sequenceNumber === 0 ? Flags.Syn : Flags.None,
    messageId: randomMessageId(),
    payloadType,
    payload,
  });
}

/** The `acknowledge` of a stream frame: outside the sequence (seq 0), SYN|FIN, the acked frame named in the payload. */
export function encodeAcknowledgeFrame(acked: AgentMessage, createdDate: number): Uint8Array {
  const frame = encodeAgentMessage({
    messageType: MessageType.Acknowledge,
    schemaVersion: 1,
    createdDate,
    sequenceNumber: 0,
    flags: Flags.SynFin,
    messageId: PLACEHOLDER_MESSAGE_ID,
    payloadType: PayloadType.None,
    payload: encodeAcknowledgeContent({
      acknowledgedMessageType: acked.messageType,
      acknowledgedMessageId: acked.messageId,
      acknowledgedMessageSequenceNumber: acked.sequenceNumber,
    }),
  });
  writeRandomWireUuid(frame, HEADER.messageId.offset);
  return frame;
}
