import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { OutputUsageError } from './errors.js';
import { KeptOutput } from './kept-output.js';
import { emptyRedactionCounts, type RedactionCounts, type RedactorOptions, StreamingRedactor } from './redactor.js';
import { TerminalRenderer } from './terminal-renderer.js';

/** Options of `createOutputPipeline`. */
export interface OutputPipelineOptions {
  /** Redacted output kept for the file upload; beyond it the output is still read, counted and hashed. */
  readonly maxOutputBytes: number;
  /** Redact secrets (default true). Turning it off is for tests and the benchmark only. */
  readonly redact?: boolean;
  /** How much of the end of the output is kept for the preview's tail, even past `maxOutputBytes`. */
  readonly tailChars?: number;
  /** Batch and carry-over of the streaming redactor (default: its own), e.g. smaller for many runs at once. */
  readonly redactor?: Pick<RedactorOptions, 'batchChars' | 'carryOverChars'>;
}

/** What a finished run printed, ready for the thread, the file upload and the audit entry. */
export interface OutputResult {
  /**
   * Rendered, redacted output, at most `maxOutputBytes` UTF-8 bytes, cut at a line end where possible. Decoded from
   * `bytes` when first read: megabytes of output cost a decode only where the whole text is needed.
   */
  readonly text: string;
  /** `text` as UTF-8, as it is kept: what a file upload sends, with no decode and encode on the way. */
  readonly bytes: Uint8Array;
  /** The last lines of the whole rendered, redacted output (also past the cap), starting at a line start. */
  readonly tail: string;
  /** Raw bytes received from the command. */
  readonly totalBytes: number;
  /** UTF-8 bytes of the whole rendered, redacted output, kept or not. */
  readonly renderedBytes: number;
  /** UTF-8 bytes of `text`. */
  readonly keptBytes: number;
  /** True when `text` is not the whole output. */
  readonly truncated: boolean;
  /** Secrets redacted from the whole output. */
  readonly redactions: number;
  readonly redactionsByKind: Readonly<RedactionCounts>;
  /** Hex SHA-256 of the raw bytes, for the audit entry. */
  readonly sha256: string;
  /** Lines in the whole rendered output (a last line without a newline counts). */
  readonly lineCount: number;
}

/** A streaming output pipeline for one run. */
export interface OutputPipeline {
  /** Adds the next chunk of raw output, in sequence order. @throws OutputUsageError after `end()`. */
  write(chunk: Uint8Array): void;
  /** Marks the end of the output; idempotent. */
  end(): void;
  /** The end of the output as a terminal would show it now, redacted; for the live tail. */
  snapshot(maxChars?: number): string;
  /** The finished output; ends the stream if it was not ended yet. */
  result(): OutputResult;
}

const DEFAULT_TAIL_CHARS = 65_536;
/**
 * Raw bytes are gathered into blocks of this size before they are hashed, decoded and rendered: every step has a
 * cost per call that, paid for each 1 KiB frame, outweighs the work on the bytes themselves.
 */
const RAW_BLOCK_BYTES = 16 * 1024;
const DEFAULT_SNAPSHOT_CHARS = 8192;
const NON_ASCII = /[\x80-\xff]/g;
const ASCII_PROBE_BYTES = 1024;

/**
 * Creates the pipeline every run's output goes through: bytes in sequence order -> UTF-8 decoded across chunk
 * boundaries -> rendered as a terminal shows it -> secrets redacted (also when split across chunks) -> kept up
 * to `maxOutputBytes`. The text it returns is plain: pass it through `neutraliseSlackText` before it becomes
 * Slack markup (the Block Kit builders do), and upload it as it is.
 * @throws OutputUsageError when `maxOutputBytes` is not a non-negative integer.
 */
export function createOutputPipeline(options: OutputPipelineOptions): OutputPipeline {
  if (!Number.isSafeInteger(options.maxOutputBytes) || options.maxOutputBytes < 0) {
    throw new OutputUsageError(`maxOutputBytes must be a non-negative integer, got ${options.maxOutputBytes}`);
  }
  return new Pipeline(
    options.maxOutputBytes,
    options.redact ?? true,
    options.tailChars ?? DEFAULT_TAIL_CHARS,
    options.redactor,
  );
}

