/**
 * Runbook string parameters are checked against a regular expression from the config, which means nothing to most
 * people filling in a form. The usual shape, one character class repeated over the whole value (`^[a-z0-9-]+$`,
 * `^[A-Za-z0-9 _.-]{1,40}$`), is said in words instead; anything else is shown as the pattern it is.
 */

const NAMED_RANGES: ReadonlyArray<[string, string]> = [
  ['a-z', 'lowercase letters'],
  ['A-Z', 'uppercase letters'],
  ['0-9', 'digits'],
];

const SHORTHANDS: Readonly<Record<string, string>> = { d: 'digits', w: 'letters, digits, _', s: 'spaces' };

/** The characters of a bracket class in words, or undefined when the class is not a plain list (negated, odd ranges). */
function classInWords(body: string): string | undefined {
  if (body.startsWith('^')) return undefined;
  const words: string[] = [];
  let rest = body;
  for (const [range, word] of NAMED_RANGES) {
    if (rest.includes(range)) {
      words.push(word);
      rest = rest.replace(range, '');
    }
  }
  if (words.includes('lowercase letters') && words.includes('uppercase letters')) {
    words.splice(words.indexOf('lowercase letters'), 1, 'letters');
    words.splice(words.indexOf('uppercase letters'), 1);
  }
  const literals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const char = rest[i] as string;
    if (char === '\\') {
      const next = rest[i + 1];
      if (next === undefined) return undefined;
      i++;
      const shorthand = SHORTHANDS[next];
      if (shorthand) words.push(shorthand);
      else if (/[\\\-.^$|?*+()[\]{}/ ]/.test(next)) literals.push(next);
      else return undefined;
    } else if (char === '-' && i > 0 && i < rest.length - 1) {
      return undefined; // a range other than the named ones
    } else literals.push(char);
  }
  if (literals.includes(' ') && !words.includes('spaces')) words.push('spaces');
  for (const literal of literals) if (literal !== ' ') words.push(literal);
  const unique = [...new Set(words.flatMap((word) => word.split(', ')))];
  if (unique.length === 0) return undefined;
  return unique.length === 1 ? unique[0] : `${unique.slice(0, -1).join(', ')} and ${unique.at(-1)}`;
}

function lengthInWords(quantifier: string): string | undefined {
  if (quantifier === '+') return '';
  const match = /^\{(\d+)(,(\d*))?\}$/.exec(quantifier);
  if (!match) return undefined;
  const [, min, comma, max] = match;
  if (!comma) return `exactly ${min} characters`;
  if (!max) return `at least ${min} characters`;
  return `${min} to ${max} characters`;
}

/** `^[a-z0-9-]+$` → "lowercase letters, digits and -"; undefined when the pattern has another shape. */
export function patternInWords(pattern: string): string | undefined {
  const match = /^\^\[((?:\\.|[^\]\\])+)\](\+|\{\d+(?:,\d*)?\})\$$/.exec(pattern);
  if (!match) return undefined;
  const characters = classInWords(match[1] as string);
  const length = lengthInWords(match[2] as string);
  if (characters === undefined || length === undefined) return undefined;
  return length ? `${characters}; ${length}` : characters;
}

/** What a form's hint says about a pattern: its words, or the pattern itself when it has no simple reading. */
export function patternHint(pattern: string): string {
  return patternInWords(pattern) ?? `text matching ${pattern}`;
}

/** The problem with a value that does not match: in words where the pattern has a simple reading. */
export function patternProblem(pattern: string): string {
  const words = patternInWords(pattern);
  return words ? `may only contain ${words}` : `must match ${pattern}`;
}
