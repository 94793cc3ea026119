import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { policyCommand } from '../../../src/cli/commands/policy.js';
import type { CliIo } from '../../../src/cli/io.js';
import { runCli } from '../../../src/cli/main.js';
import { PRODUCT_SKETCH } from './fixtures.js';

const EXAMPLE = new URL('../../../ecs-exec.example.yml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ecs-exec-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const SKETCH = file('sketch.yml', PRODUCT_SKETCH);
const BROKEN = file(
  'broken.yml',
  `clusters:
  prod: { cluster: prod, region: eu-west-1 }
groups:
  sre: { usergroups: [S0123SRE] }
rules:
  - name: a
    effect: allow
    who: [sre]
    targets: ["prod/*"]
    commands: ["*"]
  - name: b
    effect: allow
    who: [sre]
    targets: ["prod/*"]
    commands: ["*"]
  - name: c
    effect: allow
    who: [sre]
    targets: ["prod/*"]
    commands: ["*"]
    approval: { approvers: [sre-leads], count: 1 }
    breakGlas: true
`,
);

async function run(args: string[], env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: '', err: '' };
  stdout.on('data', (chunk: Buffer) => (chunks.out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (chunks.err += chunk.toString()));
  const io: CliIo = { stdout, stderr, env, signal: new AbortController().signal };
  const code = await policyCommand(args, io);
  return { code, out: chunks.out, err: chunks.err };
}

describe('ecs-exec policy check', () => {
  it('says OK with what the file declares', async () => {
    const result = await run(['check', EXAMPLE]);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toBe(
      `OK: 2 clusters, 4 rules, 2 runbooks (${EXAMPLE}); fan-out allowed by "prod-with-approval" (maxTasks 50)\n`,
    );
  });

  it('defaults to ECS_EXEC_CONFIG', async () => {
    const result = await run(['check'], { ECS_EXEC_CONFIG: SKETCH });
    expect(result.code).toBe(0);
    expect(result.out).toContain('OK: 2 clusters, 3 rules, 2 runbooks');
  });

  it('lists every error with its path and line, and exits 1', async () => {
    const result = await run(['check', BROKEN]);
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      [
        '2 problems:',
        `  ${BROKEN}:21: rules[2].approval.approvers: unknown group "sre-leads" (groups: sre)`,
        `  ${BROKEN}:22: rules[2].breakGlas: unknown key (did you mean "breakGlass"?)`,
        '',
      ].join('\n'),
    );
  });

  it('a missing file is an error that names it', async () => {
    const result = await run(['check', join(dir, 'absent.yml')]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('absent.yml: cannot read');
    expect(result.err).toContain('no such file');
  });

  it('is reachable as "ecs-exec policy check" through the CLI dispatcher', async () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await runCli(['policy', 'check', EXAMPLE], {
      stdout,
      stderr: new PassThrough(),
      env: {},
      signal: new AbortController().signal,
    });
    expect(code).toBe(0);
    expect(out).toContain('OK: 2 clusters');
  });
});

