import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitCommand } from '../../../src/sandbox/agent/command-split.js';
import { shellJoin, shellQuote } from '../../../src/shared/shell-quote.js';

describe('shellQuote: one rule for runbook values, CLI argv and the exit-status wrapper', () => {
  it.each([
    ['/bin/bash', '/bin/bash'],
    ['user@host:8080', 'user@host:8080'],
    ['FOO=bar', "'FOO=bar'"],
    ['', "''"],
    ['*.log', "'*.log'"],
  ])('%j → %s', (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
  });

  it("joined argv comes back word for word through the agent's splitter", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 6 }), (words) => {
        expect(splitCommand(shellJoin(words))).toEqual(words);
      }),
    );
  });
});
