/**
 * Finds every occurrence of many literal keywords in one pass over the text (an Aho-Corasick automaton, as secret
 * scanners use to decide which rules to run). Running each rule's regular expression over all output would cost
 * one pass per rule; this costs one pass for all of them, and the rules then run only around the keywords found.
 */

/** A keyword to look for; `anyCase` keywords match whatever the letter case of the text. */
export interface Keyword {
  readonly text: string;
  readonly anyCase: boolean;
}

const ALPHABET = 128;
/** Characters are first mapped to classes (each keyword character, folded to lower case, and "any other"), so a
 * row of the transition table is 64 entries of 16 bits and the rows the scan visits most stay in cache. */
const CLASS_BITS = 6;
const MAX_CLASSES = 1 << CLASS_BITS;
const LANES = 4;
/** Below four times this, one pass is as fast and simpler. */
const LANE_MIN_CHARS = 256;

export class KeywordScanner {
  /** Next state for (state, character class); one flat table keeps the loop tight. */
  private readonly delta: Uint16Array;
  /** Character class of each byte; 0 for bytes no keyword has (all of those above ASCII). */
  private readonly classOf = new Uint8Array(256);
  /** States numbered at or above this one end at least one keyword, so the hot loop tests one comparison. */
  private readonly firstOutputState: number;
  /** For each output state: the keywords (indexes into `keywords`) that end there. */
  private readonly outputs: (readonly number[])[];
  /** Length of the longest keyword. */
  private readonly longest: number;
  /** The text as bytes, reused from scan to scan: a fresh buffer per scan was mostly garbage to collect. */
  private bytes: Buffer = Buffer.alloc(0);

