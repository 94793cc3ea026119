/**
 * The one way the product quotes words for a POSIX shell and for the SSM agent's shlex-style splitter (which both
 * keep a single-quoted word literal). Runbook values, the CLI's argv, the exit-status wrapper and the sandbox's pty
 * all quote through here, so a word that one of them leaves bare is bare everywhere.
 */

/** Characters that never mean anything to `sh` or to the agent's splitter inside a word, so such a word can stay bare. */
const BARE_WORD = /^[A-Za-z0-9_./:,+@%-]+$/;

/**
 * Quotes one value as a single literal word. Values are wrapped in single quotes, inside which `sh` interprets
 * nothing; an embedded `'` closes the quote, adds an escaped `\'` and reopens it. Plain words (`200`,
 * `/var/log/app.log`) stay bare so the command on the request card reads naturally. `=` is never left bare, because
 * `a=b` in command position would become an assignment.
 */
export function shellQuote(value: string): string {
  if (BARE_WORD.test(value)) return value;
  return `'${value.replace(/'/g, "'\\''")}'`;
}

/** Joins argv into one command line in which each word stays exactly one literal word. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/** Half of a UTF-16 surrogate pair on its own cannot be encoded for a process argument. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a value cannot be passed to `sh` as an argument at all, or undefined when it can. */
export function unquotableReason(value: string): string | undefined {
  if (value.includes('\0')) return 'contains a NUL character, which no command argument can carry';
  if (LONE_SURROGATE.test(value)) return 'is not valid Unicode text';
  return undefined;
}
