import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ecs-exec-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `ecs-exec <args>` as its own process from the sources, as an admin would in CI, and returns what it did. */
function ecsExec(args: string[], env: Record<string, string> = {}) {
  const entry = "const m = await import('./src/cli/main.ts'); await m.main(process.argv.slice(1));";
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', entry, ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('ecs-exec policy, as a process', () => {
  it('check exits 0 for the shipped example and prints one OK line', () => {
    const result = ecsExec(['policy', 'check', 'ecs-exec.example.yml']);
    expect(result).toEqual({
      code: 0,
      stdout:
        'OK: 2 clusters, 4 rules, 2 runbooks (ecs-exec.example.yml); fan-out allowed by "prod-with-approval" (maxTasks 50)\n',
      stderr: '',
    });
  });

  it('check exits 1 and lists every problem of a broken file found through ECS_EXEC_CONFIG', () => {
    const path = join(dir, 'broken.yml');
    writeFileSync(
      path,
      [
        'clusters:',
        '  prod: { cluster: prod, region: eu-west-1 }',
        'groups:',
        '  sre: {}',
        'rules:',
        '  - name: open',
        '    effect: allow',
        '    who: [sre-leads]',
        '    targets: ["prod/*"]',
        '    commands: ["*"]',
      ].join('\n'),
    );
    const result = ecsExec(['policy', 'check'], { ECS_EXEC_CONFIG: path });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('2 problems:');
    expect(result.stderr).toContain(`${path}:4: groups.sre: is empty`);
    expect(result.stderr).toContain(`${path}:8: rules[0].who: unknown group "sre-leads" (groups: sre)`);
  });

  it('explain exits 0 for an allow and 1 for a deny, so CI can assert a policy', () => {
    const allow = ecsExec([
      'policy',
      'explain',
      '--file',
      'ecs-exec.example.yml',
      '--user',
      'U01ADMIN',
      'prod/web',
      '--',
      'uptime',
    ]);
    expect(allow.code).toBe(0);
    expect(allow.stdout).toContain('ALLOW by rule "prod-with-approval"');
    const deny = ecsExec([
      'policy',
      'explain',
      '--file',
      'ecs-exec.example.yml',
      '--user',
      'U01ADMIN',
      'prod/web',
      '--',
      'env',
    ]);
    expect(deny.code).toBe(1);
    expect(deny.stdout).toContain('DENY by rule "no-credential-dumps"');
  });

  it('the top-level help lists the policy command', () => {
    expect(ecsExec(['help']).stdout).toMatch(
      /^\s+policy\s+check a config file, or explain the decision for a request$/m,
    );
  });
});
