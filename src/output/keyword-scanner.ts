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
  /** Character class of each ASCII character; 0 for characters no keyword has. */
  private readonly classOf = new Uint8Array(ALPHABET);
  /** States numbered at or above this one end at least one keyword, so the hot loop tests one comparison. */
  private readonly firstOutputState: number;
  /** For each output state: the keywords (indexes into `keywords`) that end there. */
  private readonly outputs: (readonly number[])[];
  /** Length of the longest keyword. */
  private readonly longest: number;

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
  }

  /**
   * Calls `onHit(keywordIndex, start)` for each keyword occurrence, in order of where the keyword ends.
   * Keywords that are not `anyCase` are checked against the exact letters of the text.
   */
  scan(text: string, onHit: (keywordIndex: number, start: number) => void): void {
    const length = text.length;
    if (length < LANE_MIN_CHARS * LANES) {
      this.report(text, this.scanLane(text, 0, 0, length), onHit);
      return;
    }
    // Each step of the automaton waits for the previous one's table lookup, so one pass runs at the speed of that
    // chain, not of the processor. Four passes over four quarters of the text, interleaved in one loop, give the
    // processor four independent chains to overlap. A quarter starts in the state its first character would be
    // reached in: the pass first reads the `longest - 1` characters before it, reporting nothing there.
    const quarter = Math.ceil(length / LANES);
    const warmUp = this.longest - 1;
    const classOf = this.classOf;
    const delta = this.delta;
    const firstOutput = this.firstOutputState;
    const hits: number[][] = [[], [], [], []];
    const state = [0, 0, 0, 0];
    for (let lane = 1; lane < LANES; lane++) {
      state[lane] = this.runFrom(text, Math.max(0, lane * quarter - warmUp), lane * quarter);
    }
    let s0 = state[0] as number;
    let s1 = state[1] as number;
    let s2 = state[2] as number;
    let s3 = state[3] as number;
    const q1 = quarter;
    const q2 = 2 * quarter;
    const q3 = 3 * quarter;
    // The last quarter may be shorter: the shared loop covers what all four have, the rest is finished alone.
    const common = length - q3;
    for (let i = 0; i < common; i++) {
      const c0 = text.charCodeAt(i);
      const c1 = text.charCodeAt(q1 + i);
      const c2 = text.charCodeAt(q2 + i);
      const c3 = text.charCodeAt(q3 + i);
      s0 = c0 < ALPHABET ? (delta[(s0 << CLASS_BITS) | (classOf[c0] as number)] as number) : 0;
      s1 = c1 < ALPHABET ? (delta[(s1 << CLASS_BITS) | (classOf[c1] as number)] as number) : 0;
      s2 = c2 < ALPHABET ? (delta[(s2 << CLASS_BITS) | (classOf[c2] as number)] as number) : 0;
      s3 = c3 < ALPHABET ? (delta[(s3 << CLASS_BITS) | (classOf[c3] as number)] as number) : 0;
      if (s0 >= firstOutput) hits[0]?.push(i, s0);
      if (s1 >= firstOutput) hits[1]?.push(q1 + i, s1);
      if (s2 >= firstOutput) hits[2]?.push(q2 + i, s2);
      if (s3 >= firstOutput) hits[3]?.push(q3 + i, s3);
    }
    this.report(text, [...(hits[0] as number[]), ...this.scanLane(text, s0, common, q1)], onHit);
    this.report(text, [...(hits[1] as number[]), ...this.scanLane(text, s1, q1 + common, q2)], onHit);
    this.report(text, [...(hits[2] as number[]), ...this.scanLane(text, s2, q2 + common, q3)], onHit);
    this.report(text, hits[3] as number[], onHit);
  }

  /** The automaton's state after reading `text[from, to)` from the start state. */
  private runFrom(text: string, from: number, to: number): number {
    let state = 0;
    for (let i = from; i < to; i++) {
      const code = text.charCodeAt(i);
      state = code < ALPHABET ? (this.delta[(state << CLASS_BITS) | (this.classOf[code] as number)] as number) : 0;
    }
    return state;
  }

  /** Runs from `state` over `text[from, to)`; returns (position, state) pairs where a keyword ends. */
  private scanLane(text: string, state: number, from: number, to: number): number[] {
    const delta = this.delta;
    const classOf = this.classOf;
    const firstOutput = this.firstOutputState;
    const hits: number[] = [];
    for (let i = from; i < to; i++) {
      const code = text.charCodeAt(i);
      // Keywords are ASCII: any other character ends every partial match.
      state = code < ALPHABET ? (delta[(state << CLASS_BITS) | (classOf[code] as number)] as number) : 0;
      if (state >= firstOutput) hits.push(i, state);
    }
    return hits;
  }

  private report(text: string, hits: readonly number[], onHit: (keywordIndex: number, start: number) => void): void {
    for (let h = 0; h < hits.length; h += 2) {
      const end = hits[h] as number;
      for (const index of this.outputs[(hits[h + 1] as number) - this.firstOutputState] ?? []) {
        const keyword = this.keywords[index] as Keyword;
        const start = end + 1 - keyword.text.length;
        if (keyword.anyCase || text.startsWith(keyword.text, start)) onHit(index, start);
      }
    }
  }
}
