/**
 * What every command glob asks about the same command, worked out once per command: which characters it holds,
 * where the runs a `*` may cover end (at shell separators), where the pieces of a compound command lie, and where a
 * literal next occurs. A policy of 200 rules asks these questions hundreds of times about one command.
 */

const ASCII = 128;
const DOLLAR = 36;
const OPEN_PAREN = 40;

function asciiTable(chars: string): Uint8Array {
  const table = new Uint8Array(ASCII);
  for (const char of chars) table[char.charCodeAt(0)] = 1;
  return table;
}

/** Characters that let a shell start another command; `*` and `?` never match them. */
const SEPARATOR = asciiTable(';&|`$()<>\n\r');
/** Characters that end a piece of a compound command; `$` only when it opens `$(`. */
const PIECE_BREAK = asciiTable(';&|`()\n\r');

/** Whether `*` and `?` may match this character. */
export function isOrdinary(code: number): boolean {
  return code >= ASCII || SEPARATOR[code] !== 1;
}

/** Whether this character ends a piece of a compound command (`$` is checked for `$(` by the caller). */
export function isPieceBreak(code: number): boolean {
  return code < ASCII && PIECE_BREAK[code] === 1;
}

/** Whether `$` at this index opens `$(`. */
export function opensSubshell(text: string, index: number): boolean {
  return text.charCodeAt(index) === DOLLAR && text.charCodeAt(index + 1) === OPEN_PAREN;
}

