import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob } from '../../../src/policy/glob-matcher.js';
import { compileCommandPattern, normalizeCommand, PatternSyntaxError } from '../../../src/policy/patterns.js';

/**
 * The backtracking translation the automaton replaced, kept as the reference for what a glob means. Only ever run on
 * short strings here, where backtracking is harmless.
 */
const ORDINARY = '[^;&|`$()<>\\n\\r]';
const SEPARATORS = /\|\||&&|[;&|\n\r`()]|\$\(/;
function referenceRegex(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === ' ' && /^ \*{1,2}$/.test(glob.slice(i))) {
      return new RegExp(`^${out}(?: ${glob.slice(i + 1) === '**' ? '[\\s\\S]*' : `${ORDINARY}*`})?$`);
    }
    if (char === '*') {
      if (glob[i + 1] === '*') {
        out += '[\\s\\S]*';
        i++;
      } else out += `${ORDINARY}*`;
    } else if (char === '?') out += ORDINARY;
    else out += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
function referencePieces(regex: RegExp, command: string): boolean {
  return command
    .split(SEPARATORS)
    .map((part) => part.trim())
    .some((part) => part !== '' && regex.test(part));
}

const alphabet = ['a', 'b', ' ', ';', '&', '|', '$', '(', ')', '\n', '`', '>', '\u00a0', 'é'];
const commandArb = fc.array(fc.constantFrom(...alphabet), { maxLength: 14 }).map((chars) => chars.join(''));
const globArb = fc
  .array(fc.constantFrom('a', 'b', ' ', ';', '$', '(', '*', '**', '?', ' *', ' **'), { minLength: 1, maxLength: 7 })
  .map((parts) => normalizeCommand(parts.join('')))
  .filter((glob) => glob !== '' && glob !== '*' && glob !== '**');

describe('glob automaton', () => {
  it('answers as the backtracking regex did, for whole commands and for pieces of compound ones', () => {
    fc.assert(
      fc.property(globArb, commandArb, (glob, rawCommand) => {
        const command = normalizeCommand(rawCommand);
        const reference = referenceRegex(glob);
        const matcher = compileGlob(glob);
        expect(matcher.test(command)).toBe(reference.test(command));
        expect(matcher.test(command) || matcher.testPieces(command)).toBe(
          reference.test(command) || referencePieces(reference, command),
        );
      }),
      { numRuns: 5000, seed: 20240611 },
    );
  });

  it('answers as the backtracking regex did for literal segments and stars, on longer compound commands', () => {
    // These globs take the segment matcher: leftmost placement run by run must agree with the reference.
    const segmentGlobArb = fc
      .array(fc.constantFrom('a', 'b', 'ab', 'ba', ' ', '*', '**', ' *', ' **', 'é'), { minLength: 1, maxLength: 8 })
      .map((parts) => normalizeCommand(parts.join('')))
      .filter((glob) => glob !== '' && glob !== '*' && glob !== '**');
    const longCommandArb = fc
      .array(fc.constantFrom('a', 'b', 'ab', ' ', ';', '&&', '$', '$(', ')', '>', '\n', 'é', '\u00a0'), {
        maxLength: 30,
      })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(segmentGlobArb, longCommandArb, (glob, rawCommand) => {
        const command = normalizeCommand(rawCommand);
        const reference = referenceRegex(glob);
        const matcher = compileGlob(glob);
        expect(matcher.test(command)).toBe(reference.test(command));
        expect(matcher.testPieces(command)).toBe(referencePieces(reference, command));
      }),
      { numRuns: 10_000, seed: 20261203 },
    );
  });

  it('answers for each command alone when several globs take turns over several commands', () => {
    // What one command's analysis found must never answer for the next: the records and buffers are reused.
    const segmentGlobArb = fc
      .array(fc.constantFrom('a', 'b', 'ab', 'ba', ' ', '*', '**', ' *', ' **'), { minLength: 1, maxLength: 6 })
      .map((parts) => normalizeCommand(parts.join('')))
      .filter((glob) => glob !== '' && glob !== '*' && glob !== '**');
    const commandsArb = fc.array(
      fc
        .array(fc.constantFrom('a', 'b', 'ab', ' ', ';', '&&', '$(', ')', '\n'), { maxLength: 24 })
        .map((parts) => normalizeCommand(parts.join(''))),
      { minLength: 2, maxLength: 5 },
    );
    fc.assert(
      fc.property(fc.array(segmentGlobArb, { minLength: 1, maxLength: 4 }), commandsArb, (globs, commands) => {
        const matchers = globs.map((glob) => ({ matcher: compileGlob(glob), reference: referenceRegex(glob) }));
        // Forward, then backward: each command comes back after others were analysed.
        for (const command of [...commands, ...[...commands].reverse()]) {
          for (const { matcher, reference } of matchers) {
            expect(matcher.test(command)).toBe(reference.test(command));
            expect(matcher.testPieces(command)).toBe(referencePieces(reference, command));
          }
        }
      }),
      { numRuns: 2_000, seed: 20261204 },
    );
  });

  it.each([
    ['grep *a*b*c*d*e', 'grep '.concat('a'.repeat(65_536))],
    ['* * * * * *x', 'a '.repeat(32_768)],
    ['**a**b**c**d', 'a'.repeat(65_536)],
    ['rm -rf *', 'x rm -rf;'.repeat(7_000)],
  ])('stays linear on a hostile 64 KiB command: %s', (glob, command) => {
    const matcher = compileCommandPattern(glob);
    // A backtracking matcher takes minutes here; the bound is loose so a busy machine does not fail it.
    const started = performance.now();
    expect(matcher.matches(command, { anySegment: true })).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('regex patterns', () => {
  it('run on a linear engine: nested and repeated quantifiers do not blow up', () => {
    const command = 'a'.repeat(65_536);
    for (const pattern of ['/(a|a)*b/', '/(a+)+b/', '/a*a*a*a*a*b/', '/(?:a|aa)+$x/i']) {
      const started = performance.now();
      expect(compileCommandPattern(pattern).matches(command)).toBe(false);
      expect(performance.now() - started).toBeLessThan(1_000);
    }
  });

  it.each(['/(a)\\1/', '/(?=a)b/', '/(?<=a)b/', '/(?!a)b/'])('refuses %s when the policy loads', (pattern) => {
    expect(() => compileCommandPattern(pattern)).toThrow(PatternSyntaxError);
    expect(() => compileCommandPattern(pattern)).toThrow(/linear time/);
  });

  it.each<[string, string, boolean]>([
    ['/^psql\\b/', 'psql -c "select 1"', true],
    ['/DROP\\s+TABLE/i', 'echo hi; drop table x', true],
    ['/^ls(\\s|$)/m', 'id\nls', true],
    ['/a.b/s', 'a\nb', true],
    ['/a.b/', 'a\nb', false],
    ['/\\/etc\\/passwd/', 'cat /etc/passwd', true],
    ['/^caf\\u00e9$/u', 'café', true],
    // Run anchored: a `^` regex is decided at the start only.
    ['/^grep\\s+\\S*10/', 'grep -10', true],
    ['/^grep\\s+\\S*10/', 'x; grep -10', false],
    ['/^x|grep/', 'a grep', true],
    ['/^ls/m', 'id\nls', true],
    // Case-insensitive regexes look for their words first: forms of k and s other than ASCII still match.
    ['/desk\\s+top/i', 'DE\u017f\u212a TOP', true],
    ['/caf\\u00e9 ab{2}cd/i', 'CAFÉ ABBCD', true],
    ['/drop\\s+table/i', 'DROP  TABLES', true],
    ['/drop\\s+table/i', 'DROP TAB', false],
    ['/(?:drop)?\\s*table x?y/i', 'TABLE Y', true],
  ])('keeps JavaScript syntax and flags: %s vs %j → %s', (pattern, command, expected) => {
    expect(compileCommandPattern(pattern).matches(command)).toBe(expected);
  });
});
