import { randomUUID } from 'node:crypto';
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

function hexNibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return code - 55; // A-F; validated by isUuid before we get here
}

/**
 * Writes a canonical UUID as the wire MessageId: canonical bytes 8..15 first, then 0..7 (each half keeps its order).
 * @throws EncodeError when `uuid` is not a canonical UUID string.
 */
export function writeWireUuid(uuid: string, target: Uint8Array, offset: number): void {
  if (!isUuid(uuid)) throw new EncodeError('message_id', `not a UUID: ${JSON.stringify(uuid)}`);
  const hex = uuid.replace(/-/g, '');
  for (let byte = 0; byte < 16; byte += 1) {
    const value = (hexNibble(hex.charCodeAt(byte * 2)) << 4) | hexNibble(hex.charCodeAt(byte * 2 + 1));
    // The wire swaps the two 8-byte halves.
    const wireIndex = byte < 8 ? byte + 8 : byte - 8;
    target[offset + wireIndex] = value;
  }
}

/** Reads a wire MessageId (halves swapped) at `offset` and returns the canonical lowercase UUID string. */
export function readWireUuid(source: Uint8Array, offset: number): string {
  let out = '';
  for (let byte = 0; byte < 16; byte += 1) {
    if (byte === 4 || byte === 6 || byte === 8 || byte === 10) out += '-';
    const wireIndex = byte < 8 ? byte + 8 : byte - 8;
    out += HEX[source[offset + wireIndex] as number];
  }
  return out;
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
