import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellQuote } from '../../shared/shell-quote.js';

/** A command running on a pseudo-terminal, seen as a byte stream both ways. */
export interface PtyProcess {
  readonly pid: number | undefined;
  /** The directory the command runs in (empty at start, removed when the process is disposed). */
  readonly workDir: string;
  /** Bytes typed into the terminal (0x03 interrupts the foreground job, as on a real tty). */
  write(bytes: Uint8Array): void;
  /** Sets the terminal size (TIOCSWINSZ), which also sends SIGWINCH to the foreground job. */
  resize(cols: number, rows: number): void;
  /** Stops reading output, which back-pressures the command as a full pty would. */
  pause(): void;
  resume(): void;
  /** Kills the command and everything in its terminal session. */
  kill(): void;
  /** Removes the working directory; call after exit. */
  dispose(): void;
}

export interface PtyHandlers {
  onData(chunk: Buffer): void;
  /** `code` is the command's exit status (128 + n when killed by signal n). */
  onExit(code: number): void;
}

/** Environment of every sandboxed command: nothing of the host's own variables, so no secret can leak into output. */
export function sandboxEnvironment(home: string): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: home,
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
    SHELL: '/bin/sh',
    HOSTNAME: 'ip-10-0-1-23.ec2.internal',
    AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE',
  };
}

let scriptChecked: boolean | undefined;

/** True when util-linux `script` (our pseudo-terminal provider) is installed. */
export function isScriptAvailable(): boolean {
  if (scriptChecked === undefined) {
    const result = spawnSync('script', ['--version'], { encoding: 'utf8' });
    scriptChecked = result.status === 0 && /util-linux/.test(result.stdout);
  }
  return scriptChecked;
}

/**
 * Runs argv on a real pseudo-terminal through util-linux `script -qefc`, without native addons. `script` hands its
 * string to `sh -c`; we make that string `exec` the quoted argv, so no shell syntax in the command is interpreted,
 * as with the agent. Before the exec the shell notes its pid and tty, so resize and kill can reach the terminal.
 */
export function spawnPtyProcess(argv: string[], handlers: PtyHandlers): PtyProcess {
  const base = mkdtempSync(join(tmpdir(), 'ecs-exec-sandbox-'));
  const workDir = join(base, 'work');
  const metaFile = join(base, 'tty');
  const env = sandboxEnvironment(workDir);
  const program = `printf '%s %s' "$$" "$(tty)" > ${shellQuote(metaFile)}; exec ${argv.map(shellQuote).join(' ')}`;
  let child: ChildProcess | undefined;
  let meta: { pid: number; tty: string } | undefined;
  let pendingSize: { cols: number; rows: number } | undefined;
  let exited = false;
  let killedEarly = false;

  const readMeta = (): { pid: number; tty: string } | undefined => {
    if (meta) return meta;
    try {
      const [pid, tty] = readFileSync(metaFile, 'utf8').split(' ');
      if (pid && tty?.startsWith('/dev/')) meta = { pid: Number(pid), tty };
    } catch {
      // Not written yet: the shell has not reached the exec.
    }
    return meta;
  };

  const applySize = (attempt = 0): void => {
    const size = pendingSize;
    if (!size || exited) return;
    const known = readMeta();
    if (!known) {
      if (attempt < 50) setTimeout(() => applySize(attempt + 1), 20).unref();
      return;
    }
    pendingSize = undefined;
    execFile('stty', ['-F', known.tty, 'cols', String(size.cols), 'rows', String(size.rows)], () => {});
  };

  const start = async (): Promise<void> => {
    await mkdir(workDir, { recursive: true });
    if (killedEarly) {
      exited = true;
      handlers.onExit(137);
      return;
    }
    child = spawn('script', ['-qefc', program, '/dev/null'], {
      cwd: workDir,
      env,
      stdio: ['pipe', 'pipe', 'ignore'],
      detached: true,
    });
    child.stdout?.on('data', (chunk: Buffer) => handlers.onData(chunk));
    child.stdin?.on('error', () => {});
    child.on('error', () => {
      exited = true;
      handlers.onExit(127);
    });
    child.on('close', (code, signal) => {
      exited = true;
      handlers.onExit(code ?? (signal === 'SIGKILL' ? 137 : 143));
    });
    if (pendingSize) applySize();
  };
  // mkdir is quick; the first write or resize waits for the child by checking `child` lazily.
  const started = start();

  const signalAll = (signal: NodeJS.Signals): void => {
    const known = readMeta();
    // The command is a session leader on its own terminal: its process group holds what it started.
    if (known) {
      try {
        process.kill(-known.pid, signal);
      } catch {
        // Already gone.
      }
    }
    if (child?.pid !== undefined) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // Already gone.
      }
    }
  };

  return {
    get pid() {
      return child?.pid;
    },
    workDir,
    write: (bytes) => {
      if (child) child.stdin?.write(bytes);
      else void started.then(() => child?.stdin?.write(bytes));
    },
    resize: (cols, rows) => {
      pendingSize = { cols, rows };
      if (child) applySize();
    },
    pause: () => child?.stdout?.pause(),
    resume: () => child?.stdout?.resume(),
    kill: () => {
      if (exited) return;
      if (!child) killedEarly = true;
      signalAll('SIGKILL');
    },
    dispose: () => rmSync(base, { recursive: true, force: true }),
  };
}
