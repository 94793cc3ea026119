/**
 * Command globs matched by simulating their automaton, never by backtracking.
 *
 * A glob is a row of tokens: a literal character, `?` (one ordinary character), `*` (a run of ordinary characters)
 * or `**` (anything). State j means "the first j tokens matched"; the set of live states is a bit set, and each
 * command character moves every live state at once (Shift-And with stars as self-loops). The cost is one pass over
 * the command with a handful of word operations per character, whatever the pattern: a regex with several `*`
 * took time polynomial in the command length and froze the event loop on a hostile command.
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

function isOrdinary(code: number): boolean {
  return code >= ASCII || SEPARATOR[code] !== 1;
}

/** What `String.prototype.trim` removes, so a piece is trimmed exactly as a split-and-trim would. */
function isTrimmed(code: number): boolean {
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

/** The set of character codes in a command; the last one is kept, as every rule asks about the same command. */
class CharacterSet {
  private readonly ascii = new Uint8Array(ASCII);
  private readonly other = new Set<number>();
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < ASCII) this.ascii[code] = 1;
      else this.other.add(code);
    }
  }
  has(code: number): boolean {
    return code < ASCII ? this.ascii[code] === 1 : this.other.has(code);
  }
}
let lastCommand: string | undefined;
let lastCharacters = new CharacterSet('');
function charactersOf(command: string): CharacterSet {
  if (command !== lastCommand) {
    lastCharacters = new CharacterSet(command);
    lastCommand = command;
  }
  return lastCharacters;
}

type Token = { kind: 'char'; code: number } | { kind: 'one' } | { kind: 'star' } | { kind: 'any' };

/** A compiled glob; `test` answers for the whole command, `testPieces` for any piece of a compound one. */
export interface GlobMatcher {
  test(command: string): boolean;
  /** Whether some piece between shell separators, trimmed, matches on its own. */
  testPieces(command: string): boolean;
}

function tokenize(glob: string): { tokens: Token[]; optionalTail: boolean } {
  // `rm -rf *` should also catch a bare `rm -rf`: the trailing ` *` (or ` **`) may be absent.
  const optionalTail = / \*{1,2}$/.test(glob);
  const tokens: Token[] = [];
  for (let i = 0; i < glob.length; i++) {
    const code = glob.charCodeAt(i);
    if (code === 42 /* * */) {
      const any = glob.charCodeAt(i + 1) === 42;
      if (any) i++;
      const last = tokens[tokens.length - 1];
      // Adjacent stars are one star (the wider wins); the automaton then needs a single closure step.
      if (last?.kind === 'star' || last?.kind === 'any') {
        if (any) tokens[tokens.length - 1] = { kind: 'any' };
      } else tokens.push({ kind: any ? 'any' : 'star' });
    } else if (code === 63 /* ? */) tokens.push({ kind: 'one' });
    else tokens.push({ kind: 'char', code });
  }
  return { tokens, optionalTail };
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
  const { tokens, optionalTail } = tokenize(glob);
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
    const present = charactersOf(command);
    for (const code of required) if (!present.has(code)) return false;
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
        const pieceBreak =
          (code < ASCII && PIECE_BREAK[code] === 1) || (code === DOLLAR && command.charCodeAt(i + 1) === OPEN_PAREN);
        if (pieceBreak) {
          if (acceptedAtLastChar) return true;
          state.fill(0);
          atPieceStart = true;
          acceptedAtLastChar = false;
          if (code === DOLLAR) i++;
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
