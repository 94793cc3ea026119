/** The command could not be split (an unclosed quote or a trailing backslash). */
export class CommandSplitError extends Error {
  override readonly name = 'CommandSplitError';
}

/**
 * Splits a command line into argv the way the SSM agent does for InteractiveCommands (POSIX shlex rules): whitespace
 * separates words, single quotes keep everything literally, double quotes allow `\"`, `\\`, `\$` and `` \` ``
 * escapes, a backslash outside quotes escapes the next character. Nothing else is interpreted: no variables, globs,
 * pipes or `;`. Those need `sh -c`.
 * @throws CommandSplitError for an unclosed quote or a trailing escape.
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < command.length) {
    const ch = command[i] as string;
    if (ch === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new CommandSplitError('No closing quotation');
      word += command.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i += 1;
      inWord = true;
      for (;;) {
        if (i >= command.length) throw new CommandSplitError('No closing quotation');
        const inner = command[i] as string;
        if (inner === '"') break;
        if (inner === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1] as string)) {
          word += command[i + 1];
          i += 2;
          continue;
        }
        word += inner;
        i += 1;
      }
      i += 1;
    } else if (ch === '\\') {
      if (i + 1 >= command.length) throw new CommandSplitError('No escaped character');
      word += command[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i += 1;
    } else {
      word += ch;
      inWord = true;
      i += 1;
    }
  }
  if (inWord) words.push(word);
  return words;
}
