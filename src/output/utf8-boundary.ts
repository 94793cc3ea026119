/**
 * The largest length up to `maxBytes` at which UTF-8 `bytes` can be cut without splitting a character: a cut never
 * falls before a continuation byte (10xxxxxx).
 */
export function utf8CutLength(bytes: Uint8Array, maxBytes: number): number {
  if (maxBytes <= 0) return 0;
  if (bytes.length <= maxBytes) return bytes.length;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return end;
}
