import { randomFillSync, randomUUID } from 'node:crypto';
import { EncodeError } from './errors.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const CANONICAL_UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A fresh random (v4) MessageId / RequestId in canonical lowercase form. */
export function randomMessageId(): string {
  return randomUUID();
}

/** True for a canonical hyphenated UUID string (any version, either case). */
export function isUuid(value: string): boolean {
  return CANONICAL_UUID.test(value);
}

/** Value of a hex digit's char code, or -1. */
function hexNibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/**
 * Writes a canonical UUID as the wire MessageId: canonical bytes 8..15 first, then 0..7 (each half keeps its order).
 * @throws EncodeError when `uuid` is not a canonical UUID string.
 */
export function writeWireUuid(uuid: string, target: Uint8Array, offset: number): void {
  if (uuid.length !== 36) throw new EncodeError('message_id', `not a UUID: ${JSON.stringify(uuid)}`);
  let position = 0;
  for (let byte = 0; byte < 16; byte += 1) {
    if (byte === 4 || byte === 6 || byte === 8 || byte === 10) {
      if (uuid.charCodeAt(position) !== 45) throw new EncodeError('message_id', `not a UUID: ${JSON.stringify(uuid)}`);
      position += 1;
    }
    const high = hexNibble(uuid.charCodeAt(position));
    const low = hexNibble(uuid.charCodeAt(position + 1));
    if (high < 0 || low < 0) throw new EncodeError('message_id', `not a UUID: ${JSON.stringify(uuid)}`);
    position += 2;
    // The wire swaps the two 8-byte halves.
    target[offset + (byte < 8 ? byte + 8 : byte - 8)] = (high << 4) | low;
  }
}

const HEX_CODES = new TextEncoder().encode('0123456789abcdef');
/** The canonical text is assembled here and read out as one string: one allocation per MessageId, not twenty. */
const uuidText = Buffer.alloc(36);

/** Reads a wire MessageId (halves swapped) at `offset` and returns the canonical lowercase UUID string. */
export function readWireUuid(source: Uint8Array, offset: number): string {
  let position = 0;
  for (let byte = 0; byte < 16; byte += 1) {
    if (byte === 4 || byte === 6 || byte === 8 || byte === 10) {
      uuidText[position] = 0x2d;
      position += 1;
    }
    const value = source[offset + (byte < 8 ? byte + 8 : byte - 8)] as number;
    uuidText[position] = HEX_CODES[value >> 4] as number;
    uuidText[position + 1] = HEX_CODES[value & 0x0f] as number;
    position += 2;
  }
  return uuidText.toString('latin1', 0, 36);
}

const RANDOM_POOL_BYTES = 4096;
const randomPool = Buffer.alloc(RANDOM_POOL_BYTES);
let randomPoolUsed = RANDOM_POOL_BYTES;

/**
 * Writes a fresh random (v4) MessageId in wire layout at `offset`, straight from random bytes: one per ack, and an
 * ack is sent for every output frame, so no string is made and parsed back for it.
 */
export function writeRandomWireUuid(target: Uint8Array, offset: number): void {
  if (randomPoolUsed + 16 > RANDOM_POOL_BYTES) {
    randomFillSync(randomPool);
    randomPoolUsed = 0;
  }
  // Canonical bytes 8..15 come first on the wire, then 0..7.
  for (let byte = 0; byte < 16; byte += 1) {
    target[offset + (byte < 8 ? byte + 8 : byte - 8)] = randomPool[randomPoolUsed + byte] as number;
  }
  randomPoolUsed += 16;
  // Version 4 (canonical byte 6) and the RFC 4122 variant (canonical byte 8).
  target[offset + 14] = ((target[offset + 14] as number) & 0x0f) | 0x40;
  target[offset] = ((target[offset] as number) & 0x3f) | 0x80;
}

/** Swaps the two halves of a canonical UUID string (the transformation the wire applies), for diagnostics and tests. */
export function swapUuidHalves(uuid: string): string {
  const bytes = new Uint8Array(16);
  writeWireUuid(uuid, bytes, 0);
  let out = '';
  for (let byte = 0; byte < 16; byte += 1) {
    if (byte === 4 || byte === 6 || byte === 8 || byte === 10) out += '-';
    out += HEX[bytes[byte] as number];
  }
  return out;
}
