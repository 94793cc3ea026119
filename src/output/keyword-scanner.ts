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

export class KeywordScanner {
  /** Next state for (state, character class); one flat table keeps the loop tight. */
  private readonly delta: Uint16Array;
  /** Character class of each ASCII character; 0 for characters no keyword has. */
  private readonly classOf = new Uint8Array(ALPHABET);
  /** States numbered at or above this one end at least one keyword, so the hot loop tests one comparison. */
  private readonly firstOutputState: number;
  /** For each output state: the keywords (indexes into `keywords`) that end there. */
  private readonly outputs: (readonly number[])[];

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
  }

  /**
   * Calls `onHit(keywordIndex, start)` for each keyword occurrence, in order of where the keyword ends.
   * Keywords that are not `anyCase` are checked against the exact letters of the text.
   */
  scan(text: string, onHit: (keywordIndex: number, start: number) => void): void {
    const delta = this.delta;
    const classOf = this.classOf;
    const firstOutput = this.firstOutputState;
    const length = text.length;
    let state = 0;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      // Keywords are ASCII: any other character ends every partial match.
      state = code < ALPHABET ? (delta[(state << CLASS_BITS) | (classOf[code] as number)] as number) : 0;
      if (state < firstOutput) continue;
      for (const index of this.outputs[state - firstOutput] ?? []) {
        const keyword = this.keywords[index] as Keyword;
        const start = i + 1 - keyword.text.length;
        if (keyword.anyCase || text.startsWith(keyword.text, start)) onHit(index, start);
      }
    }
  }
}
