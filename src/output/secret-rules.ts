import { KeywordScanner } from './keyword-scanner.js';
import { BUILTIN_RULE_SPECS, type SecretRuleSpec } from './rules/index.js';

/**
 * Compiled secret rules: the rule data of `rules/` turned into regular expressions plus one keyword scanner that
 * decides, in a single pass over the text, which rules run and where.
 *
 * A rule runs only on a window around one of its keywords: the keyword's line (at most `LINE_REACH_*` characters
 * either side) or, for a multi-line rule, a block after it. The window bounds every match whatever the pattern, so
 * the streaming redactor can keep a finite carry-over and still see every secret whole.
 */

export type { SecretRuleSpec } from './rules/index.js';

/** Name of a kind of secret: a rule id, or what the generic rules call their match (`password`, `token`). */
export type SecretKind = string;

/** A rule ready to run. */
export interface SecretRule {
  readonly id: string;
  /** Position in the rule set: when matches overlap, the lower one names the marker. */
  readonly priority: number;
  /** Global, so it can be run over a window from a start index. */
  readonly pattern: RegExp;
  readonly partial: RegExp | undefined;
  readonly multiline: boolean;
  readonly minEntropy: number;
  readonly accept: SecretRuleSpec['accept'];
  readonly kindOf: SecretRuleSpec['kindOf'];
}

/** Compiled rules plus the scanner that finds their keywords. */
export interface RuleSet {
  readonly rules: readonly SecretRule[];
  readonly scanner: KeywordScanner;
  /** For each keyword of the scanner, the rules it wakes up. */
  readonly rulesByKeyword: readonly (readonly SecretRule[])[];
}

/** How far before its keyword a single-line match may start, and how far after it may end. */
export const LINE_REACH_BEFORE = 512;
export const LINE_REACH_AFTER = 4096;
/** The same for a multi-line rule (a key block starts at its keyword and is at most a few kilobytes). */
export const BLOCK_REACH_BEFORE = 64;
export const BLOCK_REACH_AFTER = 7_600;

/** Longest text any rule can match; the redactor's carry-over window must be larger. */
export const MAX_SECRET_MATCH_CHARS = Math.max(
  LINE_REACH_BEFORE + LINE_REACH_AFTER,
  BLOCK_REACH_BEFORE + BLOCK_REACH_AFTER,
);

/** A rule whose pattern or keywords do not compile. */
export class SecretRuleError extends Error {}

/**
 * Compiles rule specs, in priority order, into a rule set.
 * @throws SecretRuleError when a pattern does not compile or a keyword is not printable ASCII.
 */
export function compileRuleSet(specs: readonly SecretRuleSpec[]): RuleSet {
  const rules: SecretRule[] = [];
  const keywords: { text: string; anyCase: boolean }[] = [];
  const byKeyword = new Map<string, SecretRule[]>();
  specs.forEach((spec, priority) => {
    let pattern: RegExp;
    let partial: RegExp | undefined;
    try {
      pattern = new RegExp(spec.pattern, `gd${spec.flags ?? ''}`);
      partial = spec.partial === undefined ? undefined : new RegExp(`(?:${spec.partial})$`, spec.flags ?? '');
    } catch (error) {
      throw new SecretRuleError(`rule ${spec.id}: ${(error as Error).message}`);
    }
    const rule: SecretRule = {
      id: spec.id,
      priority,
      pattern,
      partial,
      multiline: spec.multiline ?? false,
      minEntropy: spec.minEntropy ?? 0,
      accept: spec.accept,
      kindOf: spec.kindOf,
    };
    rules.push(rule);
    for (const text of spec.keywords) {
      const anyCase = spec.anyCase ?? false;
      const key = `${anyCase ? 'i' : 's'}:${anyCase ? text.toLowerCase() : text}`;
      let list = byKeyword.get(key);
      if (!list) {
        list = [];
        byKeyword.set(key, list);
        keywords.push({ text, anyCase });
      }
      list.push(rule);
    }
  });
  let scanner: KeywordScanner;
  try {
    scanner = new KeywordScanner(keywords);
  } catch (error) {
    throw new SecretRuleError((error as Error).message);
  }
  const rulesByKeyword = keywords.map(
    (k) => byKeyword.get(`${k.anyCase ? 'i' : 's'}:${k.anyCase ? k.text.toLowerCase() : k.text}`) ?? [],
  );
  return { rules, scanner, rulesByKeyword };
}

/** The built-in rules, compiled once. */
export const DEFAULT_RULE_SET: RuleSet = compileRuleSet(BUILTIN_RULE_SPECS);

let active: RuleSet = DEFAULT_RULE_SET;

/**
 * The rules every exit point uses by default: Slack messages, files, cards, the audit stream and the logs. One set
 * per process, set once at start-up from the config file, so no exit point can be less careful than another (the
 * logger exists before the config is read, so it cannot be handed the rules).
 */
export function activeRuleSet(): RuleSet {
  return active;
}

/**
 * Adds the config file's own rules (after the built-in ones) for every later redaction; an empty list restores the
 * built-in set. @throws SecretRuleError when a rule does not compile (`policy check` reports it first).
 */
export function useExtraRules(specs: readonly SecretRuleSpec[]): void {
  active = specs.length === 0 ? DEFAULT_RULE_SET : compileRuleSet([...BUILTIN_RULE_SPECS, ...specs]);
}

/** The text that replaces a secret of the given kind. */
export function redactionMarker(kind: SecretKind): string {
  return `[REDACTED ${kind}]`;
}
