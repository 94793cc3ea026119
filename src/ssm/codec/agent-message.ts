import * as crypto from 'node:crypto';
import { DecodeError, EncodeError } from './errors.js';
import { type AgentMessage, HEADER, HEADER_LENGTH_VALUE, MessageType, PAYLOAD_OFFSET } from './layout.js';
import { readWireUuid, writeWireUuid } from './uuid.js';

/** Options for {@link decodeAgentMessage}. */
export type DecodeOptions = Readonly<
  Partial<{
    /** Largest payload accepted, in bytes. Default: 1 MiB (real frames carry at most 1027 + 28 bytes). */
    maxPayloadBytes: number;
  }>
>;

/** Default `maxPayloadBytes`: generous against the agent's 1 KiB frames, small enough to bound a hostile frame. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

const TWO_POW_32 = 2 ** 32;
const MESSAGE_TYPE_END = HEADER.messageType.offset + HEADER.messageType.length;
const DIGEST_OFFSET = HEADER.payloadDigest.offset;
const DIGEST_LENGTH = HEADER.payloadDigest.length;

/** Known types as bytes, so decoding a hot-path frame matches them without building a string. */
const KNOWN_TYPES = Object.values(MessageType).map((name) => ({ name, bytes: Buffer.from(name, 'latin1') }));

const KNOWN_TYPE_NAMES = new Set<string>(Object.values(MessageType));

/**
 * SHA-256 of `data`. The one-shot `crypto.hash` (Node >= 20.12) is markedly faster than a Hash object for 1 KiB
 * frames; older runtimes fall back to createHash.
 */
export const sha256: (data: Uint8Array) => Uint8Array =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'buffer')
    : (data) => crypto.createHash('sha256').update(data).digest();

function matchKnownType(bytes: Uint8Array, start: number, end: number): string | null {
  const length = end - start;
  for (const known of KNOWN_TYPES) {
    if (known.bytes.length !== length) continue;
    let same = true;
    for (let i = 0; i < length; i += 1) {
      if (bytes[start + i] !== known.bytes[i]) {
        same = false;
        break;
      }
    }
    if (same) return known.name;
  }
  return null;
}

