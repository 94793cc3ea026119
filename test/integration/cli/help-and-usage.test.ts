import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/io.js';
import { runCli } from '../../../src/cli/main.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  // No Slack settings, no Redis, no AWS: --help must answer before any of them is needed.
  const io: CliIo = { stdout, stderr, env: { NODE_ENV: 'production' }, signal: new AbortController().signal };
  const code = await runCli(args, io);
  return { code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() };
}

const HELP: string[][] = [
  ['--help'],
  ['-h'],
  ['help'],
  ['help', 'exec'],
  ['exec', '--help'],
  ['exec', '--cluster', 'x', '-h', '--', 'ls'],
  ['doctor', '--help'],
  ['sandbox', '--help'],
  ['serve', '--help'],
  ['policy', '--help'],
  ['policy', 'check', '--help'],
  ['policy', 'explain', '--help'],
  ['audit', '--help'],
  ['audit', 'verify', '--help'],
  ['audit', 'export', '-h'],
];

describe('ecs-exec help, version and usage errors', () => {
  it.each(HELP)('%j prints usage on stdout and exits 0', async (...args) => {
    const { code, out, err } = await run(args);
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage:\s+ecs-exec/);
    expect(err).toBe('');
  });

  it('prints the package version with --version', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V', 'version']) {
      expect(await run([flag])).toEqual({ code: 0, out: `ecs-exec ${version}\n`, err: '' });
    }
  });

  it.each([
    [[], 'Usage: ecs-exec <command>'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['exec', '--cluster'], "Option '--cluster <value>' argument missing"],
    [['doctor', '--cluster', 'c'], '--cluster and --service are required'],
    [['policy'], 'say which: check or explain'],
    [['policy', 'check', 'a.yml', 'b.yml'], 'expected at most one FILE'],
    [['audit'], 'say which action'],
    [['audit', 'verify', '--prefx', 'x'], "Unknown option '--prefx'"],
    [['sandbox', '--port', 'http'], '--port needs a number'],
    [['serve', '--port', 'http'], '--port must be a port number'],
    [['serve', '--bogus'], "Unknown option '--bogus'"],
  ])('%j is a usage error: exit 2 and the reason on stderr', async (args, message) => {
    const { code, out, err } = await run(args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(message);
  });
});

describe('bin/ecs-exec.js', () => {
  it('runs from a fresh clone before any build, through the sources', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/ecs-exec.js', '--version']);
    expect(stdout).toMatch(/^ecs-exec \d+\.\d+\.\d+/);
  });

  it('says how to build instead of printing a stack when neither dist/ nor the sources are there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecs-exec-bin-'));
    cpSync('bin', join(dir, 'bin'), { recursive: true });
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [join(dir, 'bin', 'ecs-exec.js'), 'exec'], (_e, _o, stderr) =>
        resolve({ code: child.exitCode, stderr: String(stderr) }),
      );
    });
    expect(result.code).toBe(255);
    expect(result.stderr).toContain('npm run build');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
