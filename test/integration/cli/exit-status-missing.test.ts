import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../src/sandbox/index.js';
import { cli } from './cli-harness.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterAll(async () => {
  await sandbox.close();
});

describe('a run that never reports its exit status', () => {
  it('is not called a success when the wrapping shell is killed', async () => {
    const env = { ...sandbox.env, PATH: process.env['PATH'] ?? '' };
    // `$$` is the shell that wraps the command to report its status: killing it loses the status.
    const { code, stdout, stderr } = await cli(
      ['exec', '--cluster', 'demo', '--service', 'web', '--', 'echo before; kill -9 $$'],
      env,
    );
    expect(Buffer.from(stdout).toString()).toContain('before');
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/exit status/);
  });
});
