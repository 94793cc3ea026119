import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CommandSplitError, splitCommand } from '../../../src/sandbox/agent/command-split.js';
import { shellQuote } from '../../../src/shared/shell-quote.js';

describe('splitCommand (the agent’s shlex rules)', () => {
  it.each([
    ['ls -la /tmp', ['ls', '-la', '/tmp']],
    ['  spaced   out  ', ['spaced', 'out']],
    [`echo 'a b' "c d"`, ['echo', 'a b', 'c d']],
    [`echo 'it'\\''s'`, ['echo', "it's"]],
    [
      `printf "%s\\n" "q\\"uote" "back\\\\slash" "\\$HOME" "\\x"`,
      ['printf', '%s\\n', 'q"uote', 'back\\slash', '$HOME', '\\x'],
    ],
    ['a\\ b c', ['a b', 'c']],
    [`sh -c 'echo $HOME | wc -c; exit 3'`, ['sh', '-c', 'echo $HOME | wc -c; exit 3']],
    [`x''y ""`, ['xy', '']],
    ['echo $HOME;ls', ['echo', '$HOME;ls']],
    ['', []],
  ])('%s', (command, argv) => {
    expect(splitCommand(command)).toEqual(argv);
  });

  it.each([`echo 'open`, 'echo "open', 'trailing\\'])('refuses %s', (command) => {
    expect(() => splitCommand(command)).toThrow(CommandSplitError);
  });

  it('a quoted word splits back to itself', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 5 }), (words) => {
        expect(splitCommand(words.map(shellQuote).join(' '))).toEqual(words);
      }),
    );
  });
});
