/** Largest payload the agent puts in one output frame. */
export const MAX_FRAME_PAYLOAD = 1024;

/** Length of the UTF-8 sequence a lead byte starts, or 0 for a byte that cannot start one. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * How many bytes at the end of `bytes` (at most 3) start a UTF-8 character that is not complete yet. Invalid bytes
 * count as complete, so they pass through unchanged instead of being held forever.
 */
export function incompleteTail(bytes: Uint8Array, end = bytes.length): number {
  for (let back = 1; back <= 3 && back <= end; back += 1) {
    const byte = bytes[end - back] as number;
    if ((byte & 0xc0) === 0x80) continue;
    const needed = sequenceLength(byte);
    return needed > back ? back : 0;
  }
  return 0;
}

/**
 * Cuts a byte stream into payloads of at most `max` bytes that never split a UTF-8 character, carrying an
 * incomplete trailing character over to the next chunk as the agent does.
 */
export class Utf8Chunker {
  private carry: Buffer = Buffer.alloc(0);

  constructor(private readonly max = MAX_FRAME_PAYLOAD) {}

  push(data: Buffer): Buffer[] {
    const bytes = this.carry.length > 0 ? Buffer.concat([this.carry, data]) : data;
    const out: Buffer[] = [];
    let start = 0;
    while (bytes.length - start > this.max) {
      let end = start + this.max;
      end -= incompleteTail(bytes.subarray(start, end));
      out.push(bytes.subarray(start, end));
      start = end;
    }
    const rest = bytes.subarray(start);
    const hold = incompleteTail(rest);
    if (rest.length - hold > 0) out.push(rest.subarray(0, rest.length - hold));
    this.carry = Buffer.from(rest.subarray(rest.length - hold));
    return out;
  }

  /** Whatever is still held (an incomplete character at the very end of the stream). */
  flush(): Buffer[] {
    const rest = this.carry;
    this.carry = Buffer.alloc(0);
    return rest.length > 0 ? [rest] : [];
  }
}