describe('ecs-exec policy explain', () => {
  it('shows an allow with its rule, approval, break-glass and timeout', async () => {
    const result = await run(
      ['explain', '--user', 'U0ON', '--group', 'S0456ONCALL', 'prod/web:app', '--', 'ls', '-l'],
      {
        ECS_EXEC_CONFIG: SKETCH,
      },
    );
    expect(result.code).toBe(0);
    expect(result.out).toContain('ALLOW by rule "prod-with-approval"');
    expect(result.out).toContain('target:      prod/web:app');
    expect(result.out).toContain('command:     ls -l');
    expect(result.out).toContain('member of: oncall, everyone');
    expect(result.out).toContain('approval:    1 approval from sre (not the requester), within 30m');
    expect(result.out).toContain('break-glass: allowed');
    expect(result.out).toContain('timeout:     10m');
    expect(result.out).toMatch(/policy: {6}sha256:[0-9a-f]{64}/);
  });

  it('shows a deny with the rule that made it, and exits 1', async () => {
    const result = await run(
      ['explain', '--file', SKETCH, '--user', 'U01ADMIN', 'prod/web', '--', 'psql', '-c', 'drop table users'],
      {},
    );
    expect(result.code).toBe(1);
    expect(result.out).toContain('DENY by rule "no-destructive"');
  });

  it('honours the channel, and accepts config group names for --group', async () => {
    const args = ['explain', '--file', SKETCH, '--user', 'U0X', 'staging/web', '--', 'uptime'];
    const elsewhere = await run(args);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.out).toContain('closest rule "staging-open": not in this channel');
    const inChannel = await run([...args.slice(0, 5), '--channel', 'C0STAGING', ...args.slice(5)]);
    expect(inChannel.code).toBe(0);
    expect(inChannel.out).toContain('ALLOW by rule "staging-open"');
    const byName = await run(['explain', '--file', SKETCH, '--user', 'U0X', '--group', 'sre', 'prod/web', '--', 'id']);
    expect(byName.out).toContain('ALLOW by rule "prod-with-approval"');
  });

  it('explains a runbook from its name=value pairs', async () => {
    const result = await run([
      'explain',
      '--file',
      SKETCH,
      '--user',
      'U0ON',
      '--group',
      'oncall',
      '--runbook',
      'restart-worker',
      'process=resque',
    ]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('ALLOW by rule "runbook:restart-worker"');
    expect(result.out).toContain('command:     supervisorctl restart resque');
    expect(result.out).toContain('target:      prod/worker:app');
  });

  it('maps a task ARN to its cluster alias', async () => {
    const arn = 'arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef0123456789abcdef';
    const result = await run(['explain', '--file', SKETCH, '--user', 'U01ADMIN', arn, '--', 'id']);
    expect(result.out).toContain('target:      prod/0123456789abcdef0123456789abcdef');
    expect(result.out).toContain('ALLOW by rule "prod-with-approval"');
  });

  const PER_CONTAINER = file(
    'per-container.yml',
    `clusters:
  demo: { cluster: demo, region: us-east-1 }
groups:
  devs: { users: [U0DEV] }
rules:
  - name: no-debug-container
    effect: deny
    targets: ["demo/*:debug"]
  - name: web-app
    effect: allow
    who: [devs]
    targets: ["demo/web:app"]
    commands: ["*"]
`,
  );
  const TASK_ID = '0123456789abcdef0123456789abcdef';

  it.each([
    ['a task id', `demo/${TASK_ID}`, "the task's service and the container"],
    ['a task ARN', `arn:aws:ecs:us-east-1:111122223333:task/demo/${TASK_ID}`, "the task's service and the container"],
    ['a service without a container', 'demo/web', 'the container'],
  ])(
    'explains %s under a rule about one container as allowed so far, not as "name the container"',
    async (_name, target, unknown) => {
      const result = await run(['explain', '--file', PER_CONTAINER, '--user', 'U0DEV', target, '--', 'uptime']);
      expect(result.code).toBe(0);
      expect(result.out).toContain('ALLOW (so far) by rule "web-app"');
      expect(result.out).toContain(`depends on:  ${unknown}, known only once the task is resolved`);
      expect(result.out).toContain('may deny:    "no-debug-container", if the resolved target matches them');
      expect(result.out).not.toContain('name the container');
    },
  );

  it('explains a target typed in full as final', async () => {
    const result = await run(['explain', '--file', PER_CONTAINER, '--user', 'U0DEV', 'demo/web:app', '--', 'uptime']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('ALLOW by rule "web-app"');
    expect(result.out).not.toContain('depends on');
    const debug = await run([
      'explain',
      '--file',
      PER_CONTAINER,
      '--user',
      'U0DEV',
      `demo/${TASK_ID}:debug`,
      '--',
      'id',
    ]);
    expect(debug.code).toBe(1);
    expect(debug.out).toContain('DENY by rule "no-debug-container"');
  });

  it.each([
    [['explain', '--file', SKETCH, 'prod/web', '--', 'id'], '--user is required'],
    [['explain', '--file', SKETCH, '--user', 'U1', 'prod/web'], 'the command is missing after --'],
    [
      ['explain', '--file', SKETCH, '--user', 'U1', '--colour', 'x', 'prod/web', '--', 'id'],
      "Unknown option '--colour'",
    ],
    [['explain', '--file', SKETCH, '--user', 'U1', '--group', 'nobody', 'prod/web', '--', 'id'], '"nobody" is neither'],
    [['explain', '--file', SKETCH, '--user', 'U1', 'prod', '--', 'id'], 'is not a target'],
    [['explain', '--file', SKETCH, '--user', 'U1', '--runbook', 'tail-log'], 'cluster: missing (required)'],
    [['frobnicate'], 'unknown sub-command "frobnicate"'],
  ])('usage error %j → exit 2 with %j', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
  });
});

describe('maxTasks: how far a rule lets one request fan out', () => {
  const FLEET = file(
    'fleet.yml',
    `clusters:
  prod: { cluster: prod, region: eu-west-1 }
groups:
  sre: { usergroups: [S0123SRE] }
rules:
  - name: api-fleet
    effect: allow
    who: [sre]
    targets: ["prod/api"]
    commands: ["*"]
    maxTasks: 50
  - name: web-one
    effect: allow
    who: [sre]
    targets: ["prod/web"]
    commands: ["*"]
`,
  );

  it('policy check names the rules that allow fan-out on its OK line', async () => {
    const result = await run(['check', FLEET]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('; fan-out allowed by "api-fleet" (maxTasks 50)');
    expect(result.out).not.toContain('web-one');
  });

  it('policy explain shows the cap, and one task where the rule sets none', async () => {
    const api = await run([
      'explain',
      '--file',
      FLEET,
      '--user',
      'U0X',
      '--group',
      'S0123SRE',
      'prod/api:app',
      '--',
      'ls',
    ]);
    expect(api.out).toContain('fan-out:     up to 50 tasks at once (--all, --tasks N)');
    const web = await run([
      'explain',
      '--file',
      FLEET,
      '--user',
      'U0X',
      '--group',
      'S0123SRE',
      'prod/web:app',
      '--',
      'ls',
    ]);
    expect(web.out).toContain('fan-out:     one task (the rule sets no maxTasks)');
  });

  it('a maxTasks below 1 is an error with its path', async () => {
    const result = await run([
      'check',
      file('zero.yml', readFileSync(FLEET, 'utf8').replace('maxTasks: 50', 'maxTasks: 0')),
    ]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('rules[0].maxTasks: must be a whole number of tasks, at least 1');
  });
});
