import { randomBytes } from 'node:crypto';
import { shellQuote } from '../shared/shell-quote.js';
import { SsmError } from '../ssm/errors.js';
import type { OutputFilter } from '../ssm/exec-session.js';

/**
 * ECS Exec reports no exit code, so the command runs inside `<shell> -c` with an EXIT trap that prints a per-run
 * marker and `$?` on a line of its own. The marker is printed from two halves, so the text that ends up in the
 * output never appears whole in the command line (a `ps` listing cannot fake it).
 *
 * The SSM session knows nothing of this: it is handed {@link wrapperOutputFilter}, which removes the wrapper's lines
 * from the output and reads the status off the marker line.
 */

/** How the wrapper prepares the terminal before the command. */
export interface WrapOptions {
  /**
   * Turn off the pty's CR insertion and echo (`stty -onlcr -echo`) and announce on a ready line whether that worked,
   * so output is byte-exact for a pipe or a file and forwarded stdin is not echoed back. Off for Slack (rendered as a
   * terminal) and for interactive shells.
   */
  plainTerminal?: boolean;
}

/** A wrapped command: what to send, the exit-status marker, and for a plain terminal the ready marker. */
export interface WrappedCommand {
  command: string;
  marker: string;
  /** Printed as `<readyMarker>:<stty status>` once the terminal is set up, before the command runs. */
  readyMarker: string | null;
}

/** A marker printed from two halves, so the text that ends up in the output never appears whole in the command. */
function splitMarker(): { head: string; tail: string } {
  return { head: `__ECSEXEC_${randomBytes(6).toString('hex')}`, tail: `${randomBytes(6).toString('hex')}__` };
}

/**
 * Wraps `command` so the run reports its exit code: `<shell> -c '<trap printing the marker>⏎<command>'`.
 * The command keeps its own quoting: it is the script the shell runs, not re-split by us.
 * @throws SsmError `ssm.exit_code.no_shell` for shell `none` (use {@link prepareCommand}).
 */
export function wrapCommand(command: string, shell: string, options: WrapOptions = {}): WrappedCommand {
  if (shell === 'none' || shell.trim() === '') {
    throw new SsmError('ssm.exit_code.no_shell', 'cannot wrap a command without a shell');
  }
  const exit = splitMarker();
  // A newline, not `;`, ends the trap's line: the shell parses and runs that line before it reads the command, so
  // the trap is set even when the command has a syntax error (on one line, a parse error would skip it and the run
  // would look lost). With the trap first, a trailing `# comment` in the command cannot swallow anything either.
  let script = `trap 'printf "\\n%s%s:%d\\n" ${exit.head} ${exit.tail} "$?"' EXIT\n`;
  let readyMarker: string | null = null;
  if (options.plainTerminal) {
    const ready = splitMarker();
    readyMarker = `${ready.head}${ready.tail}`;
    // Set before anything is typed: the client holds stdin until the ready line, so no input is echoed. A container
    // without stty reports its failure on that line and the client translates CRLF itself.
    script += `stty -onlcr -echo 2>/dev/null; printf '%s%s:%d\\n' ${ready.head} ${ready.tail} "$?"\n`;
  }
  script += command;
  return { command: `${shellQuote(shell)} -c ${shellQuote(script)}`, marker: `${exit.head}${exit.tail}`, readyMarker };
}

/** Wraps with the shell, or for shell `none` runs the command as given with no marker (the exit code stays unknown). */
export function prepareCommand(
  command: string,
  shell: string,
  options: WrapOptions = {},
): { command: string; marker: string | null; readyMarker: string | null } {
  if (shell === 'none') return { command, marker: null, readyMarker: null };
  return wrapCommand(command, shell, options);
}

/**
 * Streaming remover of the marker line (see {@link createExitMarkerFilter}): `push` returns what may be shown now,
 * `end` whatever was held back (never a complete marker line), `exitCode` the status once the marker line was seen.
 */
export interface ExitMarkerFilter extends OutputFilter {
  /** The marker this filter looks for. */
  readonly marker: string;
}

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = new Uint8Array(0);
/** Longest `-?digits` we accept after the colon. */
const MAX_CODE_DIGITS = 4;

/**
 * Removes `[\r]\n<marker>:<code>[\r]\n` from a byte stream that may split it anywhere, and reports `<code>`.
 * Holds back only a tail that could still be the start of the marker line; everything else passes straight through.
 */
