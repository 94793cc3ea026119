import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../../../src/shared/shell-quote.js';

describe('shellQuote with a real sh', () => {
  it('shellQuote keeps any word one literal argument for sh', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 0, maxLength: 30 }).filter((s) => !s.includes('\0')),
        (word) => {
          const out = execFileSync('sh', ['-c', `printf '%s' ${shellQuote(word)}`], { encoding: 'utf8' });
          expect(out).toBe(word);
        },
      ),
      { numRuns: 60 },
    );
  });
});
