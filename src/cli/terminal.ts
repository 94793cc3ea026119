import type { SessionControl } from '../ssm/exec-session.js';
import type { CliStdin, CliStdout } from './io.js';

const CTRL_D = 0x04;
const LF = 0x0a;

/**
 * Puts the local terminal in raw mode for an interactive session, so every keystroke (Ctrl-C, Ctrl-Z and Ctrl-D
 * included) reaches the remote terminal as a byte instead of signalling this process. `restore` is idempotent and
 * also runs on process exit, so no path out of the CLI leaves the terminal raw.
 */
export function enterRawMode(stdin: CliStdin): { restore: () => void } {
  let raw = false;
  const restore = (): void => {
    if (!raw) return;
    raw = false;
    process.off('exit', restore);
    try {
      stdin.setRawMode?.(false);
    } catch {
      // The terminal is already gone (hung up): nothing left to restore.
    }
  };
  stdin.setRawMode?.(true);
  raw = true;
  process.on('exit', restore);
  return { restore };
}

/** The size of the local terminal, when stdout is one. */
export function terminalSizeOf(stdout: CliStdout): { cols: number; rows: number } | undefined {
  if (!stdout.isTTY || !stdout.columns || !stdout.rows) return undefined;
  return { cols: stdout.columns, rows: stdout.rows };
}

/** Sends the local terminal's size on every resize (SIGWINCH, which Node reports as `resize` on stdout). */
export function followResizes(stdout: CliStdout, control: SessionControl): () => void {
  const onResize = (): void => {
    const size = terminalSizeOf(stdout);
    if (size) control.resize(size);
  };
  stdout.on('resize', onResize);
  return () => stdout.off('resize', onResize);
}

/**
 * Forwards stdin to the remote terminal as typed bytes. For a pipe or file, its end becomes end-of-file on the remote
 * side: Ctrl-D, which the terminal reads as EOF at the start of a line; after a last line without a newline the first
 * Ctrl-D only hands that line over, so a second one follows. (The session-manager-plugin has no such signal: it
 * stops at EOF on stdin. Closing our side would end nothing remotely, so the terminal's own EOF is what is sent.)
 * Returns a stop function that detaches from stdin.
 */
export function forwardStdin(stdin: CliStdin, control: SessionControl, options: { eof: boolean }): () => void {
  let last = LF;
  const onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (bytes.length === 0) return;
    last = bytes[bytes.length - 1] ?? LF;
    // Copy: the session keeps the bytes until they are acknowledged, and the stream may reuse its buffer.
    control.sendInput(Uint8Array.from(bytes));
  };
  const onEnd = (): void => {
    if (options.eof) control.sendInput(last === LF ? Uint8Array.of(CTRL_D) : Uint8Array.of(CTRL_D, CTRL_D));
  };
  stdin.on('data', onData);
  stdin.once('end', onEnd);
  stdin.resume();
  return () => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
  };
}