class Pipeline implements OutputPipeline {
  // Streaming decode keeps a character split across chunks whole; Node's decoder is several times faster than
  // TextDecoder on 1 KiB chunks.
  private readonly decoder = new StringDecoder('utf8');
  /** The decoder may hold the first bytes of a character, so the next bytes must go through it too. */
  private decoderMayHoldBytes = false;
  private readonly hash = createHash('sha256');
  private readonly renderer = new TerminalRenderer();
  private readonly redactor: StreamingRedactor | undefined;
  // Not from Node's shared 64 KiB pool: kept for the whole run, a slice of the pool would keep all of it alive.
  private readonly rawBlock = Buffer.allocUnsafeSlow(RAW_BLOCK_BYTES);
  private rawBlockUsed = 0;
  private readonly kept: KeptOutput;
  private totalBytes = 0;
  private renderedBytes = 0;
  private newlines = 0;
  private endsWithNewline = true;
  /** Recent output pieces, oldest first, trimmed to about `tailChars`; joined only when read. */
  private tailPieces: string[] = [];
  private tailPiecesChars = 0;
  private tailIsWhole = true;
  private finished: OutputResult | undefined;

  constructor(
    maxOutputBytes: number,
    redact: boolean,
    private readonly tailChars: number,
    redactorOptions?: RedactorOptions,
  ) {
    this.redactor = redact ? new StreamingRedactor(redactorOptions) : undefined;
    this.kept = new KeptOutput(maxOutputBytes);
  }

  write(chunk: Uint8Array): void {
    if (this.finished) throw new OutputUsageError('output written after the run ended');
    this.totalBytes += chunk.byteLength;
    if (this.rawBlockUsed + chunk.byteLength > RAW_BLOCK_BYTES) this.flushRaw();
    if (chunk.byteLength >= RAW_BLOCK_BYTES) {
      this.process(chunk);
      return;
    }
    this.rawBlock.set(chunk, this.rawBlockUsed);
    this.rawBlockUsed += chunk.byteLength;
  }

  end(): void {
    if (this.finished) return;
    this.flushRaw();
    this.renderer.write(this.decoder.end());
    const rest = this.renderer.end();
    this.countRendered(rest);
    if (this.redactor) {
      this.acceptAll(this.redactor.pushPieces([rest]));
      this.acceptAll(this.redactor.endPieces());
    } else {
      this.accept(rest);
    }
    const change = this.redactor?.sizeChange ?? { bytes: 0, newlines: 0 };
    const lineCount = this.newlines + change.newlines + (this.endsWithNewline ? 0 : 1);
    const bytes = this.kept.take();
    const finished = {
      text: '',
      bytes,
      tail: this.tail(),
      totalBytes: this.totalBytes,
      renderedBytes: this.renderedBytes + change.bytes,
      keptBytes: this.kept.bytes,
      truncated: this.kept.truncated,
      redactions: this.redactor?.redactions ?? 0,
      redactionsByKind: { ...(this.redactor?.redactionsByKind ?? emptyRedactionCounts()) },
      sha256: this.hash.digest('hex'),
      lineCount,
    };
    let text: string | undefined;
    // An own, enumerable property still, so the result spreads, compares and serialises as a plain object would.
    // Buffer#toString decodes several times faster than TextDecoder on Node 24 (1.3x on 22), and keeps a byte order
    // mark as the character it was printed as.
    Object.defineProperty(finished, 'text', { enumerable: true, get: () => (text ??= bytes.toString('utf8')) });
    this.finished = finished;
  }

  snapshot(maxChars: number = DEFAULT_SNAPSHOT_CHARS): string {
    if (this.finished) return lastLines(this.finished.tail, maxChars);
    // Finished lines go on as usual; the line being drawn may still change, so it is only looked at.
    this.flushRaw();
    const current = this.renderer.currentLine();
    const unfinished = this.redactor ? this.redactor.peek(current) : current;
    return lastLines(this.tail() + unfinished, maxChars);
  }

  result(): OutputResult {
    this.end();
    // biome-ignore lint/style/noNonNullAssertion: end() always sets it
    return this.finished!;
  }

  /** Hashes, decodes and renders the gathered raw bytes. */
  private flushRaw(): void {
    if (this.rawBlockUsed === 0) return;
    const block = this.rawBlock.subarray(0, this.rawBlockUsed);
    this.rawBlockUsed = 0;
    this.process(block);
  }

