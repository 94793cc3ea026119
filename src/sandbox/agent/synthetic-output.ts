import { createHash } from 'node:crypto';

/** Bytes of the synthetic stream repeat with this period, so a chunk is a cheap slice of one buffer. */
const PERIOD = 94 * 1021;
const PATTERN = (() => {
  const bytes = Buffer.alloc(PERIOD + 64 * 1024);
  for (let p = 0; p < bytes.length; p += 1) bytes[p] = 0x21 + ((p + Math.floor(p / 1021)) % 94);
  return bytes;
})();

/**
 * `length` bytes of the synthetic output stream starting at `offset`: printable ASCII, deterministic, so a client or
 * benchmark can verify what it received without the agent shipping a copy. At most 64 KiB per call.
 */
export function syntheticOutput(offset: number, length: number): Buffer {
  if (length > 64 * 1024) throw new RangeError('syntheticOutput returns at most 64 KiB per call');
  const start = offset % PERIOD;
  return PATTERN.subarray(start, start + length);
}

/** SHA-256 (hex) of the first `totalBytes` bytes of the synthetic output stream. */
export function syntheticOutputSha256(totalBytes: number): string {
  const hash = createHash('sha256');
  for (let offset = 0; offset < totalBytes; offset += 64 * 1024) {
    hash.update(syntheticOutput(offset, Math.min(64 * 1024, totalBytes - offset)));
  }
  return hash.digest('hex');
}
