/**
 * Checks that a user-written secret pattern runs in time linear in the text it scans. JavaScript regular expressions
 * backtrack: a repeated group that itself repeats or branches (`(a+)+`, `(a|ab)*`), a backreference or a lookaround
 * can make one line of output take seconds or longer. Patterns that use none of these, and repeat only a bounded
 * number of times, stay cheap on the short window a rule scans.
 */

/** Longest pattern source accepted. */
export const MAX_PATTERN_CHARS = 512;
/** Largest repetition count accepted in `{m,n}`; a window is a few kilobytes at most anyway. */
export const MAX_REPEAT = 1024;

interface Group {
  /** Holds a quantifier or an alternation: repeating it could backtrack exponentially. */
  risky: boolean;
}

/**
 * Problems that make a pattern unsafe to run on untrusted output, in plain words; empty when it is safe.
 * The pattern must also compile, which the caller checks.
 */
export function patternSafetyProblems(source: string): string[] {
  const problems = new Set<string>();
  if (source.length > MAX_PATTERN_CHARS) problems.add(`is longer than ${MAX_PATTERN_CHARS} characters`);
  const stack: Group[] = [{ risky: false }];
  /** What a quantifier right here would repeat: a group (and whether it is risky), an atom, or nothing. */
  let previous: 'none' | 'atom' | 'safe-group' | 'risky-group' = 'none';
  for (let i = 0; i < source.length; i++) {
    const char = source[i] as string;
    if (char === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') problems.add('uses a backreference (\\1, \\k<name>)');
      i++;
      previous = 'atom';
      continue;
    }
    if (char === '[') {
      // Skip the class: nothing inside it is an operator.
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
      previous = 'atom';
      continue;
    }
    if (char === '(') {
      if (
        source.startsWith('(?=', i) ||
        source.startsWith('(?!', i) ||
        source.startsWith('(?<=', i) ||
        source.startsWith('(?<!', i)
      ) {
        problems.add('uses a lookahead or lookbehind');
      }
      stack.push({ risky: false });
      previous = 'none';
      continue;
    }
    if (char === ')') {
      const group = stack.length > 1 ? stack.pop() : undefined;
      previous = group?.risky ? 'risky-group' : 'safe-group';
      // An enclosing group that holds this one is only as safe as what it holds.
      if (group?.risky) {
        const parent = stack[stack.length - 1];
        if (parent) parent.risky = true;
      }
      continue;
    }
    if (char === '|') {
      const group = stack[stack.length - 1];
      if (group) group.risky = true;
      previous = 'none';
      continue;
    }
    const quantifier = readQuantifier(source, i);
    if (quantifier) {
      if (quantifier.unbounded)
        problems.add(`repeats without a bound (${quantifier.text}); write {1,${MAX_REPEAT}} or less`);
      else if (quantifier.max > MAX_REPEAT) problems.add(`repeats more than ${MAX_REPEAT} times (${quantifier.text})`);
      if (previous === 'risky-group') {
        problems.add('repeats a group that itself repeats or has alternatives (nested quantifier)');
      }
      const group = stack[stack.length - 1];
      if (group) group.risky = true;
      i += quantifier.text.length - 1;
      // A lazy or possessive-looking suffix belongs to the quantifier.
      if (source[i + 1] === '?') i++;
      previous = 'none';
      continue;
    }
    previous = 'atom';
  }
  return [...problems];
}

function readQuantifier(source: string, at: number): { text: string; max: number; unbounded: boolean } | undefined {
  const char = source[at];
  if (char === '*' || char === '+') return { text: char, max: Number.POSITIVE_INFINITY, unbounded: true };
  if (char === '?') return { text: '?', max: 1, unbounded: false };
  if (char !== '{') return undefined;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(at));
  if (!m) return undefined;
  const min = Number(m[1]);
  if (m[2] === undefined) return { text: m[0], max: min, unbounded: false };
  if (m[3] === '') return { text: m[0], max: Number.POSITIVE_INFINITY, unbounded: true };
  return { text: m[0], max: Number(m[3]), unbounded: false };
}
