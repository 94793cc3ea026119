import { utf8CutLength } from './utf8-boundary.js';

/**
 * The redacted output kept for the file upload, up to a byte cap, as UTF-8 in blocks outside the JS heap: megabytes
 * of strings on the heap would be copied by every young-generation collection until promoted, which cost more than
 * the encoding. Pieces are encoded straight into a block, one copy, instead of one small buffer each.
 */
const BLOCK_BYTES = 64 * 1024;

export class KeptOutput {
  /** Filled blocks, each cut to its used bytes. */
  private readonly blocks: Buffer[] = [];
  private block: Buffer | undefined;
  private blockUsed = 0;
  private keptBytes = 0;
  /** Kept bytes up to and including the last newline in them. */
  private lineEndBytes = 0;
  private cutShort = false;

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.keptBytes;
  }

  /** True once some output did not fit. */
  get truncated(): boolean {
    return this.cutShort;
  }

  /** Keeps `text` if it fits; the first text that does not is cut at a line end where possible, and ends keeping. */
  add(text: string): void {
    if (this.cutShort || text.length === 0) return;
    const room = this.maxBytes - this.keptBytes;
    // A UTF-16 unit takes at most 3 UTF-8 bytes: most pieces fit without being measured.
    const bytes = text.length * 3 <= room ? -1 : Buffer.byteLength(text, 'utf8');
    if (bytes > room) {
      this.cut(Buffer.from(text, 'utf8'), room);
      return;
    }
    let block = this.block;
    if (!block || block.length - this.blockUsed < (bytes === -1 ? text.length * 3 : bytes)) {
      const needed = bytes === -1 ? Buffer.byteLength(text, 'utf8') : bytes;
      if (!block || block.length - this.blockUsed < needed) block = this.newBlock(needed, room);
    }
    const start = this.blockUsed;
    const written = block.write(text, start, 'utf8');
    this.blockUsed += written;
    this.keptBytes += written;
    if (text.charCodeAt(text.length - 1) === 0x0a) this.lineEndBytes = this.keptBytes;
    else if (text.includes('\n')) {
      this.lineEndBytes = this.keptBytes - this.blockUsed + block.lastIndexOf(0x0a, this.blockUsed - 1) + 1;
    }
  }

  /** The kept output as one UTF-8 buffer; the blocks are let go, so call it once, at the end. */
  take(): Buffer {
    this.closeBlock();
    const whole = Buffer.concat(this.blocks, this.keptBytes);
    this.blocks.length = 0;
    return whole;
  }

  private newBlock(needed: number, room: number): Buffer {
    this.closeBlock();
    // Not from Node's shared 64 KiB pool: kept until the run ends, a slice of the pool would keep all of it alive.
    this.block = Buffer.allocUnsafeSlow(Math.min(Math.max(BLOCK_BYTES, needed), room));
    return this.block;
  }

  private closeBlock(): void {
    if (this.block && this.blockUsed > 0) this.blocks.push(this.block.subarray(0, this.blockUsed));
    this.block = undefined;
    this.blockUsed = 0;
  }

  private cut(encoded: Buffer, fits: number): void {
    this.cutShort = true;
    this.closeBlock();
    const lineEnd = fits > 0 ? encoded.lastIndexOf(0x0a, fits - 1) : -1;
    if (lineEnd >= 0) {
      this.blocks.push(ownCopy(encoded.subarray(0, lineEnd + 1)));
      this.keptBytes += lineEnd + 1;
    } else if (this.lineEndBytes > 0) {
      // The cut falls at the last line end kept so far, wherever the pieces happened to meet.
      this.dropAfter(this.lineEndBytes);
    } else {
      const piece = ownCopy(encoded.subarray(0, utf8CutLength(encoded, fits)));
      this.blocks.push(piece);
      this.keptBytes += piece.length;
    }
  }

  /** Shortens the kept output to its first `bytes` bytes. */
  private dropAfter(bytes: number): void {
    while (this.keptBytes > bytes) {
      const last = this.blocks.pop();
      if (!last) break;
      this.keptBytes -= last.length;
      if (this.keptBytes < bytes) {
        this.blocks.push(last.subarray(0, bytes - this.keptBytes));
        this.keptBytes = bytes;
      }
    }
  }
}

/** `bytes` in memory of its own: a small encoded string is a slice of Node's shared pool, kept alive with it. */
function ownCopy(bytes: Buffer): Buffer {
  const own = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(own);
  return own;
}
