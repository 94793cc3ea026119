/**
 * Text held as the pieces it arrived in. V8 stores a string as one byte per character until it holds a character
 * beyond Latin-1, and a string joined from pieces is two-byte if any piece is: kept apart, the rare line with such
 * a character does not double the cost of every later step (encoding, searching, copying) on all the text around
 * it. Ranges of the whole are read back as slices of the pieces, so one-byte pieces stay one-byte.
 */
export class TextPieces {
  /** The whole of `text` as one piece. */
  static of(text: string): TextPieces {
    const pieces = new TextPieces();
    pieces.add(text);
    return pieces;
  }

  private pieces: string[] = [];
  /** Where each piece starts in the whole text. */
  private starts: number[] = [];
  private length = 0;

  get chars(): number {
    return this.length;
  }

  /** The pieces, for reading in order. */
  get parts(): readonly string[] {
    return this.pieces;
  }

  add(piece: string): void {
    if (piece.length === 0) return;
    this.pieces.push(piece);
    this.starts.push(this.length);
    this.length += piece.length;
  }

  /** The whole text as one string, for searching. */
  joined(): string {
    return this.pieces.length === 1 ? (this.pieces[0] as string) : this.pieces.join('');
  }

  /** Appends the text of `[from, to)` to `out`, as slices of the pieces. */
  sliceInto(out: string[], from: number, to: number): void {
    if (to <= from) return;
    let index = this.pieceAt(from);
    while (index < this.pieces.length) {
      const piece = this.pieces[index] as string;
      const start = this.starts[index] as number;
      if (start >= to) return;
      const sliceFrom = Math.max(0, from - start);
      const sliceTo = Math.min(piece.length, to - start);
      out.push(sliceFrom === 0 && sliceTo === piece.length ? piece : piece.slice(sliceFrom, sliceTo));
      index++;
    }
  }

  /** The text of `[from, to)` as one string. */
  slice(from: number, to: number): string {
    const parts: string[] = [];
    this.sliceInto(parts, from, to);
    return parts.length === 1 ? (parts[0] as string) : parts.join('');
  }

  /** The UTF-16 unit at `at`, NaN outside the text. */
  charCodeAt(at: number): number {
    if (at < 0 || at >= this.length) return Number.NaN;
    const index = this.pieceAt(at);
    return (this.pieces[index] as string).charCodeAt(at - (this.starts[index] as number));
  }

  /** Where the line holding `at` starts (just after a newline before `at`), but not before `limit`. */
  lineStart(at: number, limit: number): number {
    if (at <= limit) return at;
    for (let index = this.pieceAt(at - 1); index >= 0; index--) {
      const start = this.starts[index] as number;
      if (start + (this.pieces[index] as string).length <= limit) break;
      const found = (this.pieces[index] as string).lastIndexOf('\n', at - 1 - start);
      if (found !== -1) return Math.max(limit, start + found + 1);
      if (start <= limit) break;
    }
    return limit;
  }

  /** Where the first newline at or after `at` is, but not after `limit`. */
  lineEnd(at: number, limit: number): number {
    if (at >= limit) return at;
    for (let index = this.pieceAt(at); index < this.pieces.length; index++) {
      const start = this.starts[index] as number;
      if (start >= limit) break;
      const found = (this.pieces[index] as string).indexOf('\n', Math.max(0, at - start));
      if (found !== -1) return Math.min(limit, start + found);
    }
    return limit;
  }

  /** Drops the text before `at`. */
  dropBefore(at: number): void {
    if (at <= 0) return;
    const rest: string[] = [];
    this.sliceInto(rest, at, this.length);
    this.pieces = [];
    this.starts = [];
    this.length = 0;
    for (const piece of rest) this.add(piece);
  }

  /** The piece holding position `at` (binary search: a batch holds hundreds of pieces). */
  private pieceAt(at: number): number {
    let low = 0;
    let high = this.pieces.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] as number) <= at) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