export function createExitMarkerFilter(marker: string): ExitMarkerFilter {
  const needle = Buffer.from(`\n${marker}:`, 'latin1');
  let held: Buffer = Buffer.alloc(0);
  let exitCode: number | null = null;

  /** Where the marker line at `lf` (index of its leading \n) ends, -1 if incomplete, -2 if it is not a marker line. */
  function parseLine(data: Buffer, lf: number): { end: number; code: number } | -1 | -2 {
    let i = lf + needle.length;
    const digitsStart = i;
    if (i < data.length && data[i] === 0x2d) i += 1;
    while (i < data.length && (data[i] as number) >= 0x30 && (data[i] as number) <= 0x39) {
      i += 1;
      if (i - digitsStart > MAX_CODE_DIGITS + 1) return -2;
    }
    if (i >= data.length) return -1;
    const code = Number(data.toString('latin1', digitsStart, i));
    if (i === digitsStart || Number.isNaN(code)) return -2;
    if (data[i] === LF) return { end: i + 1, code };
    if (data[i] !== CR) return -2;
    if (i + 1 >= data.length) return -1;
    return data[i + 1] === LF ? { end: i + 2, code } : -2;
  }

  /** Start of the shortest tail of `data` that could still grow into `[\r]\n<marker>:`. */
  function partialStart(data: Buffer): number {
    const from = Math.max(0, data.length - needle.length);
    for (let start = from; start < data.length; start += 1) {
      if (data[start] !== LF) continue;
      const tail = data.subarray(start);
      if (needle.subarray(0, tail.length).equals(tail)) return start > 0 && data[start - 1] === CR ? start - 1 : start;
    }
    if (data.length > 0 && data[data.length - 1] === CR) return data.length - 1;
    return data.length;
  }

  return {
    marker,
    get exitCode() {
      return exitCode;
    },
    push(chunk) {
      if (exitCode !== null) return chunk;
      const data =
        held.length > 0 ? Buffer.concat([held, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      let searchFrom = 0;
      for (;;) {
        const lf = data.indexOf(needle, searchFrom);
        if (lf < 0) break;
        const line = parseLine(data, lf);
        const lineStart = lf > 0 && data[lf - 1] === CR ? lf - 1 : lf;
        if (line === -1) {
          held = Buffer.from(data.subarray(lineStart));
          return data.subarray(0, lineStart);
        }
        if (line === -2) {
          searchFrom = lf + 1;
          continue;
        }
        exitCode = line.code;
        held = Buffer.alloc(0);
        if (line.end === data.length) return data.subarray(0, lineStart);
        return Buffer.concat([data.subarray(0, lineStart), data.subarray(line.end)]);
      }
      const keepFrom = partialStart(data);
      held = keepFrom < data.length ? Buffer.from(data.subarray(keepFrom)) : Buffer.alloc(0);
      return keepFrom === data.length ? data : data.subarray(0, keepFrom);
    },
    end() {
      const rest = held;
      held = Buffer.alloc(0);
      return rest.length > 0 ? rest : EMPTY;
    },
  };
}

/** Streaming remover of the wrapper's ready line; see {@link createReadyGate}. */
export interface ReadyGate {
  /** Feeds output; returns what may be shown now (possibly empty). */
  push(chunk: Uint8Array): Uint8Array;
  /** The stream ended: returns whatever was held back. */
  end(): Uint8Array;
  /** The status the ready line reported (0: the terminal is plain), or null before it arrived. */
  readonly status: number | null;
}

/**
 * Removes the first `<marker>:<status>[\r]\n` line and reports `<status>`. Until it arrives everything is held (only
 * the shell's own complaints can come first; they are passed on with the rest); afterwards bytes pass unchanged.
 */
export function createReadyGate(marker: string, onReady: (status: number) => void): ReadyGate {
  const needle = Buffer.from(`${marker}:`, 'latin1');
  let held: Buffer = Buffer.alloc(0);
  let status: number | null = null;
  return {
    get status() {
      return status;
    },
    push(chunk) {
      if (status !== null) return chunk;
      held = Buffer.concat([held, chunk]);
      const at = held.indexOf(needle);
      if (at < 0) return EMPTY;
      const lf = held.indexOf(LF, at + needle.length);
      if (lf < 0) return EMPTY;
      const text = held.toString('latin1', at + needle.length, lf).replace(/\r$/, '');
      status = /^-?\d{1,4}$/.test(text) ? Number(text) : 1;
      const out = Buffer.concat([held.subarray(0, at), held.subarray(lf + 1)]);
      held = Buffer.alloc(0);
      onReady(status);
      return out;
    },
    end() {
      const rest = held;
      held = Buffer.alloc(0);
      return rest.length > 0 ? rest : EMPTY;
    },
  };
}

/**
 * The output filter for a prepared command: the ready line (with a plain terminal) and the exit-status line are
 * removed, and the status read from the latter. Null for a command run as given (no marker, status unknown).
 */
export function wrapperOutputFilter(
  prepared: { marker: string | null; readyMarker: string | null },
  onReady?: (status: number) => void,
): ExitMarkerFilter | null {
  if (prepared.marker === null) return null;
  const exit = createExitMarkerFilter(prepared.marker);
  if (prepared.readyMarker === null) return exit;
  const gate = createReadyGate(prepared.readyMarker, (status) => onReady?.(status));
  return {
    marker: exit.marker,
    get exitCode() {
      return exit.exitCode;
    },
    push: (chunk) => exit.push(gate.push(chunk)),
    end() {
      const held = exit.push(gate.end());
      const rest = exit.end();
      if (rest.length === 0) return held;
      return held.length === 0 ? rest : Buffer.concat([held, rest]);
    },
  };
}
