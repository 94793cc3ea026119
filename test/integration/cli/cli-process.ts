import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

/** A running `ecs-exec` process (from the sources, through tsx) with everything it printed so far. */
export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  stdout(): Buffer;
  stderr(): string;
  /** Resolves once stdout matches (checked on every chunk, so no polling and no fixed delay). */
  waitForStdout(pattern: RegExp | string | ((text: string) => boolean)): Promise<void>;
  /** Resolves with the exit code (or 128 + n when killed by signal n). */
  exit: Promise<number>;
}

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Starts a process and collects its output; `file` and `args` are what runs (the CLI, or `script` around it). */
export function startProcess(file: string, args: string[], env: Record<string, string | undefined>): CliProcess {
  const child = spawn(file, args, {
    env: { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: 'pipe',
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    out.push(chunk);
    for (const check of waiters.splice(0)) check();
  });
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const exit = new Promise<number>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? 128 + (SIGNALS[signal ?? ''] ?? 0))),
  );
  const stdout = (): Buffer => Buffer.concat(out);
  const waitForStdout = (pattern: RegExp | string | ((text: string) => boolean)): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const text = stdout().toString('utf8');
        const found =
          typeof pattern === 'string'
            ? text.includes(pattern)
            : typeof pattern === 'function'
              ? pattern(text)
              : pattern.test(text);
        if (found) resolve();
        else if (child.exitCode !== null) reject(new Error(`exited before ${String(pattern)}: ${text}`));
        else waiters.push(check);
      };
      check();
    });
  return { child, stdout, stderr: () => Buffer.concat(err).toString('utf8'), waitForStdout, exit };
}

/** The CLI's command line, run from the TypeScript sources. */
export function cliCommand(args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args]];
}

/** Starts `ecs-exec <args>` as a process with the given environment. */
export function startCli(args: string[], env: Record<string, string | undefined>): CliProcess {
  const [file, argv] = cliCommand(args);
  return startProcess(file, argv, env);
}
