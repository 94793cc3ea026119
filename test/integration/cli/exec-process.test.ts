import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../src/sandbox/index.js';
import { callsOf } from '../ecs/helpers.js';
import { startCli } from './cli-process.js';

let sandbox: Sandbox;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  sandbox = await startSandbox();
  env = { PATH: process.env['PATH'], HOME: process.env['HOME'], ...sandbox.env };
});

afterAll(async () => {
  await sandbox.close();
});

const WEB = ['exec', '--cluster', 'demo', '--service', 'web'];

describe('ecs-exec exec as a process in a pipeline', () => {
  it('gives $(ecs-exec exec ... hostname) without a CR', async () => {
    const cli = startCli([...WEB, '--', 'hostname'], env);
    cli.child.stdin.end();
    expect(await cli.exit).toBe(0);
    expect(cli.stdout().toString()).toBe(`${hostname()}\n`);
  });

  it('forwards piped stdin, then end-of-file, so cat ends and a last line without a newline arrives', async () => {
    const cli = startCli([...WEB, '--', 'cat; echo "[cat ended]"'], env);
    cli.child.stdin.end('one\ntwo\nno newline');
    expect(await cli.exit).toBe(0);
    // No echo of the input either: only what cat wrote.
    expect(cli.stdout().toString()).toBe('one\ntwo\nno newline[cat ended]\n');
  });

  it('feeds read from a pipe and keeps the exit code', async () => {
    const cli = startCli([...WEB, '--', 'read a b; echo "got $b"; exit 3'], env);
    cli.child.stdin.end('x y\n');
    expect(await cli.exit).toBe(3);
    expect(cli.stdout().toString()).toBe('got y\n');
  });

  it('prints one JSON result line on stderr with --json', async () => {
    const cli = startCli([...WEB, '--json', '--', 'echo hi; exit 5'], env);
    cli.child.stdin.end();
    expect(await cli.exit).toBe(5);
    expect(cli.stdout().toString()).toBe('hi\n');
    const lines = cli.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      exitCode: 5,
      outcome: 'completed',
      bytes: expect.any(Number),
      container: 'app',
      task: expect.stringContaining(':task/demo/'),
      message: null,
    });
  });
});

describe('ecs-exec exec and signals', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('exits %s with %i and ends the remote command', async (signal, code) => {
    const cli = startCli([...WEB, '--', 'echo started; sleep 30'], env);
    await cli.waitForStdout('started');
    const session = sandbox.sessions.at(-1);
    cli.child.kill(signal);
    expect(await cli.exit).toBe(code);
    expect(cli.stderr()).toContain('cancelled');
    expect(sandbox.session(session?.sessionId ?? '')?.status).not.toBe('running');
    if (signal === 'SIGTERM') {
      // Terminated at once rather than after the Ctrl-C grace period: nothing is left behind.
      expect(callsOf(sandbox, 'TerminateSession').map((c) => c.input['SessionId'])).toContain(session?.sessionId);
    }
  });
});
