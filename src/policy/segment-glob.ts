/**
 * The fast way to match the usual glob: literal segments joined by `*` and `**`, no `?`, and no shell separator in
 * a literal. Such a segment always lies inside one run of ordinary characters, so segments joined by `*` share a run
 * and a `**` may jump anywhere; placing every segment at its leftmost possible spot (run by run) then decides the
 * match, with a handful of `indexOf` searches that `CommandText` shares between all the globs of a policy. The
 * automaton in `glob-matcher.ts` costs one step per command character per glob: fine for one glob, too slow for
 * hundreds of them over a 64 KiB command.
 */

import { type CommandText, isOrdinary } from './command-text.js';
import type { GlobToken } from './glob-tokens.js';

type Gap = 'star' | 'any';

/** `lead` segment `gaps[0]` segment … `trail`; `none` at an end means the first (last) segment is anchored there. */
interface Segments {
  lead: Gap | 'none';
  segments: string[];
  gaps: Gap[];
  trail: Gap | 'none';
}

/** Whether a region matched (`MATCHED`), cannot match nor can any later one (`NEVER`), or else a hint (>= 0). */
const MATCHED = -2;
const NEVER = -1;

/** The segments of a glob's tokens, or undefined when the glob has a `?` or a separator in a literal. */
function segmentsOf(tokens: readonly GlobToken[]): Segments | undefined {
  const glob: Segments = { lead: 'none', segments: [], gaps: [], trail: 'none' };
  let literal = '';
  let gap: Gap | 'none' = 'none';
  for (const token of tokens) {
    if (token.kind === 'one') return undefined;
    if (token.kind === 'char') {
      if (!isOrdinary(token.code)) return undefined;
      literal += String.fromCharCode(token.code);
      continue;
    }
    if (literal !== '') {
      if (glob.segments.length === 0) glob.lead = gap;
      else glob.gaps.push(gap as Gap);
      glob.segments.push(literal);
      literal = '';
    }
    gap = token.kind;
  }
  if (literal !== '') {
    if (glob.segments.length === 0) glob.lead = gap;
    else glob.gaps.push(gap as Gap);
    glob.segments.push(literal);
    gap = 'none';
  }
  glob.trail = gap;
  if (glob.segments.length === 0) glob.lead = gap;
  return glob;
}

/** A glob matched segment by segment; see the module comment. */
export class SegmentGlob {
  private readonly minLength: number;
  /** Where a failed block says a later region could start matching (a hint, or NEVER). */
  private hint = NEVER;

  private constructor(private readonly glob: Segments) {
    this.minLength = glob.segments.reduce((sum, segment) => sum + segment.length, 0);
  }

  /** The fast matcher for these tokens, or undefined when they need the automaton. */
  static of(tokens: readonly GlobToken[]): SegmentGlob | undefined {
    const glob = segmentsOf(tokens);
    return glob ? new SegmentGlob(glob) : undefined;
  }

  /** Whether the whole command matches. */
  test(text: CommandText): boolean {
    return this.matchRegion(text, 0, text.length, false) === MATCHED;
  }

  /** Whether some trimmed piece between shell separators matches on its own. */
  testPieces(text: CommandText): boolean {
    const bounds = text.pieces();
    const count = text.piecesFound();
    let piece = 0;
    while (piece < count) {
      const answer = this.matchRegion(text, bounds[piece * 2] as number, bounds[piece * 2 + 1] as number, true);
      if (answer === MATCHED) return true;
      if (answer === NEVER) return false;
      piece = text.pieceEndingAfter(answer, piece + 1);
    }
    return false;
  }

