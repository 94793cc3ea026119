/** Standard input as the CLI needs it: a stream, and for a terminal the raw-mode switch. */
export interface CliStdin extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
}

/** Standard output as the CLI needs it: a stream, and for a terminal its size (and `resize` events). */
export interface CliStdout extends NodeJS.WritableStream {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/** Where a CLI command reads and writes; injected so tests capture output without spawning a process. */
export interface CliIo {
  stdout: CliStdout;
  stderr: NodeJS.WritableStream;
  /** Absent when the caller has nothing to forward (in-process tests); the process passes its own stdin. */
  stdin?: CliStdin;
  env: Record<string, string | undefined>;
  /**
   * Aborted on SIGINT (reason `'SIGINT'`) or SIGTERM (reason `'SIGTERM'`); long-running commands cancel their remote
   * work on it and exit with the matching code.
   */
  signal: AbortSignal;
}

/** A sub-command: takes the arguments after its name and returns the process exit code. */
export type CliCommand = (args: string[], io: CliIo) => Promise<number>;

/**
 * Exit codes of the CLI's own outcomes. A remote command's exit code passes through unchanged, so ours sit where
 * shells and ssh put theirs: 2 for bad usage, 124/130/143 as timeout(1) and signals, 252–255 at the top of the range.
 */
export const EXIT = {
  ok: 0,
  /** A check that found a problem: an invalid config, a denied request, a broken audit chain, something to fix. */
  checkFailed: 1,
  /** Bad arguments; nothing was attempted. */
  usage: 2,
  /** `--timeout` passed; the remote command was interrupted. */
  timedOut: 124,
  /** Ctrl-C (SIGINT); the remote command was interrupted. */
  interrupted: 130,
  /** SIGTERM; the remote command was interrupted and the session terminated. */
  terminated: 143,
  /** The command finished but its exit status is unknown (no shell wrapper). Never 0: nobody can tell it worked. */
  statusUnknown: 252,
  /** The session broke off after the command started; it may still be running. */
  sessionBroke: 253,
  /** No usable credentials, or AWS refused them or the call (expired SSO login, access denied); nothing ran. */
  authFailed: 254,
  /** Could not start: the target, the region or the AWS setup is wrong, or the service unreachable; nothing ran. */
  couldNotStart: 255,
} as const;

/** Exit code for "could not run" (unreachable target, bad setup), distinct from any usual remote command's code. */
export const EXIT_COULD_NOT_RUN = EXIT.couldNotStart;

/** The exit code for a cancelled run: 143 when the process was asked to terminate, else 130. */
export function cancelledExitCode(signal: AbortSignal): number {
  return signal.reason === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
}

/** True when `--help` or `-h` comes before any `--` (after it, they belong to the remote command). */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** Splits arguments at the first `--`: our flags before it, the remote command's words after it. */
export function splitAtDoubleDash(args: readonly string[]): { flags: string[]; words: string[] | undefined } {
  const end = args.indexOf('--');
  return end === -1
    ? { flags: [...args], words: undefined }
    : { flags: args.slice(0, end), words: args.slice(end + 1) };
}

/** A mistake in the command line; the command prints it with its usage and exits {@link EXIT.usage}. */
export class UsageError extends Error {}

/** Runs node:util parseArgs (or any parser) and turns its complaints into a {@link UsageError}. */
export function parseOrUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Prints a usage error to stderr with the command's usage, and returns {@link EXIT.usage}. */
export function usageFailure(io: CliIo, prefix: string, message: string, usage: string): number {
  io.stderr.write(`${prefix}: ${message}\n\n${usage}`);
  return EXIT.usage;
}
