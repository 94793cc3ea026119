/**
 * Text held as the pieces it arrived in. V8 stores a string as one byte per character until it holds a character
 * beyond Latin-1, and a string joined from pieces is two-byte if any piece is: kept apart, the rare line with such
 * a character does not double the cost of every later step (encoding, searching, copying) on all the text around
 * it. Ranges of the whole are read back as slices of the pieces, so one-byte pieces stay one-byte.
 */
export class TextPieces {
  private pieces: string[] = [];
  /** Where each piece starts in the whole text. */
  private starts: number[] = [];
  private length = 0;

  get chars(): number {
    return this.length;
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
