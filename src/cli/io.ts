/** Where a CLI command writes; injected so tests capture output without spawning a process. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C / SIGTERM; long-running commands cancel their remote work on it. */
  signal: AbortSignal;
}

/** A sub-command: takes the arguments after its name and returns the process exit code. */
export type CliCommand = (args: string[], io: CliIo) => Promise<number>;

/** Exit code for "could not run" (bad usage, unreachable target), distinct from any remote command's code. */
export const EXIT_COULD_NOT_RUN = 255;
