/**
 * Command globs matched without backtracking: the usual glob (literals, `*`, `**`) by placing its literal segments
 * (`segment-glob.ts`), any other by simulating its automaton.
 *
 * A glob is a row of tokens: a literal character, `?` (one ordinary character), `*` (a run of ordinary characters)
 * or `**` (anything). State j means "the first j tokens matched"; the set of live states is a bit set, and each
 * command character moves every live state at once (Shift-And with stars as self-loops). The cost is one pass over
 * the command with a handful of word operations per character, whatever the pattern: a regex with several `*`
 * took time polynomial in the command length and froze the event loop on a hostile command.
 */

import { CommandText, isOrdinary, isPieceBreak, isTrimmed, opensSubshell } from './command-text.js';
import { type GlobToken, tokenizeGlob } from './glob-tokens.js';
import { SegmentGlob } from './segment-glob.js';

const ASCII = 128;

/** A compiled glob; `test` answers for the whole command, `testPieces` for any piece of a compound one. */
export interface GlobMatcher {
  test(command: string): boolean;
  /** Whether some piece between shell separators, trimmed, matches on its own. */
  testPieces(command: string): boolean;
}

/** Bit sets over states 0..m, stored as 32-bit words. */
class Masks {
  readonly words: number;
  constructor(states: number) {
    this.words = Math.ceil(states / 32);
  }
  empty(): Uint32Array {
    return new Uint32Array(this.words);
  }
  set(mask: Uint32Array, bit: number): void {
    mask[bit >>> 5] = ((mask[bit >>> 5] ?? 0) | (1 << (bit & 31))) >>> 0;
  }
}

/** Compiles a normalised glob (not `*` or `**` alone, which the caller answers without matching). */
export function compileGlob(glob: string): GlobMatcher {
  const { tokens, optionalTail } = tokenizeGlob(glob);
  const whole = SegmentGlob.of(tokens);
  // Without its optional tail (` *` or ` **`), the glob is the same tokens but the last two.
  const short = optionalTail ? SegmentGlob.of(tokens.slice(0, -2)) : undefined;
  if (whole && (!optionalTail || short)) {
    return {
      test: (command) => {
        const text = CommandText.of(command);
        return whole.test(text) || (short?.test(text) ?? false);
      },
      testPieces: (command) => {
        const text = CommandText.of(command);
        return whole.testPieces(text) || (short?.testPieces(text) ?? false);
      },
    };
  }
  return compileAutomaton(tokens, optionalTail);
}

/** The automaton for a glob the segment matcher does not take (one with `?` or a separator in a literal). */
function compileAutomaton(tokens: GlobToken[], optionalTail: boolean): GlobMatcher {
  const m = tokens.length;
  const masks = new Masks(m + 1);
  const literalAscii: Uint32Array[] = Array.from({ length: ASCII }, () => masks.empty());
  const literalOther = new Map<number, Uint32Array>();
  const one = masks.empty();
  const star = masks.empty();
  const any = masks.empty();
  const accept = masks.empty();
  masks.set(accept, m);
  // With an optional tail, the state before its space token accepts too.
  if (optionalTail) masks.set(accept, m - 2);
  tokens.forEach((token, index) => {
    const bit = index + 1;
    if (token.kind === 'char') {
      let mask = token.code < ASCII ? literalAscii[token.code] : literalOther.get(token.code);
      if (!mask) {
        mask = masks.empty();
        literalOther.set(token.code, mask);
      }
      masks.set(mask, bit);
    } else masks.set(token.kind === 'one' ? one : token.kind === 'star' ? star : any, bit);
  });
  const stars = masks.empty();
  for (let w = 0; w < masks.words; w++) stars[w] = ((star[w] ?? 0) | (any[w] ?? 0)) >>> 0;
  const zero = masks.empty();

  // The literal text before the first wildcard: a command that does not start with it cannot match.
  let prefix = '';
  for (const token of tokens.slice(0, optionalTail ? m - 2 : m)) {
    if (token.kind !== 'char') break;
    prefix += String.fromCharCode(token.code);
  }
  // Every literal character must occur somewhere in a matching command (or piece). Checked against the command's
  // character set, built once per command: `includes` of a whole literal costs a scan per rule.
  const required = [
    ...new Set(tokens.slice(0, optionalTail ? m - 2 : m).flatMap((t) => (t.kind === 'char' ? [t.code] : []))),
  ];

  const W = masks.words;
  const state = masks.empty();
  const next = masks.empty();

  /** Live states after matching nothing: state 0 and, when the first token is a star, state 1. */
  function initial(into: Uint32Array): void {
    into.fill(0);
    into[0] = 1;
    closure(into);
  }
  function closure(into: Uint32Array): void {
    let carry = 0;
    for (let w = 0; w < W; w++) {
      const word = into[w] ?? 0;
      const shifted = ((word << 1) | carry) >>> 0;
      carry = word >>> 31;
      into[w] = (word | (shifted & (stars[w] ?? 0))) >>> 0;
    }
  }
  /** Moves every live state over one character; returns whether any state is still live. */
  function step(code: number): boolean {
    const ordinary = isOrdinary(code);
    const literal = code < ASCII ? literalAscii[code] : literalOther.get(code);
    const lit = literal ?? zero;
    let carry = 0;
    let live = 0;
    for (let w = 0; w < W; w++) {
      const word = state[w] ?? 0;
      const shifted = ((word << 1) | carry) >>> 0;
      carry = word >>> 31;
      const single = ((lit[w] ?? 0) | (ordinary ? (one[w] ?? 0) : 0)) >>> 0;
      const loop = ((any[w] ?? 0) | (ordinary ? (star[w] ?? 0) : 0)) >>> 0;
      next[w] = ((shifted & single) | (word & loop)) >>> 0;
    }
    closure(next);
    for (let w = 0; w < W; w++) {
      state[w] = next[w] ?? 0;
      live |= state[w] ?? 0;
    }
    return live !== 0;
  }
  function accepting(): boolean {
    for (let w = 0; w < W; w++) if (((state[w] ?? 0) & (accept[w] ?? 0)) !== 0) return true;
    return false;
  }
  function hasLiterals(command: string): boolean {
    const present = CommandText.of(command);
    for (const code of required) if (!present.hasCharacter(code)) return false;
    return true;
  }

  return {
    test(command) {
      if (!command.startsWith(prefix) || !hasLiterals(command)) return false;
      initial(state);
      for (let i = 0; i < command.length; i++) {
        if (!step(command.charCodeAt(i))) return false;
      }
      return accepting();
    },
    testPieces(command) {
      if (!hasLiterals(command)) return false;
      // One pass: the automaton restarts at the first non-space character of each piece, and a piece matches when
      // the automaton accepted at its last non-space character.
      state.fill(0);
      let atPieceStart = true;
      let acceptedAtLastChar = false;
      for (let i = 0; i < command.length; i++) {
        const code = command.charCodeAt(i);
        const pieceBreak = isPieceBreak(code) || opensSubshell(command, i);
        if (pieceBreak) {
          if (acceptedAtLastChar) return true;
          state.fill(0);
          atPieceStart = true;
          acceptedAtLastChar = false;
          if (code === 36 /* $ of $( */) i++;
          continue;
        }
        const blank = isTrimmed(code);
        if (blank && atPieceStart) continue;
        if (atPieceStart) {
          initial(state);
          atPieceStart = false;
        }
        step(code);
        if (!blank) acceptedAtLastChar = accepting();
      }
      return acceptedAtLastChar;
    },
  };
}
