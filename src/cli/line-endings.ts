const CR = 0x0d;
const LF = 0x0a;

/**
 * Turns a terminal's CRLF back into LF, for output that goes to a pipe or a file when the remote terminal could not
 * be told to stop inserting CRs (no wrapper, or no stty in the container). Streaming-safe: a CR at the end of a
 * chunk is held until the next byte shows whether it starts a CRLF. A lone CR (a progress line) is kept.
 */
export function createCrlfToLf(): { push(chunk: Uint8Array): Uint8Array; end(): Uint8Array } {
  let pendingCr = false;
  return {
    push(chunk) {
      const out = Buffer.allocUnsafe(chunk.length + 1);
      let n = 0;
      let i = 0;
      if (pendingCr) {
        pendingCr = false;
        if (chunk[0] !== LF) out[n++] = CR;
      }
      for (; i < chunk.length; i += 1) {
        const byte = chunk[i] as number;
        if (byte === CR) {
          if (i + 1 === chunk.length) {
            pendingCr = true;
            continue;
          }
          if (chunk[i + 1] === LF) continue;
        }
        out[n++] = byte;
      }
      return out.subarray(0, n);
    },
    end() {
      const held = pendingCr;
      pendingCr = false;
      return held ? Uint8Array.of(CR) : new Uint8Array(0);
    },
  };
}