  /** @throws RangeError for an empty keyword or one with a character outside ASCII. */
  constructor(private readonly keywords: readonly Keyword[]) {
    const children: Map<number, number>[] = [new Map()];
    const ends: number[][] = [[]];
    keywords.forEach((keyword, index) => {
      if (keyword.text.length === 0 || !/^[\x20-\x7e]+$/.test(keyword.text)) {
        throw new RangeError(`keyword ${JSON.stringify(keyword.text)} must be printable ASCII`);
      }
      let state = 0;
      for (const char of keyword.text.toLowerCase()) {
        const code = char.charCodeAt(0);
        let next = children[state]?.get(code);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          ends.push([]);
          children[state]?.set(code, next);
        }
        state = next;
      }
      ends[state]?.push(index);
    });
    const count = children.length;
    const fail = new Int32Array(count);
    const raw = new Int32Array(count * ALPHABET);
    const order: number[] = [];
    const queue: number[] = [0];
    // Breadth-first, so a state's failure link is complete before its children need it.
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number;
      order.push(state);
      const kids = children[state] as Map<number, number>;
      for (let code = 0; code < ALPHABET; code++) {
        const lower = code >= 65 && code <= 90 ? code + 32 : code;
        const child = kids.get(lower);
        const viaFail = state === 0 ? 0 : (raw[(fail[state] as number) * ALPHABET + code] as number);
        if (child === undefined) {
          raw[state * ALPHABET + code] = viaFail;
        } else {
          raw[state * ALPHABET + code] = child;
          if (code === lower) {
            fail[child] = viaFail;
            // A keyword that ends inside a longer one is reported too.
            for (const k of ends[viaFail] ?? []) ends[child]?.push(k);
            queue.push(child);
          }
        }
      }
    }
    // Renumber: states without output first, then the others.
    const renumbered = new Int32Array(count);
    const withOutput = order.filter((s) => (ends[s]?.length ?? 0) > 0);
    const without = order.filter((s) => (ends[s]?.length ?? 0) === 0);
    [...without, ...withOutput].forEach((oldState, newState) => {
      renumbered[oldState] = newState;
    });
    this.firstOutputState = without.length;
    let classes = 1;
    const representative = [0];
    for (let code = 0; code < ALPHABET; code++) {
      const lower = code >= 65 && code <= 90 ? code + 32 : code;
      if (lower !== code) continue;
      if (keywords.some((k) => k.text.toLowerCase().includes(String.fromCharCode(code)))) {
        this.classOf[code] = classes;
        representative.push(code);
        classes++;
      }
    }
    for (let code = 65; code <= 90; code++) this.classOf[code] = this.classOf[code + 32] as number;
    if (classes > MAX_CLASSES || count > 0xffff) {
      throw new RangeError(
        `keywords use ${classes} different characters in ${count} states; at most ${MAX_CLASSES} and 65535`,
      );
    }
    this.delta = new Uint16Array(count << CLASS_BITS);
    for (let s = 0; s < count; s++) {
      representative.forEach((code, cls) => {
        this.delta[((renumbered[s] as number) << CLASS_BITS) | cls] = renumbered[
          raw[s * ALPHABET + code] as number
        ] as number;
      });
    }
    this.outputs = withOutput.map((s) => ends[s] ?? []);
    this.longest = Math.max(1, ...keywords.map((k) => k.text.length));
    this.warmUp();
  }

  /**
   * Scans a made-up text with every keyword in every lane, long and short. Code the JIT optimises before a path has
   * run deoptimises when output first takes that path, and runs the rest of that scan unoptimised: real output
   * takes the rare paths (a hit in the fourth lane, an exact-case keyword) only now and then, which left the first
   * hundred megabytes of a process scanned several times slower.
   */
  private warmUp(): void {
    const all = this.keywords.map((k) => k.text).join(' ');
    const quarter = `${'.'.repeat(LANE_MIN_CHARS)} ${all} ${all.toUpperCase()}`;
    this.scanParts([quarter.repeat(LANES), ' '], () => {});
    this.scan(all, () => {});
  }

  /**
   * Calls `onHit(keywordIndex, start)` for each keyword occurrence, in order of where the keyword ends.
   * Keywords that are not `anyCase` are checked against the exact letters of the text (a character beyond Latin-1
   * can pass for one, as in `scanParts`: an occurrence too many, never one missed).
   */
  scan(text: string, onHit: (keywordIndex: number, start: number) => void): void {
    this.scanParts([text], onHit);
  }

  /**
   * The same over the text the parts make when joined, without joining them: a joined string is stored two bytes
   * per character as soon as one part is, and most of the output is one-byte text.
   */
  scanParts(parts: readonly string[], onHit: (keywordIndex: number, start: number) => void): void {
    // Bytes are read several times faster than characters. One byte per UTF-16 unit keeps positions the same; a
    // character outside Latin-1 loses its high byte, which can only add a keyword occurrence that the rule then
    // does not confirm, never hide one (keywords are ASCII, and the automaton finds a keyword whatever precedes it).
    let total = 0;
    for (const part of parts) total += part.length;
    if (this.bytes.length < total) this.bytes = Buffer.allocUnsafe(Math.max(total, 64 * 1024));
    let length = 0;
    for (const part of parts) length += this.bytes.write(part, length, part.length, 'latin1');
    const bytes = this.bytes;
    const classOf = this.classOf;
    const delta = this.delta;
    const firstOutput = this.firstOutputState;
    const hits: number[] = [];
    if (length < LANE_MIN_CHARS * LANES) {
      this.scanLane(bytes, 0, 0, length, hits);
      this.report(hits, onHit);
      return;
    }
    // Each step of the automaton waits for the previous one's table lookup, so one pass runs at the speed of that
    // chain, not of the processor. Four passes over four quarters of the text, interleaved in one loop, give the
    // processor four independent chains to overlap. A quarter starts in the state its first character would be
    // reached in: the pass first reads the `longest - 1` characters before it, reporting nothing there.
    const quarter = Math.ceil(length / LANES);
    const q1 = quarter;
    const q2 = 2 * quarter;
    const q3 = 3 * quarter;
    const warmUp = this.longest - 1;
    let s0 = 0;
    let s1 = this.scanLane(bytes, 0, Math.max(0, q1 - warmUp), q1, undefined);
    let s2 = this.scanLane(bytes, 0, Math.max(0, q2 - warmUp), q2, undefined);
    let s3 = this.scanLane(bytes, 0, Math.max(0, q3 - warmUp), q3, undefined);
    const h1: number[] = [];
    const h2: number[] = [];
    const h3: number[] = [];
    // The last quarter may be shorter: the shared loop covers what all four have, the rest is finished alone.
    const common = length - q3;
    for (let i = 0; i < common; i++) {
      s0 = delta[(s0 << CLASS_BITS) | (classOf[bytes[i] as number] as number)] as number;
      s1 = delta[(s1 << CLASS_BITS) | (classOf[bytes[q1 + i] as number] as number)] as number;
      s2 = delta[(s2 << CLASS_BITS) | (classOf[bytes[q2 + i] as number] as number)] as number;
      s3 = delta[(s3 << CLASS_BITS) | (classOf[bytes[q3 + i] as number] as number)] as number;
      if (s0 >= firstOutput) hits.push(i, s0);
      if (s1 >= firstOutput) h1.push(q1 + i, s1);
      if (s2 >= firstOutput) h2.push(q2 + i, s2);
      if (s3 >= firstOutput) h3.push(q3 + i, s3);
    }
    this.scanLane(bytes, s0, common, q1, hits);
    this.scanLane(bytes, s1, q1 + common, q2, h1);
    this.scanLane(bytes, s2, q2 + common, q3, h2);
    this.report(hits, onHit);
    this.report(h1, onHit);
    this.report(h2, onHit);
    this.report(h3, onHit);
  }

  /**
   * Runs from `initialState` over `bytes[from, to)`, adding (position, state) pairs where a keyword ends to `hits` when
   * given; returns the state reached.
   */
  private scanLane(
    bytes: Uint8Array,
    initialState: number,
    from: number,
    to: number,
    hits: number[] | undefined,
  ): number {
    let state = initialState;
    const delta = this.delta;
    const classOf = this.classOf;
    const firstOutput = this.firstOutputState;
    for (let i = from; i < to; i++) {
      state = delta[(state << CLASS_BITS) | (classOf[bytes[i] as number] as number)] as number;
      if (state >= firstOutput && hits) hits.push(i, state);
    }
    return state;
  }

  private report(hits: readonly number[], onHit: (keywordIndex: number, start: number) => void): void {
    for (let h = 0; h < hits.length; h += 2) {
      const end = hits[h] as number;
      for (const index of this.outputs[(hits[h + 1] as number) - this.firstOutputState] ?? []) {
        const keyword = this.keywords[index] as Keyword;
        const start = end + 1 - keyword.text.length;
        if (keyword.anyCase || this.hasExactly(keyword.text, start)) onHit(index, start);
      }
    }
  }

  /** Whether the scanned bytes at `start` are `keyword`'s exact letters (see `scanParts` on the bytes). */
  private hasExactly(keyword: string, start: number): boolean {
    for (let k = 0; k < keyword.length; k++) {
      if (this.bytes[start + k] !== keyword.charCodeAt(k)) return false;
    }
    return true;
  }
}