  /**
   * Matches `text[lo, hi)` as a whole. On a miss, a later region can only match if it ends after the returned hint
   * (or never, NEVER): each segment's next occurrence tells where to look next. Without `hints` (one region, the
   * whole command) a cheap miss is just a miss: the hint would cost a search of the command per segment.
   */
  private matchRegion(text: CommandText, regionStart: number, regionEnd: number, hints: boolean): number {
    let lo = regionStart;
    let hi = regionEnd;
    if (hi - lo < this.minLength) return hints ? this.orderHint(text, lo, hi) : NEVER;
    const { segments, gaps } = this.glob;
    const count = segments.length;
    let { lead, trail } = this.glob;
    if (count === 0) {
      if (lead === 'none') return lo === hi ? MATCHED : hi;
      return lead === 'any' || text.nextSeparator(lo) >= hi ? MATCHED : hi;
    }
    let first = 0;
    let last = count - 1;
    if (lead === 'none') {
      const segment = segments[0] as string;
      if (!text.text.startsWith(segment, lo)) return hints ? this.orderHint(text, lo, hi) : NEVER;
      if (count === 1 && trail === 'none') return lo + segment.length === hi ? MATCHED : hi;
      lo += segment.length;
      first = 1;
      lead = count > 1 ? (gaps[0] as Gap) : trail;
    }
    if (trail === 'none') {
      const segment = segments[count - 1] as string;
      if (hi - segment.length < lo || !text.text.startsWith(segment, hi - segment.length)) {
        return hints ? this.orderHint(text, lo, hi) : NEVER;
      }
      hi -= segment.length;
      last = count - 2;
      trail = count > 1 ? (gaps[count - 2] as Gap) : lead;
    }
    if (first > last) return lead === 'any' || text.nextSeparator(lo) >= hi ? MATCHED : hi;

    let position = lo;
    for (let start = first; start <= last; ) {
      let end = start;
      while (end < last && gaps[end] === 'star') end++;
      const pinnedToFirstRun = start === first && lead === 'star';
      const pinnedToLastRun = end === last && trail === 'star';
      position = this.matchBlock(text, start, end, position, hi, pinnedToFirstRun, pinnedToLastRun);
      if (position < 0) return this.hint;
      start = end + 1;
    }
    return MATCHED;
  }

  /**
   * Places segments `first..last` (joined by `*`, so in one run) at or after `from`, ending by `hi`, leftmost;
   * returns where the last one ends, or -1 with `hint` set. Pinned to the first run, the block may not leave the
   * run holding `from`; pinned to the last, it must lie in the run that reaches `hi`.
   */
  private matchBlock(
    text: CommandText,
    first: number,
    last: number,
    from: number,
    hi: number,
    pinnedToFirstRun: boolean,
    pinnedToLastRun: boolean,
  ): number {
    const { segments } = this.glob;
    let start = from;
    let runEnd: number;
    if (pinnedToLastRun) {
      if (pinnedToFirstRun && text.nextSeparator(from) < hi) return this.fail(hi);
      start = Math.max(from, text.runStart(hi));
      runEnd = hi;
    } else runEnd = Math.min(hi, text.nextSeparator(start));
    const mayMoveOn = !pinnedToFirstRun && !pinnedToLastRun;
    for (;;) {
      let position = start;
      let movedOn = false;
      for (let index = first; index <= last; index++) {
        const segment = segments[index] as string;
        const found = text.find(segment, position);
        if (found === -1) return this.fail(NEVER);
        if (found + segment.length > hi) return this.fail(found);
        if (found + segment.length > runEnd) {
          if (!mayMoveOn) return this.fail(hi);
          // No run before the one holding `found` has this segment after `position`: start again there.
          start = text.runStart(found);
          runEnd = Math.min(hi, text.nextSeparator(start));
          movedOn = true;
          break;
        }
        position = found + segment.length;
      }
      if (!movedOn) return position;
    }
  }

  private fail(hint: number): number {
    this.hint = hint;
    return -1;
  }

  /**
   * After a cheap check failed: the segments must at least occur in order, so their next occurrences say how far
   * a later region must reach (or that none can match).
   */
  private orderHint(text: CommandText, lo: number, hi: number): number {
    let position = lo;
    const { segments } = this.glob;
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index] as string;
      const found = text.find(segment, position);
      if (found === -1) return NEVER;
      if (found + segment.length > hi) return found;
      position = found + segment.length;
    }
    return hi;
  }
}
