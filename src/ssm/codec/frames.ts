import { encodeAgentMessage } from './agent-message.js';
import { type AgentMessage, Flags, MessageType, PayloadType } from './layout.js';
import { encodeAcknowledgeContent } from './payloads.js';
import { randomMessageId } from './uuid.js';

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
  return encodeAgentMessage({
    messageType: MessageType.Acknowledge,
    schemaVersion: 1,
    createdDate,
    sequenceNumber: 0,
    flags: Flags.SynFin,
    messageId: randomMessageId(),
    payloadType: PayloadType.None,
    payload: encodeAcknowledgeContent({
      acknowledgedMessageType: acked.messageType,
      acknowledgedMessageId: acked.messageId,
      acknowledgedMessageSequenceNumber: acked.sequenceNumber,
    }),
  });
}
