import { randomUUID } from 'node:crypto';
import {
  encodeAgentMessage,
  encodeChannelClosed,
  Flags,
  HEADER,
  HEADER_LENGTH_VALUE,
  MessageType,
  PAYLOAD_OFFSET,
  PayloadType,
} from '../../ssm/codec/index.js';

const ACK_TYPE_FIELD = Buffer.from(MessageType.Acknowledge.padEnd(HEADER.messageType.length, ' '));
const textEncoder = new TextEncoder();

/**
 * A space-padded `acknowledge` frame with the standard header length. The agent does not verify digests (it runs
 * only the header checks), so acks, one per output frame and the hottest path, skip the full decode.
 */
export function isPlainAck(bytes: Uint8Array): boolean {
  if (bytes.length <= PAYLOAD_OFFSET || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0) return false;
  if (bytes[3] !== HEADER_LENGTH_VALUE) return false;
  const type = bytes.subarray(HEADER.messageType.offset, HEADER.messageType.offset + HEADER.messageType.length);
  return ACK_TYPE_FIELD.equals(type);
}

export type PublicationType = typeof MessageType.PausePublication | typeof MessageType.StartPublication;

/** MGS's pause/start_publication: they carry a payload too, and the client must not validate or ack them. */
export function encodePublicationFrame(type: PublicationType, sessionId: string): Uint8Array {
  return encodeAgentMessage({
    messageType: type,
    schemaVersion: 1,
    createdDate: Date.now(),
    sequenceNumber: 0,
    flags: Flags.None,
    messageId: randomUUID(),
    payloadType: PayloadType.None,
    payload: textEncoder.encode(JSON.stringify({ SessionId: sessionId })),
  });
}

/**
 * A `start_publication` as MGS has been seen to send it first thing: PayloadLength written little-endian and a digest
 * that does not match. Clients must not validate (or ack) publication messages.
 */
export function garbledStartPublication(sessionId: string): Uint8Array {
  const frame = encodePublicationFrame(MessageType.StartPublication, sessionId);
  const payloadLength = frame.length - PAYLOAD_OFFSET;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  view.setUint32(HEADER.payloadLength.offset, payloadLength, true);
  frame.fill(0xab, HEADER.payloadDigest.offset, HEADER.payloadDigest.offset + HEADER.payloadDigest.length);
  return frame;
}

/** MGS's `channel_closed`: the session is over; `output` is empty on a normal end. */
export function encodeChannelClosedFrame(sessionId: string, clientId: string, output: string): Uint8Array {
  return encodeAgentMessage({
    messageType: MessageType.ChannelClosed,
    schemaVersion: 1,
    createdDate: Date.now(),
    sequenceNumber: 0,
    flags: Flags.SynFin,
    messageId: randomUUID(),
    payloadType: PayloadType.None,
    payload: encodeChannelClosed({
      messageId: randomUUID(),
      createdDate: new Date().toISOString(),
      destinationId: clientId,
      sessionId,
      schemaVersion: 1,
      output,
    }),
  });
}
