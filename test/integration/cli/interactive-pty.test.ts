import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isScriptAvailable } from '../../../src/sandbox/agent/pty-process.js';
import { type Sandbox, startSandbox } from '../../../src/sandbox/index.js';
import { shellQuote } from '../../../src/shared/shell-quote.js';
import { cliCommand, startProcess } from './cli-process.js';

let sandbox: Sandbox;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  sandbox = await startSandbox();
  env = { PATH: process.env['PATH'], HOME: process.env['HOME'], ...sandbox.env };
});

afterAll(async () => {
  await sandbox.close();
});

/**
 * Runs the CLI on a real pseudo-terminal: util-linux `script` gives it one and passes what we write to its stdin as
 * keystrokes. Around the CLI, the shell notes the terminal's device (to resize it) and its settings before and after
 * (to prove they are restored), and prints the CLI's exit code.
 */
function onTerminal(args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'ecs-exec-pty-'));
  const [node, argv] = cliCommand(args);
  const cli = [node, ...argv].map(shellQuote).join(' ');
  const script =
    `stty cols 90 rows 33; tty > ${dir}/tty; stty -g > ${dir}/before; ` +
    `${cli}; echo "CLI-EXIT=$?"; stty -g > ${dir}/after`;
  const run = startProcess('script', ['-qfec', script, '/dev/null'], env);
  return {
    ...run,
    type: (keys: string) => run.child.stdin.write(keys),
    tty: () => readFileSync(join(dir, 'tty'), 'utf8').trim(),
    settings: () => [readFileSync(join(dir, 'before'), 'utf8'), readFileSync(join(dir, 'after'), 'utf8')],
  };
}

describe.skipIf(!isScriptAvailable())('ecs-exec exec on a terminal', () => {
  it('opens a shell: keys, resize and Ctrl-C reach it, exit 3 gives 3, and the terminal is restored', async () => {
    const term = onTerminal(['exec', '--cluster', 'demo', '--service', 'web']);
    term.type("PS1='READY> '\r");
    await term.waitForStdout(/READY> $/);
    expect(term.stdout().toString()).not.toContain('Starting session');

    term.type('echo hello-$((1+2))\r');
    await term.waitForStdout(/hello-3\r+\n/);

    // The size at the start is the terminal's; a resize (SIGWINCH) is followed. The remote side applies a size a
    // moment after it arrives, so ask again until the answer is the new one.
    term.type('stty size\r');
    await term.waitForStdout(/\r33 90\r+\n/);
    execFileSync('stty', ['-F', term.tty(), 'cols', '100', 'rows', '40']);
    for (let attempt = 0; attempt < 20 && !/\r40 100\r+\n/.test(term.stdout().toString()); attempt += 1) {
      const answers =
        term
          .stdout()
          .toString()
          .match(/\r\d+ \d+\r+\n/g)?.length ?? 0;
      term.type('stty size\r');
      await term.waitForStdout((text) => (text.match(/\r\d+ \d+\r+\n/g)?.length ?? 0) > answers);
    }
    expect(term.stdout().toString()).toMatch(/\r40 100\r+\n/);

    // Ctrl-C is a byte for the remote terminal: it interrupts the remote sleep, not this CLI.
    term.type('sleep 30; echo not-interrupted\r');
    await term.waitForStdout(/sleep 30; echo not-interrupted\r+\n/);
    term.type('\x03');
    term.type('echo after-$((2*3))\r');
    await term.waitForStdout(/after-6\r+\n/);
    expect(term.stdout().toString()).not.toMatch(/\rnot-interrupted/);

    term.type('exit 3\r');
    await term.waitForStdout(/CLI-EXIT=\d+/);
    expect(term.stdout().toString()).toMatch(/CLI-EXIT=3\r?\n/);
    expect(await term.exit).toBe(0);
    const [before, after] = term.settings();
    expect(after).toBe(before);
  }, 90_000);

  it('runs a command given on a terminal without raw mode and returns its exit code', async () => {
    const term = onTerminal(['exec', '--cluster', 'demo', '--service', 'web', '--', 'echo plain; exit 4']);
    await term.waitForStdout(/CLI-EXIT=\d+/);
    expect(term.stdout().toString()).toMatch(/plain\r\n[\s\S]*CLI-EXIT=4/);
    expect(await term.exit).toBe(0);
    const [before, after] = term.settings();
    expect(after).toBe(before);
  });
});
