import { shannonEntropy } from './rules/value-shape.js';
import {
  activeRuleSet,
  BLOCK_REACH_AFTER,
  BLOCK_REACH_BEFORE,
  LINE_REACH_AFTER,
  LINE_REACH_BEFORE,
  MAX_SECRET_MATCH_CHARS,
  type RuleSet,
  redactionMarker,
  type SecretKind,
  type SecretRule,
} from './secret-rules.js';
import { TextPieces } from './text-pieces.js';

/** Redaction counts by kind; kinds never seen are absent. */
export type RedactionCounts = Record<SecretKind, number>;

/** Options of the streaming redactor. */
export interface RedactorOptions {
  /** Text held back so a secret that is still arriving is seen whole; must exceed the longest possible match. */
  readonly carryOverChars?: number;
  /** Redaction runs once this much text is pending, so the carry-over is rescanned rarely. */
  readonly batchChars?: number;
  /** The rules (default: the built-in ones); `compileRuleSet` adds the config file's own. */
  readonly rules?: RuleSet;
}

interface Found {
  /** Whole match, label included: a cut inside it would hide the label from the next scan. */
  start: number;
  end: number;
  /** The part replaced by the marker. */
  secretStart: number;
  secretEnd: number;
  kind: SecretKind;
  priority: number;
}

const DEFAULT_CARRY_OVER_CHARS = 8192;
// Batch plus carry-over (plus one push) stays near 56K characters: as a two-byte string that is still under the
// 128 KiB above which V8 allocates each string in large-object space, which made redaction several times slower.
const DEFAULT_BATCH_CHARS = 48 * 1024;

/**
 * Redacts secrets from a text stream that arrives in arbitrary pieces.
 *
 * Text is held until `carryOverChars` more have arrived after it, and a cut never falls inside a match, so a
 * secret split across frames or chunks is always redacted whole. Every pattern is bounded, so the held text is
 * too: memory stays at about `batchChars + carryOverChars` characters whatever the output.
 */
export class StreamingRedactor {
  /** Held text, in the pieces it came in (see `TextPieces`). */
  private pending = new TextPieces();
  private readonly carryOverChars: number;
  private readonly batchChars: number;
  private readonly rules: RuleSet;
  private readonly countsByKind: RedactionCounts = emptyRedactionCounts();
  private total = 0;
  private bytesChange = 0;
  private newlinesChange = 0;

  constructor(options: RedactorOptions = {}) {
    this.carryOverChars = Math.max(options.carryOverChars ?? DEFAULT_CARRY_OVER_CHARS, MAX_SECRET_MATCH_CHARS + 1);
    this.batchChars = options.batchChars ?? DEFAULT_BATCH_CHARS;
    this.rules = options.rules ?? activeRuleSet();
  }

  /** Adds text; returns the redacted text that can no longer be part of a secret (often empty). */
  push(...pieces: string[]): string {
    return this.pushPieces(pieces).join('');
  }

  /**
   * The same as `push`, in pieces: the text around a secret comes back as slices of the pieces pushed, so a piece
   * V8 stores one byte per character stays so (see `TextPieces`).
   */
  pushPieces(pieces: readonly string[]): string[] {
    for (const piece of pieces) this.pending.add(piece);
    if (this.pending.chars < this.batchChars + this.carryOverChars) return [];
    return this.drain(false);
  }

  /** Ends the stream: returns everything still held, redacted, including secrets cut off at the very end. */
  end(): string {
    return this.endPieces().join('');
  }

  /** The same as `end`, in pieces. */
  endPieces(): string[] {
    return this.drain(true);
  }

  /**
   * The held text plus `more` as they would be emitted if the stream ended with them, without consuming or
   * counting anything: the live tail shows unfinished output this way.
   */
  peek(more = ''): string {
    return redactText(this.pending.joined() + more, this.rules).text;
  }

  /** Secrets redacted in the text returned so far. */
  get redactions(): number {
    return this.total;
  }

  /** Secrets redacted so far, by kind. */
  get redactionsByKind(): Readonly<RedactionCounts> {
    return this.countsByKind;
  }

  /**
   * How much redaction changed the size of the text returned so far, in UTF-8 bytes and in newlines (markers
   * replace secrets, and a private key spans lines): callers count the text they push, which is cheaper than
   * counting what comes out.
   */
  get sizeChange(): { readonly bytes: number; readonly newlines: number } {
    return { bytes: this.bytesChange, newlines: this.newlinesChange };
  }

  private drain(final: boolean): string[] {
    const text = this.pending;
    const found = findSecrets(text, this.rules);
    let cut = final ? text.chars : text.chars - this.carryOverChars;
    // Never between the halves of a surrogate pair: each half alone would become a replacement character.
    if (cut > 0 && isLowSurrogate(text.charCodeAt(cut))) cut--;
    if (!final) {
      // Move the cut before any match that straddles it; repeat because the earlier cut may straddle another.
      let moved = true;
      while (moved) {
        moved = false;
        for (const f of found) {
          if (f.start < cut && f.end > cut) {
            cut = f.start;
            moved = true;
          }
        }
      }
    }
    const out: string[] = [];
    const result = replaceSecrets(text, found, cut, final, this.rules, out);
    this.bytesChange += result.bytesChange;
    this.newlinesChange += result.newlinesChange;
    text.dropBefore(cut);
    for (const kind of result.kinds) {
      this.countsByKind[kind] = (this.countsByKind[kind] ?? 0) + 1;
      this.total++;
    }
    return out;
  }
}

