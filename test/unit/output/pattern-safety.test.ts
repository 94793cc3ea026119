import { describe, expect, it } from 'vitest';
import { patternSafetyProblems } from '../../../src/output/pattern-safety.js';

describe('patternSafetyProblems', () => {
  it.each([
    'acme_[a-z0-9]{32}',
    String.raw`\bACME-[A-Z0-9]{4}-[A-Z0-9]{4}\b`,
    '(?:live|test)_[a-f0-9]{40}',
    'token=([A-Za-z0-9+/]{16,256}={0,2})',
    '[(+*]{1,5}x',
    String.raw`a\+{1,3}`,
  ])('accepts %s', (pattern) => {
    expect(patternSafetyProblems(pattern)).toEqual([]);
  });

  it.each([
    ['(a{1,5}){1,5}', 'nested quantifier'],
    ['((ab|cd)){1,9}', 'nested quantifier'],
    ['(x(a|b)y){1,3}', 'nested quantifier'],
    ['a*', 'without a bound'],
    ['a{3,}', 'without a bound'],
    [String.raw`(a)\1`, 'backreference'],
    [String.raw`(?<n>a)\k<n>`, 'backreference'],
    ['(?<=x)a', 'lookahead or lookbehind'],
    ['(?!x)a', 'lookahead or lookbehind'],
  ])('rejects %s', (pattern, message) => {
    expect(patternSafetyProblems(pattern).join('\n')).toContain(message);
  });
});
