/**
 * `/regex/flags` command patterns on RE2's engine, which runs in time linear in the command: a backtracking regex
 * such as `(a|a)*b` or `a*a*a*b` could take minutes on a long command. RE2 has no backreferences or lookarounds; a
 * pattern that uses them is refused when the policy loads.
 *
 * Linear is not free: RE2JS's automaton costs 1-2 ms per 64 KiB, and a policy has several regexes. Two cheap exits
 * come first. A regex anchored with `^` is run anchored, so it stops where it stops matching instead of reading to the
 * end. And the literal words every match contains must be in the command, or the automaton is not run at all (RE2JS
 * does that itself, but neither for a case-insensitive regex nor for an anchored search).
 */

import { RE2JS } from 're2js';

/** A pattern that failed to compile, with a message fit for a config error. */
export class PatternSyntaxError extends Error {}

/** RE2 syntax flags for the JavaScript flags a policy may use; `u` is RE2's own behaviour already. */
const RE2_FLAGS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, u: 0 };
/** RE2's anchoring argument for a match that must start at the first character. */
const ANCHOR_START = 1;

/**
 * Runs of plain characters every match must contain, for a regex without alternatives; empty when none can be said
 * for sure. Groups, classes and escapes are skipped, and a character a quantifier may drop leaves its run. Only ASCII
 * characters whose case-insensitive forms are exactly their two cases are kept: `k` and `s` also match the Kelvin
 * sign and the long s, which a case-insensitive search for `k` or `s` in JavaScript would not find.
 */
export function requiredWords(body: string, caseInsensitive: boolean): string[] {
  if (body.includes('|')) return [];
  const words: string[] = [];
  let run = '';
  const endRun = (): void => {
    if (run !== '') words.push(run);
    run = '';
  };
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const char = body[i] as string;
    if (char === '\\') {
      endRun();
      i++;
      // `\u00e9`, `\x41`, `\p{L}`, `\d`: what follows a letter or digit may belong to the escape; leave it all out.
      if (/[0-9A-Za-z]/.test(body[i] ?? '')) while (/[0-9A-Za-z{}]/.test(body[i + 1] ?? '')) i++;
    } else if (char === '[') {
      endRun();
      for (i++; i < body.length && body[i] !== ']'; i++) if (body[i] === '\\') i++;
    } else if (char === '(') {
      endRun();
      depth++;
    } else if (char === ')') depth--;
    else if (char === '*' || char === '?' || char === '{') {
      run = run.slice(0, -1);
      endRun();
      if (char === '{') while (i < body.length && body[i] !== '}') i++;
    } else if (char === '+' || char === '.' || char === '^' || char === '$') endRun();
    else if (depth === 0 && /^[\x20-\x7e]$/.test(char) && !(caseInsensitive && /[ksKS]/.test(char))) run += char;
    else endRun();
  }
  endRun();
  return words;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Compiles `/regex/flags` (already split) into a test; throws PatternSyntaxError when it cannot be used. */
export function compileCommandRegex(pattern: string, body: string, flags: string): (command: string) => boolean {
  try {
    // A JavaScript regex that does not compile is reported as such, before RE2 gives its own reason.
    new RegExp(body, flags);
  } catch (error) {
    throw new PatternSyntaxError(`invalid regex ${pattern}: ${(error as Error).message}`);
  }
  let mask = 0;
  for (const flag of flags) mask |= RE2_FLAGS[flag] ?? 0;
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(RE2JS.translateRegExp(body), mask);
  } catch (error) {
    throw new PatternSyntaxError(
      `regex ${pattern} cannot be matched in linear time (no backreferences or lookarounds): ${(error as Error).message}`,
    );
  }
  // `^` first, no alternative anywhere and no `m`: every match starts at the first character.
  const anchored = /^\^[^*+?{]/.test(body) && !body.includes('|') && !flags.includes('m');
  const test = anchored
    ? (command: string) => regex.re2Input.matchWithGroup(command, 0, command.length, ANCHOR_START, 0)[0] === true
    : (command: string) => regex.test(command);
  // Plain literals searched by JavaScript's own engine: no quantifier, so nothing to backtrack.
  const caseInsensitive = flags.includes('i');
  const words = requiredWords(body, caseInsensitive).map((word) =>
    caseInsensitive ? new RegExp(escapeRegex(word), 'i') : { test: (command: string) => command.includes(word) },
  );
  if (words.length === 0) return test;
  return (command) => {
    // A loop, not `every`: each rule of each evaluation runs this, and a callback per call is garbage.
    for (let i = 0; i < words.length; i++)
      if (!(words[i] as { test(command: string): boolean }).test(command)) return false;
    return test(command);
  };
}