function isWhitespaceOrNul(code: number): boolean {
  // NUL plus the characters Go's strings.TrimSpace strips from ASCII text.
  return code === 0 || code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

function readMessageType(bytes: Uint8Array): string {
  let start = HEADER.messageType.offset;
  let end = MESSAGE_TYPE_END;
  while (start < end && isWhitespaceOrNul(bytes[start] as number)) start += 1;
  while (end > start && isWhitespaceOrNul(bytes[end - 1] as number)) end -= 1;
  if (start === end) throw new DecodeError('message_type', HEADER.messageType.offset, 'MessageType is empty');
  const known = matchKnownType(bytes, start, end);
  if (known !== null) return known;
  let name = '';
  for (let i = start; i < end; i += 1) {
    const code = bytes[i] as number;
    if (code < 0x21 || code > 0x7e) {
      throw new DecodeError('message_type', i, `MessageType holds byte 0x${code.toString(16).padStart(2, '0')}`);
    }
    name += String.fromCharCode(code);
  }
  return name;
}

/** Unsigned 64-bit big-endian read as a number; exact below 2^53, callers check `Number.isSafeInteger`. */
function readUint64(view: DataView, offset: number): number {
  return view.getUint32(offset) * TWO_POW_32 + view.getUint32(offset + 4);
}

function readInt64(view: DataView, offset: number): number {
  return view.getInt32(offset) * TWO_POW_32 + view.getUint32(offset + 4);
}

function isPublication(messageType: string): boolean {
  return messageType === MessageType.StartPublication || messageType === MessageType.PausePublication;
}

function digestMatches(bytes: Uint8Array, payload: Uint8Array): boolean {
  const digest = sha256(payload);
  for (let i = 0; i < DIGEST_LENGTH; i += 1) {
    if (digest[i] !== bytes[DIGEST_OFFSET + i]) return false;
  }
  return true;
}

/**
 * Decodes one binary frame. Checks, in order: the frame holds a whole header; HeaderLength is at least 116 and leaves
 * room for PayloadLength; MessageType is non-empty printable ASCII (NUL/space padding on either side is trimmed);
 * then, except for `start_publication`/`pause_publication` (which MGS sends with garbage lengths and digests):
 * CreatedDate is non-zero, the 64-bit fields fit in a safe integer, PayloadLength equals the bytes present, the payload
 * is within `maxPayloadBytes`, and a non-empty payload matches its SHA-256 digest.
 *
 * The returned `payload` is a view into `bytes`, not a copy.
 * @throws DecodeError naming the field that failed.
 */
export function decodeAgentMessage(bytes: Uint8Array, options?: DecodeOptions): AgentMessage {
  if (bytes.length < PAYLOAD_OFFSET) {
    throw new DecodeError('frame_length', bytes.length, `frame is ${bytes.length} bytes, the header alone is 120`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(HEADER.headerLength.offset);
  // Go readers take fields at fixed offsets and the payload from HeaderLength + 4, so anything below 116 is broken
  // and anything that would push PayloadLength past the frame end is too.
  if (headerLength < HEADER_LENGTH_VALUE || headerLength + 4 > bytes.length) {
    throw new DecodeError('header_length', HEADER.headerLength.offset, `HeaderLength ${headerLength} is not usable`);
  }
  const messageType = readMessageType(bytes);
  const payloadStart = headerLength + 4;
  const payload = bytes.subarray(payloadStart);
  const maxPayloadBytes = options?.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const message: AgentMessage = {
    messageType,
    schemaVersion: view.getUint32(HEADER.schemaVersion.offset),
    createdDate: readUint64(view, HEADER.createdDate.offset),
    sequenceNumber: readInt64(view, HEADER.sequenceNumber.offset),
    flags: readUint64(view, HEADER.flags.offset),
    messageId: readWireUuid(bytes, HEADER.messageId.offset),
    payloadType: view.getUint32(HEADER.payloadType.offset),
    payload,
  };
  if (payload.length > maxPayloadBytes) {
    throw new DecodeError('payload_size', payloadStart, `payload is ${payload.length} bytes, limit ${maxPayloadBytes}`);
  }
  if (isPublication(messageType)) return message;

  if (message.createdDate === 0) throw new DecodeError('created_date', HEADER.createdDate.offset, 'CreatedDate is 0');
  if (!Number.isSafeInteger(message.createdDate)) {
    throw new DecodeError('created_date', HEADER.createdDate.offset, 'CreatedDate is out of range');
  }
  if (!Number.isSafeInteger(message.sequenceNumber) || message.sequenceNumber < 0) {
    throw new DecodeError('sequence_number', HEADER.sequenceNumber.offset, 'SequenceNumber is out of range');
  }
  if (!Number.isSafeInteger(message.flags)) {
    throw new DecodeError('flags', HEADER.flags.offset, 'Flags is out of range');
  }
  const payloadLength = view.getUint32(headerLength);
  if (payloadLength !== payload.length) {
    throw new DecodeError(
      'payload_length',
      headerLength,
      `PayloadLength says ${payloadLength} bytes, the frame carries ${payload.length}`,
    );
  }
  if (payloadLength !== 0 && !digestMatches(bytes, payload)) {
    throw new DecodeError('payload_digest', DIGEST_OFFSET, 'PayloadDigest is not the SHA-256 of the payload');
  }
  return message;
}

function writeUint64(view: DataView, offset: number, value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new EncodeError(field, `${value} is not a non-negative integer`);
  view.setUint32(offset, Math.floor(value / TWO_POW_32));
  view.setUint32(offset + 4, value >>> 0);
}

function checkUint32(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new EncodeError(field, `${value} is not a uint32`);
  }
  return value;
}

/**
 * Encodes one frame: HeaderLength 116, MessageType right-padded with spaces, MessageId half-swapped, and the SHA-256
 * digest of the payload as given (encrypt first).
 * @throws EncodeError for a MessageType longer than 32 ASCII bytes, a malformed MessageId or out-of-range numbers.
 */
export function encodeAgentMessage(msg: AgentMessage): Uint8Array {
  const { messageType, payload } = msg;
  if (
    !KNOWN_TYPE_NAMES.has(messageType) &&
    (messageType.length === 0 || messageType.length > HEADER.messageType.length || !/^[\x21-\x7e]+$/.test(messageType))
  ) {
    throw new EncodeError('message_type', `${JSON.stringify(messageType)} is not 1-32 printable ASCII characters`);
  }
  // Every byte is written below, so the frame skips zero-filling and comes from Node's small-buffer pool.
  const frame: Uint8Array = Buffer.allocUnsafe(PAYLOAD_OFFSET + payload.length);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  view.setUint32(HEADER.headerLength.offset, HEADER_LENGTH_VALUE);
  frame.fill(0x20, HEADER.messageType.offset, MESSAGE_TYPE_END);
  for (let i = 0; i < messageType.length; i += 1) frame[HEADER.messageType.offset + i] = messageType.charCodeAt(i);
  view.setUint32(HEADER.schemaVersion.offset, checkUint32(msg.schemaVersion, 'schema_version'));
  writeUint64(view, HEADER.createdDate.offset, msg.createdDate, 'created_date');
  writeUint64(view, HEADER.sequenceNumber.offset, msg.sequenceNumber, 'sequence_number');
  writeUint64(view, HEADER.flags.offset, msg.flags, 'flags');
  writeWireUuid(msg.messageId, frame, HEADER.messageId.offset);
  frame.set(sha256(payload), DIGEST_OFFSET);
  view.setUint32(HEADER.payloadType.offset, checkUint32(msg.payloadType, 'payload_type'));
  view.setUint32(HEADER.payloadLength.offset, payload.length);
  frame.set(payload, PAYLOAD_OFFSET);
  return frame;
}