/** Redacts a complete text at once (secrets cut off at its end included); `count` is the number of secrets. */
export function redactText(
  text: string,
  rules: RuleSet = activeRuleSet(),
): { text: string; count: number; kinds: SecretKind[] } {
  const out: string[] = [];
  const pieces = TextPieces.of(text);
  const result = replaceSecrets(pieces, findSecrets(pieces, rules), text.length, true, rules, out);
  return {
    text: out.length === 1 ? (out[0] as string) : out.join(''),
    count: result.kinds.length,
    kinds: result.kinds,
  };
}

/** Counts with no kind seen yet. */
export function emptyRedactionCounts(): RedactionCounts {
  return {};
}

/**
 * Finds every secret in `text`. One pass finds the rules' keywords; each rule then runs only on the window around a
 * keyword of its own (the keyword's line, or the block after it), once per window.
 */
function findSecrets(text: TextPieces, set: RuleSet): Found[] {
  const found: Found[] = [];
  const scannedFrom = new Int32Array(set.rules.length).fill(-1);
  const scannedTo = new Int32Array(set.rules.length).fill(-1);
  set.scanner.scanParts(text.parts, (keyword, at) => {
    for (const rule of set.rulesByKeyword[keyword] ?? []) {
      let from: number;
      let to: number;
      if (rule.multiline) {
        from = Math.max(0, at - BLOCK_REACH_BEFORE);
        to = Math.min(text.chars, at + BLOCK_REACH_AFTER);
      } else {
        from = text.lineStart(at, Math.max(0, at - LINE_REACH_BEFORE));
        to = text.lineEnd(at, Math.min(text.chars, at + LINE_REACH_AFTER));
      }
      // A window already scanned for this rule holds every match this keyword could start.
      if (from >= (scannedFrom[rule.priority] as number) && to <= (scannedTo[rule.priority] as number)) continue;
      scannedFrom[rule.priority] = from;
      scannedTo[rule.priority] = to;
      runRule(rule, text, from, to, found);
    }
  });
  return found;
}

function runRule(rule: SecretRule, text: TextPieces, from: number, to: number, found: Found[]): void {
  const window = text.slice(from, to);
  const pattern = rule.pattern;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(window); m !== null; m = pattern.exec(window)) {
    if (m[0].length === 0) {
      pattern.lastIndex++;
      continue;
    }
    // The secret is the last group that took part in the match, or the whole match.
    let group = m.length - 1;
    while (group > 0 && m[group] === undefined) group--;
    const secret = m[group] ?? m[0];
    const span = m.indices?.[group];
    if (!span || secret.length === 0) continue;
    if (rule.minEntropy > 0 && shannonEntropy(secret) < rule.minEntropy) continue;
    if (rule.accept && !rule.accept(secret, m)) continue;
    found.push({
      start: from + m.index,
      end: from + m.index + m[0].length,
      secretStart: from + span[0],
      secretEnd: from + span[1],
      kind: rule.kindOf?.(m) ?? rule.id,
      priority: rule.priority,
    });
  }
}

/**
 * Builds the redacted text of `text[0, cut)` into `out`, as slices of its pieces with markers between. Overlapping secrets become one marker, named after the one that starts first (the higher-priority rule
 * on a tie). With `final`, a secret whose start is the very end of the text is redacted too.
 */
function replaceSecrets(
  text: TextPieces,
  found: Found[],
  cut: number,
  final: boolean,
  rules: RuleSet,
  out: string[],
): { kinds: SecretKind[]; bytesChange: number; newlinesChange: number } {
  const spans = found
    .filter((f) => f.end <= cut)
    .sort((a, b) => a.secretStart - b.secretStart || a.priority - b.priority);
  if (final) {
    const tail = partialSecretAtEnd(text, cut, rules, spans);
    if (tail) spans.push(tail);
  }
  const kinds: SecretKind[] = [];
  let pos = 0;
  let bytesChange = 0;
  let newlinesChange = 0;
  for (const span of spans) {
    if (span.secretEnd <= pos) continue;
    const removedFrom = Math.max(pos, span.secretStart);
    if (span.secretStart >= pos) {
      const marker = redactionMarker(span.kind);
      text.sliceInto(out, pos, span.secretStart);
      out.push(marker);
      bytesChange += marker.length;
      kinds.push(span.kind);
    }
    const removed = text.slice(removedFrom, span.secretEnd);
    bytesChange -= Buffer.byteLength(removed, 'utf8');
    newlinesChange -= removed.split('\n').length - 1;
    pos = span.secretEnd;
  }
  text.sliceInto(out, pos, cut);
  return { kinds, bytesChange, newlinesChange };
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** The start of a secret that the text ends in the middle of (only the last line is looked at). */
function partialSecretAtEnd(text: TextPieces, end: number, set: RuleSet, spans: Found[]): Found | undefined {
  const coveredUntil = spans.reduce((max, s) => Math.max(max, s.secretEnd), 0);
  const lineStart = text.lineStart(end, Math.max(0, coveredUntil, end - MAX_SECRET_MATCH_CHARS));
  if (lineStart >= end) return undefined;
  const lastLine = text.slice(lineStart, end);
  // A partial pattern holds one of its rule's keywords, so only rules whose keyword is on the line can match.
  const candidates = new Set<SecretRule>();
  set.scanner.scan(lastLine, (keyword) => {
    for (const rule of set.rulesByKeyword[keyword] ?? []) if (rule.partial) candidates.add(rule);
  });
  let best: Found | undefined;
  for (const rule of candidates) {
    const m = rule.partial?.exec(lastLine);
    if (!m) continue;
    const start = lineStart + m.index;
    if (!best || start < best.start) {
      best = { start, end, secretStart: start, secretEnd: end, kind: rule.id, priority: rule.priority };
    }
  }
  return best;
}