  private process(bytes: Uint8Array): void {
    this.hash.update(bytes);
    this.decode(bytes);
    this.passOnCommitted();
  }

  /**
   * Decodes `bytes` into the renderer. ASCII stretches are copied as one-byte strings and only the lines with
   * other characters go through the UTF-8 decoder: one such character would make V8 store the whole block as a
   * two-byte string, and every later step (rendering, redaction, encoding) on twice the bytes.
   */
  private decode(bytes: Uint8Array): void {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!this.decoderMayHoldBytes && isAscii(buffer)) {
      this.renderer.write(buffer.toString('latin1'));
      return;
    }
    // Every byte of a one-byte string is its own character, so searching it finds byte offsets.
    const latin1 = buffer.toString('latin1');
    const length = latin1.length;
    let asciiFrom = 0;
    let pos = 0;
    while (pos < length) {
      let utf8Start = pos;
      if (!this.decoderMayHoldBytes) {
        // Whole ASCII stretches are skipped by a fast native check; only the others are searched byte by byte.
        const probeEnd = Math.min(pos + ASCII_PROBE_BYTES, length);
        if (isAscii(buffer.subarray(pos, probeEnd))) {
          pos = probeEnd;
          continue;
        }
        NON_ASCII.lastIndex = pos;
        NON_ASCII.test(latin1);
        utf8Start = NON_ASCII.lastIndex - 1;
        if (utf8Start > asciiFrom) this.renderer.write(latin1.slice(asciiFrom, utf8Start));
      }
      // Up to the end of the line: the newline leaves the decoder holding nothing.
      const lineEnd = latin1.indexOf('\n', utf8Start);
      const utf8End = lineEnd === -1 ? length : lineEnd + 1;
      this.renderer.write(this.decoder.write(buffer.subarray(utf8Start, utf8End)));
      this.decoderMayHoldBytes = lineEnd === -1 && latin1.charCodeAt(length - 1) >= 0x80;
      pos = asciiFrom = utf8End;
    }
    if (asciiFrom < length) this.renderer.write(asciiFrom === 0 ? latin1 : latin1.slice(asciiFrom));
  }

  /** Hands the lines the renderer finished to the redactor (or straight on without redaction). */
  private passOnCommitted(): void {
    const pieces = this.renderer.takeCommittedPieces();
    if (pieces.length === 0) return;
    for (const piece of pieces) this.countRendered(piece);
    if (this.redactor) this.acceptAll(this.redactor.pushPieces(pieces));
    else this.acceptAll(pieces);
  }

  /**
   * Counts rendered text before redaction, whose few changes the redactor reports: the pieces the renderer hands
   * on are mostly one-byte strings, while the redactor's output is one string that a single non-ASCII line turns
   * two-byte, which is several times slower to measure.
   */
  private countRendered(piece: string): void {
    this.renderedBytes += Buffer.byteLength(piece, 'utf8');
    this.newlines += countNewlines(piece);
  }

  private acceptAll(pieces: readonly string[]): void {
    for (const piece of pieces) this.accept(piece);
  }

  private accept(text: string): void {
    if (text.length === 0) return;
    this.endsWithNewline = text.charCodeAt(text.length - 1) === 0x0a;
    this.appendTail(text);
    this.kept.add(text);
  }

  private appendTail(text: string): void {
    this.tailPieces.push(text);
    this.tailPiecesChars += text.length;
    while (this.tailPiecesChars - (this.tailPieces[0]?.length ?? 0) >= this.tailChars) {
      this.tailPiecesChars -= this.tailPieces.shift()?.length ?? 0;
      this.tailIsWhole = false;
    }
  }

  /** The last `tailChars` or so of the output, starting at a line start unless it is the whole output. */
  private tail(): string {
    const joined = this.tailPieces.join('');
    const trimmed = joined.length > this.tailChars ? joined.slice(-this.tailChars) : joined;
    return this.tailIsWhole && trimmed === joined ? joined : dropPartialFirstLine(trimmed);
  }
}

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

function dropPartialFirstLine(text: string): string {
  const firstBreak = text.indexOf('\n');
  return firstBreak >= 0 && firstBreak < text.length - 1 ? text.slice(firstBreak + 1) : text;
}

/** The end of `text`, at most `maxChars`, starting at a line start when a line break allows it. */
function lastLines(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return dropPartialFirstLine(text.slice(-maxChars));
}
