import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AgentFaults, type Sandbox, startSandbox, syntheticOutputSha256 } from '../../../src/sandbox/index.js';
import { callsOf, hexId } from '../ecs/helpers.js';
import { cli } from './cli-harness.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/0000aaaa-1111-2222-3333-444455556666';
let sandbox: Sandbox;
let env: Record<string, string>;

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: {
      clusters: [{ name: 'demo' }, { name: 'secure', executeCommandConfiguration: { kmsKeyId: KEY } }],
      services: [
        { name: 'web', cluster: 'demo' },
        { name: 'multi', cluster: 'demo' },
        { name: 'web', cluster: 'secure' },
      ],
      tasks: [
        { id: hexId(1), cluster: 'demo', service: 'web', containers: [{ name: 'app' }] },
        { id: hexId(2), cluster: 'demo', service: 'multi', containers: [{ name: 'app' }, { name: 'worker' }] },
        { id: hexId(3), cluster: 'secure', service: 'web', containers: [{ name: 'app' }] },
      ],
      kmsKeys: [{ arn: KEY }],
    },
  });
  // No config file: --cluster names the ECS cluster itself.
  env = { ...sandbox.env, PATH: process.env['PATH'] ?? '' };
});

afterAll(async () => {
  await sandbox.close();
});

afterEach(() => {
  sandbox.faults.agent.clear();
  sandbox.faults.api.clear();
});

const SEQ = Array.from({ length: 3000 }, (_, i) => `${i + 1}\n`).join('');

