/**
 * How a secret rule is written down. Rules are data: an id, the keywords that must appear for the rule to run, a
 * bounded regular expression, and examples of text it must redact and text it must leave alone, which the test
 * suite runs for every rule.
 */

/** One secret shape. */
export interface SecretRuleSpec {
  /** Lowercase, dash-separated; shown in the redaction marker (`[REDACTED github-pat]`) and counted for the audit. */
  readonly id: string;
  readonly description: string;
  /**
   * Literal text every match contains. The rule runs only around an occurrence of one of them, so a keyword must
   * be present in every secret the rule is meant to find.
   */
  readonly keywords: readonly string[];
  /** Keywords match in any letter case (labels such as PASSWORD, Password, password). Default: exact case. */
  readonly anyCase?: boolean;
  /** Regular expression source (JavaScript syntax, bounded repetition); when it has groups, the last one that took
   * part in the match is the secret and only it is replaced. */
  readonly pattern: string;
  /** `i` for a case-insensitive pattern. */
  readonly flags?: '' | 'i';
  /** The match may span lines (a key block); otherwise it stays on the line of its keyword. */
  readonly multiline?: boolean;
  /** Matches the unfinished start of a secret at the very end of the output; `$` is added. */
  readonly partial?: string;
  /** Minimum Shannon entropy of the secret, in bits per character: random keys pass, words and numbers do not. */
  readonly minEntropy?: number;
  /** Final say on a match: false leaves it alone (a placeholder, a number, a setting that only names a secret). */
  readonly accept?: (secret: string, match: RegExpExecArray) => boolean;
  /** The marker's kind for one match, when it is not `id` (the generic assignment rule names what the label says). */
  readonly kindOf?: (match: RegExpExecArray) => string;
  readonly examples: RuleExamples;
}

/**
 * `redact`: lines that hold one secret, written between « and » (the test removes the guillemets and checks that
 * exactly that part is replaced). `keep`: lines that must come out unchanged.
 */
export interface RuleExamples {
  readonly redact: readonly string[];
  readonly keep: readonly string[];
}

/** Escapes text for use inside a regular expression. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * A token recognisable by its own prefix (`ghp_`, `glpat-`, `sk_live_`): the whole token is the secret. `body` is the
 * pattern after the prefix; the token must not continue with more token characters.
 */
export function prefixedToken(
  id: string,
  description: string,
  prefixes: readonly string[],
  body: string,
  examples: RuleExamples,
  extra: Partial<SecretRuleSpec> = {},
): SecretRuleSpec {
  const alternatives = prefixes.map(escapeRegex).join('|');
  return {
    id,
    description,
    keywords: prefixes,
    pattern: `(?<![A-Za-z0-9_])(?:${alternatives})${body}(?![A-Za-z0-9_])`,
    partial: `(?<![A-Za-z0-9_])(?:${alternatives})[A-Za-z0-9_.~+/=-]*`,
    examples,
    ...extra,
  };
}

/**
 * Deterministic characters for examples, so fixtures look like real tokens without being any, and a scanner reading
 * this repository does not take a fixture for a leaked credential (the prefix is joined at run time).
 */
export function fakeChars(
  length: number,
  alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  seed = 7,
): string {
  let out = '';
  let state = seed * 2_654_435_761;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state ^ (state >>> 15), 2_246_822_519) + 0x9e3779b9) >>> 0;
    out += alphabet[state % alphabet.length];
  }
  return out;
}

export const HEX = '0123456789abcdef';
export const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Wraps a secret in the guillemets that mark it in a `redact` example. */
export function s(secret: string): string {
  return `«${secret}»`;
}