/** What `String.prototype.trim` removes, so a piece is trimmed exactly as a split-and-trim would. */
export function isTrimmed(code: number): boolean {
  if (code === 32 || (code >= 9 && code <= 13)) return true;
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/**
 * Buffers every analysis writes into, grown as needed and never freed: a 64 KiB command would otherwise leave a few
 * hundred kilobytes of indexes behind per evaluation, and the garbage collector's pauses, not the matching, made the
 * slowest evaluations. Only the analysis of the last command is ever in use (`CommandText.of`), so the next one may
 * take them over.
 */
const shared: { separators: Int32Array; pieceBounds: Int32Array; pairs: Uint8Array } = {
  separators: new Int32Array(1024),
  pieceBounds: new Int32Array(1024),
  /** One byte per pair of adjacent ASCII characters: whether the command holds that pair somewhere. */
  pairs: new Uint8Array(ASCII * ASCII),
};

/**
 * For each literal asked about: its occurrences found so far in the command analysed by `analysis`, and up to where
 * that command was searched. Kept from one command to the next and reset on first use, so the few hundred literals of
 * a policy do not leave a few hundred records and arrays behind per evaluation.
 */
interface Occurrences {
  analysis: number;
  positions: number[];
  count: number;
  searchedTo: number;
}
const occurrencesByLiteral = new Map<string, Occurrences>();
/** A policy holds a few hundred literals; past this many (policies reloaded many times), start again. */
const MAX_REMEMBERED_LITERALS = 20_000;
/** Longest list of positions kept for the next command; a longer one is dropped. */
const MAX_KEPT_POSITIONS = 1024;
let analysesMade = 0;

function atLeast(buffer: Int32Array, length: number): Int32Array {
  return buffer.length >= length ? buffer : new Int32Array(Math.max(length, buffer.length * 2));
}

/** The first index in a sorted list whose value is at least `value` (the list's length when there is none). */
function lowerBound(sorted: Int32Array, value: number, count = sorted.length): number {
  let low = 0;
  let high = count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * A command with its answers worked out; get one with `CommandText.of`. It stays valid until another command is
 * analysed: the indexes live in buffers the next analysis reuses.
 */
export class CommandText {
  readonly length: number;
  private readonly ascii = new Uint8Array(ASCII);
  private readonly other = new Set<number>();
  /** Indexes of the separators, ascending. */
  private readonly separators: Int32Array;
  private readonly separatorCount: number;
  /** Start and end of each trimmed, non-empty piece, in order (ends ascending); worked out on first use. */
  private pieceBounds: Int32Array | undefined;
  private pieceCount = 0;
  /** Tells this analysis's occurrence records from those of earlier commands. */
  private readonly analysis = ++analysesMade;

  private constructor(readonly text: string) {
    this.length = text.length;
    shared.separators = atLeast(shared.separators, text.length);
    const separators = shared.separators;
    const pairs = shared.pairs;
    pairs.fill(0);
    let count = 0;
    let previous = ASCII;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < ASCII) {
        this.ascii[code] = 1;
        if (previous < ASCII) pairs[previous * ASCII + code] = 1;
        if (SEPARATOR[code] === 1) separators[count++] = i;
      } else this.other.add(code);
      previous = code;
    }
    this.separators = separators;
    this.separatorCount = count;
  }

  private static last: CommandText | undefined;
  /** The string last asked about: an equal copy of a command costs one comparison, then none. */
  private static lastAsked: string | undefined;

  /** The analysis of a command; the last one is kept, as every rule asks about the same command in turn. */
  static of(text: string): CommandText {
    const last = CommandText.last;
    if (last && (text === CommandText.lastAsked || text === last.text)) {
      CommandText.lastAsked = text;
      return last;
    }
    const fresh = new CommandText(text);
    CommandText.last = fresh;
    CommandText.lastAsked = text;
    return fresh;
  }

  hasCharacter(code: number): boolean {
    return code < ASCII ? this.ascii[code] === 1 : this.other.has(code);
  }

  /**
   * False when the command certainly does not contain `literal`: one of its characters, or of its pairs of adjacent
   * ASCII characters, is nowhere in it. Most literals of a policy are absent from a given command, and this answers
   * for them without reading the command again.
   */
  private mayContain(literal: string): boolean {
    const pairs = shared.pairs;
    let previous = ASCII;
    for (let i = 0; i < literal.length; i++) {
      const code = literal.charCodeAt(i);
      if (!this.hasCharacter(code)) return false;
      if (previous < ASCII && code < ASCII && pairs[previous * ASCII + code] !== 1) return false;
      previous = code;
    }
    return true;
  }

  /** Index of the first separator at or after `index`, or the length of the command. */
  nextSeparator(index: number): number {
    const at = lowerBound(this.separators, index, this.separatorCount);
    return at < this.separatorCount ? (this.separators[at] as number) : this.length;
  }

  /** Where the run of ordinary characters holding `index` begins: just after the last separator before it. */
  runStart(index: number): number {
    const at = lowerBound(this.separators, index, this.separatorCount);
    return at === 0 ? 0 : (this.separators[at - 1] as number) + 1;
  }

  /**
   * Index of the first occurrence of `literal` at or after `from`, or -1. Occurrences are remembered, and the command
   * is searched for each literal at most once in all: hundreds of globs ask for the same literals, piece after piece.
   */
  find(literal: string, from: number): number {
    let entry = occurrencesByLiteral.get(literal);
    if (!entry) {
      if (occurrencesByLiteral.size >= MAX_REMEMBERED_LITERALS) occurrencesByLiteral.clear();
      entry = { analysis: 0, positions: [], count: 0, searchedTo: 0 };
      occurrencesByLiteral.set(literal, entry);
    }
    if (entry.analysis !== this.analysis) {
      entry.analysis = this.analysis;
      entry.count = 0;
      // A literal frequent in one command should not keep that much memory for good.
      if (entry.positions.length > MAX_KEPT_POSITIONS) entry.positions = [];
      entry.searchedTo = this.mayContain(literal) ? 0 : this.length + 1;
    }
    const { positions } = entry;
    let low = 0;
    let high = entry.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((positions[middle] as number) < from) low = middle + 1;
      else high = middle;
    }
    if (low < entry.count) return positions[low] as number;
    while (entry.searchedTo <= this.length) {
      const found = this.text.indexOf(literal, entry.searchedTo);
      if (found === -1) {
        entry.searchedTo = this.length + 1;
        break;
      }
      positions[entry.count++] = found;
      entry.searchedTo = found + 1;
      if (found >= from) return found;
    }
    return -1;
  }

  /** The trimmed, non-empty pieces between shell separators, as start/end pairs (`pieceCount` of them). */
  pieces(): Int32Array {
    if (this.pieceBounds) return this.pieceBounds;
    // At most one piece per two characters, plus one: two slots each.
    shared.pieceBounds = atLeast(shared.pieceBounds, this.length + 2);
    const bounds = shared.pieceBounds;
    const text = this.text;
    let count = 0;
    let start = -1;
    let lastKept = -1;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (isPieceBreak(code) || opensSubshell(text, i)) {
        if (start !== -1) {
          bounds[count * 2] = start;
          bounds[count * 2 + 1] = lastKept + 1;
          count++;
        }
        start = -1;
        if (code === DOLLAR) i++;
        continue;
      }
      if (isTrimmed(code)) continue;
      if (start === -1) start = i;
      lastKept = i;
    }
    if (start !== -1) {
      bounds[count * 2] = start;
      bounds[count * 2 + 1] = lastKept + 1;
      count++;
    }
    this.pieceCount = count;
    this.pieceBounds = bounds;
    return bounds;
  }

  /** How many pieces `pieces()` holds. */
  piecesFound(): number {
    this.pieces();
    return this.pieceCount;
  }

  /** The index (in pairs) of the first piece that ends after `index`. */
  pieceEndingAfter(index: number, from: number): number {
    const bounds = this.pieces();
    let low = from;
    let high = this.pieceCount;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((bounds[middle * 2 + 1] as number) <= index) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