describe('ecs-exec exec', () => {
  it('prints exactly what the command printed and exits with its exit code', async () => {
    const { code, stdout, stderr } = await cli(
      ['exec', '--cluster', 'demo', '--service', 'web', '--', "printf 'a\\tb\\nné €\\r\\n'; exit 3"],
      env,
    );
    // Off a terminal the remote pty inserts no CRs: LF stays LF, and a CR the command wrote stays too.
    expect(stdout.toString()).toBe('a\tb\nné €\r\n');
    expect(code).toBe(3);
    expect(stderr).not.toContain('ecs-exec:');
    // A ceiling, not a wait: the file's first run loads the AWS SDK, slow on a busy machine.
  }, 90_000);

  it('exits 0 for a command that succeeds, and passes several words as separate arguments', async () => {
    const { code, stdout } = await cli(
      ['exec', '--cluster', 'demo', '--task', hexId(1), '--', 'printf', '%s|', 'two words', "it's"],
      env,
    );
    expect(stdout.toString()).toBe("two words|it's|");
    expect(code).toBe(0);
  });

  it('takes the cluster and region from a task ARN', async () => {
    const arn = `arn:aws:ecs:us-east-1:111122223333:task/demo/${hexId(1)}`;
    const { code, stdout } = await cli(['exec', '--task', arn, '--', 'echo by-arn'], env);
    expect(stdout.toString()).toBe('by-arn\n');
    expect(code).toBe(0);
    expect(callsOf(sandbox, 'ExecuteCommand').at(-1)?.input['cluster']).toBe('demo');
  });

  it('streams a long output byte for byte', async () => {
    const { code, stdout } = await cli(['exec', '--cluster', 'demo', '--service', 'web', '--', 'seq 1 3000'], env);
    expect(stdout.toString()).toBe(SEQ);
    expect(code).toBe(0);
  });

  // Well under a second on an idle machine, but agent, client and both ends of AES-GCM share one core in this process,
  // so the limit is sized for a loaded machine rather than the suite's 30 s default.
  it('streams 8 MiB to stdout byte for byte (SHA-256 checked), encrypted with KMS', async () => {
    const total = 8 * 1024 * 1024;
    sandbox.faults.agent.forNextSession({ syntheticOutputBytes: total });
    // On a terminal nothing is translated, so the bytes are the agent's own.
    const { code, stdout } = await cli(
      ['exec', '--cluster', 'secure', '--service', 'web', '--no-wrap', '--', 'cat'],
      env,
      { stdoutIsTty: true },
    );
    expect(stdout.length).toBe(total);
    expect(createHash('sha256').update(stdout).digest('hex')).toBe(syntheticOutputSha256(total));
    expect(code).toBe(252);
    expect(sandbox.sessions.at(-1)).toMatchObject({ kmsKeyId: KEY, status: 'closed', drainTimedOut: false });
  }, 120_000);

  it('runs a KMS-encrypted session', async () => {
    const { code, stdout } = await cli(
      ['exec', '--cluster', 'secure', '--service', 'web', '--', 'echo secret; exit 7'],
      env,
    );
    expect(stdout.toString()).toBe('secret\n');
    expect(code).toBe(7);
    expect(callsOf(sandbox, 'GenerateDataKey').at(-1)?.input['KeyId']).toBe(KEY);
  });

  type Snapshot = NonNullable<ReturnType<Sandbox['session']>>;
  const faults: Array<[string, AgentFaults, (s: Snapshot) => void]> = [
    ['dropped frames', { dropOutputEvery: 7 }, (s) => expect(s.resentFrames).toBeGreaterThan(0)],
    ['duplicated frames', { duplicateOutputEvery: 5 }, () => {}],
    ['reordered frames', { reorderOutputEvery: 3 }, () => {}],
    ['late acks', { ackDelayMs: 40 }, () => {}],
    ['lost acks', { dropAckEvery: 2 }, () => {}],
    ['paused publication', { pausePublicationAfterFrames: 5, pausePublicationMs: 300 }, () => {}],
    ['a dropped socket', { closeSocketAfterFrames: 8 }, (s) => expect(s.connections).toBeGreaterThanOrEqual(2)],
    ['a slow agent', { outputDelayMs: 2 }, () => {}],
  ];

  it.each(faults)('keeps the output byte-exact under %s', async (_name, agentFaults, check) => {
    sandbox.faults.agent.forNextSession(agentFaults);
    const { code, stdout, stderr } = await cli(
      ['exec', '--cluster', 'demo', '--service', 'web', '--', 'seq 1 3000; exit 4'],
      env,
    );
    expect(stderr).toBe('');
    expect(stdout.toString()).toBe(SEQ);
    expect(code).toBe(4);
    const session = sandbox.sessions.at(-1);
    expect(session?.command).toContain('seq 1 3000');
    if (session) check(session);
  });

  it('runs as given with --no-wrap, exits 252 and says the exit code is unknown', async () => {
    const { code, stdout, stderr } = await cli(
      ['exec', '--cluster', 'demo', '--service', 'web', '--no-wrap', '--', 'printf', 'plain\\nand\\r\\r\\n'],
      env,
    );
    // No wrapper to quiet the terminal: the CLI itself turns the terminal's CRLF back into LF, so the command's
    // own CRs survive and the bytes are what it printed.
    expect(stdout.toString()).toBe('plain\nand\r\r\n');
    expect(code).toBe(252);
    expect(stderr).toContain('exit code is unknown');
    expect(callsOf(sandbox, 'ExecuteCommand').at(-1)?.input['command']).toBe("printf 'plain\\nand\\r\\r\\n'");
  });

  it('gives up at --timeout with exit 124 and interrupts the remote command', async () => {
    const started = Date.now();
    const { code, stdout, stderr } = await cli(
      ['exec', '--cluster', 'demo', '--service', 'web', '--timeout', '1s', '--', 'echo started; sleep 30'],
      env,
    );
    expect(code).toBe(124);
    expect(stdout.toString()).toContain('started');
    expect(stderr).toContain('timed out');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('cancels remotely on Ctrl-C with exit 130', async () => {
    const controller = new AbortController();
    const pending = cli(['exec', '--cluster', 'demo', '--service', 'web', '--', 'echo go; sleep 30'], env, {
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    controller.abort();
    const { code, stderr } = await pending;
    expect(code).toBe(130);
    expect(stderr).toContain('cancelled');
    const session = sandbox.sessions.at(-1);
    expect(session?.inputBytes).toBeGreaterThan(0);
  });
});

describe('ecs-exec exec when it cannot run', () => {
  it('runs nothing when cancelled before the command started', async () => {
    const before = callsOf(sandbox, 'ExecuteCommand').length;
    const controller = new AbortController();
    controller.abort();
    const { code, stdout, stderr } = await cli(['exec', '--cluster', 'demo', '--service', 'web', '--', 'id'], env, {
      signal: controller.signal,
    });
    expect(code).toBe(130);
    expect(stdout).toHaveLength(0);
    expect(stderr).toContain('nothing ran');
    expect(callsOf(sandbox, 'ExecuteCommand')).toHaveLength(before);
  });

  it('lists the containers and exits 255 when the container is ambiguous', async () => {
    const before = callsOf(sandbox, 'ExecuteCommand').length;
    const { code, stdout, stderr } = await cli(['exec', '--cluster', 'demo', '--service', 'multi', '--', 'id'], env);
    expect(code).toBe(255);
    expect(stdout).toHaveLength(0);
    expect(stderr).toContain('several containers');
    expect(stderr).toContain('Containers:\n  app\n  worker\n');
    expect(callsOf(sandbox, 'ExecuteCommand')).toHaveLength(before);
  });

  it.each([
    [['exec', '--cluster', 'demo', '--service', 'web'], 'the command is missing'],
    [['exec', '--cluster', 'demo', '--', 'id'], 'exactly one of --service or --task'],
    [['exec', '--service', 'web', '--', 'id'], '--cluster is required'],
    [['exec', '--cluster', 'demo', '--service', 'web', '--bogus', '--', 'id'], "Unknown option '--bogus'"],
    [['exec', '--cluster', 'demo', '--service', 'web', '--timeout', '5', '--', 'id'], 'is not a duration'],
  ])('refuses bad usage %j with exit 2 and nothing called', async (args, message) => {
    const before = sandbox.calls.length;
    const { code, stdout, stderr } = await cli(args, env);
    expect(code).toBe(2);
    expect(stdout).toHaveLength(0);
    expect(stderr).toContain(message);
    expect(sandbox.calls).toHaveLength(before);
  });

  it('refuses a malformed task id with exit 255 and nothing called', async () => {
    const before = sandbox.calls.length;
    const { code, stderr } = await cli(['exec', '--cluster', 'demo', '--task', 'not-a-task', '--', 'id'], env);
    expect(code).toBe(255);
    expect(stderr).toContain('32 hexadecimal characters');
    expect(sandbox.calls).toHaveLength(before);
  });

  it('explains an AWS refusal in plain words and exits 254', async () => {
    sandbox.faults.api.inject('ecs:ExecuteCommand', { error: 'AccessDeniedException', message: 'explicit deny' });
    const { code, stdout, stderr } = await cli(['exec', '--cluster', 'demo', '--service', 'web', '--', 'id'], env);
    expect(code).toBe(254);
    expect(stdout).toHaveLength(0);
    expect(stderr).toMatch(/^ecs-exec: Not permitted: AWS refused ExecuteCommand.*Fix:/);
  });

  it('names a service that does not exist', async () => {
    const { code, stderr } = await cli(['exec', '--cluster', 'demo', '--service', 'nope', '--', 'id'], env);
    expect(code).toBe(255);
    expect(stderr).toContain('does not exist in cluster demo');
  });

  it('resolves a config alias to its cluster and default container', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecs-exec-cli-'));
    const file = join(dir, 'ecs-exec.yml');
    writeFileSync(
      file,
      'clusters:\n  play:\n    cluster: demo\n    region: us-east-1\n    containers: { multi: worker }\n',
    );
    const { code, stdout } = await cli(['exec', '--cluster', 'play', '--service', 'multi', '--', 'echo via-alias'], {
      ...env,
      ECS_EXEC_CONFIG: file,
    });
    expect(stdout.toString()).toBe('via-alias\n');
    expect(code).toBe(0);
    expect(callsOf(sandbox, 'ExecuteCommand').at(-1)?.input['container']).toBe('worker');
  });
});

describe('the ecs-exec process', () => {
  it('runs as a real process pointed at the sandbox by the environment alone', async () => {
    const child = spawn(
      'npx',
      [
        'tsx',
        'src/cli/run.ts',
        'exec',
        '--cluster',
        'demo',
        '--service',
        'web',
        '--',
        'echo out; echo err >&2; exit 3',
      ],
      {
        env: { ...process.env, ...sandbox.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const stdout: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    // The pty merges the remote stderr into the one output stream, as ECS Exec does; a pipe gets LF endings.
    expect(Buffer.concat(stdout).toString()).toBe('out\nerr\n');
    expect(code).toBe(3);
    // A ceiling, not a wait: npx and tsx compile the CLI from source first, which takes long on a busy machine.
  }, 120_000);
});
