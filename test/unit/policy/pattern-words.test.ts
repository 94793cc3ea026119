import { describe, expect, it } from 'vitest';
import { patternHint, patternInWords, patternProblem } from '../../../src/policy/pattern-words.js';

describe('runbook patterns in words', () => {
  it.each([
    ['^[a-z0-9-]+$', 'lowercase letters, digits and -'],
    ['^[A-Za-z0-9 _.-]{1,40}$', 'letters, digits, spaces, _, . and -; 1 to 40 characters'],
    ['^[A-Za-z ;$()]+$', 'letters, spaces, ;, $, ( and )'],
    ['^[0-9]{6}$', 'digits; exactly 6 characters'],
    ['^[a-z]{3,}$', 'lowercase letters; at least 3 characters'],
    ['^[\\w.]+$', 'letters, digits, _ and .'],
  ])('%s reads "%s"', (pattern, words) => {
    expect(patternInWords(pattern)).toBe(words);
  });

  it.each(['^(foo|bar)$', '[a-z]+', '^[^;]+$', '^[a-f0-9]+$', '^[a-z]*$'])(
    'leaves %s as a pattern: it has no simple reading',
    (pattern) => {
      expect(patternInWords(pattern)).toBeUndefined();
      expect(patternHint(pattern)).toBe(`text matching ${pattern}`);
      expect(patternProblem(pattern)).toBe(`must match ${pattern}`);
    },
  );

  it('says what is wrong with a value in the same words', () => {
    expect(patternProblem('^[a-z0-9-]+$')).toBe('may only contain lowercase letters, digits and -');
  });
});
