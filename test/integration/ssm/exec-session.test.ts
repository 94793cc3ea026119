import { DescribeTasksCommand, ECSClient, ExecuteCommandCommand } from '@aws-sdk/client-ecs';
import { KMSClient } from '@aws-sdk/client-kms';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExitMarkerFilter, wrapCommand } from '../../../src/ecs/exit-code.js';
import {
  type AgentFaults,
  DEFAULT_TASK_IDS,
  SANDBOX_CREDENTIALS,
  type Sandbox,
  startSandbox,
} from '../../../src/sandbox/index.js';
import { AwsKms } from '../../../src/ssm/aws-kms.js';
import { AwsSsmControl } from '../../../src/ssm/aws-ssm-control.js';
import { type ExecSessionParams, type ExecSessionResult, runExecSession } from '../../../src/ssm/exec-session.js';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
let sandbox: Sandbox;
let clients: { ecs: ECSClient; ssm: SSMClient; kms: KMSClient };

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: {
      clusters: [
        { name: 'demo', executeCommandConfiguration: { logging: 'DEFAULT' } },
        { name: 'secure', executeCommandConfiguration: { kmsKeyId: KEY_ARN, logging: 'DEFAULT' } },
      ],
      services: [
        { name: 'web', cluster: 'demo' },
        { name: 'api', cluster: 'secure' },
      ],
      tasks: [
        { id: DEFAULT_TASK_IDS.web, cluster: 'demo', service: 'web', containers: [{ name: 'app' }] },
        { id: DEFAULT_TASK_IDS.worker, cluster: 'secure', service: 'api', containers: [{ name: 'app' }] },
      ],
    },
  });
  const config = {
    region: 'us-east-1',
    endpoint: sandbox.url,
    credentials: { ...SANDBOX_CREDENTIALS },
    maxAttempts: 1,
  };
  clients = { ecs: new ECSClient(config), ssm: new SSMClient(config), kms: new KMSClient(config) };
});

afterAll(async () => {
  await sandbox?.close();
});

interface Run extends ExecSessionResult {
  text: string;
  sessionId: string;
}

/** ExecuteCommand through the SDK, then our data-channel client against the returned session. */
async function exec(
  command: string,
  options: {
    cluster?: 'demo' | 'secure';
    faults?: AgentFaults;
    wrap?: boolean;
    session?: Partial<ExecSessionParams>;
  } = {},
): Promise<Run> {
  const cluster = options.cluster ?? 'demo';
  const task = cluster === 'demo' ? DEFAULT_TASK_IDS.web : DEFAULT_TASK_IDS.worker;
  if (options.faults) sandbox.faults.agent.forNextSession(options.faults);
  const wrapped = options.wrap === false ? null : wrapCommand(command, 'sh');
  const response = await clients.ecs.send(
    new ExecuteCommandCommand({ cluster, task, command: wrapped?.command ?? command, interactive: true }),
  );
  const described = await clients.ecs.send(new DescribeTasksCommand({ cluster, tasks: [task] }));
  const runtimeId = described.tasks?.[0]?.containers?.find((c) => c.name === 'app')?.runtimeId;
  const session = response.session;
  if (!session?.sessionId || !session.streamUrl || !session.tokenValue) throw new Error('no session');
  const chunks: Buffer[] = [];
  const result = await runExecSession({
    sessionId: session.sessionId,
    streamUrl: session.streamUrl,
    tokenValue: session.tokenValue,
    targetId: `ecs:${cluster}_${task}_${runtimeId}`,
    control: new AwsSsmControl(clients.ssm),
    kms: new AwsKms(clients.kms),
    onOutput: (chunk) => chunks.push(Buffer.from(chunk)),
    outputFilter: wrapped ? createExitMarkerFilter(wrapped.marker) : null,
    ...options.session,
  });
  const text = Buffer.concat(chunks).toString('utf8');
  expect(result.outputBytes).toBe(Buffer.byteLength(text));
  return { ...result, text, sessionId: session.sessionId };
}

/** 12 KiB of numbered lines, so a lost, doubled or misplaced frame shows in the diff. */
const LINES = `for i in $(seq 1 300); do echo "line-$i-abcdefghijklmnopqrstuvwxyz"; done`;
const LINES_OUTPUT = Array.from({ length: 300 }, (_, i) => `line-${i + 1}-abcdefghijklmnopqrstuvwxyz\r\n`).join('');

describe('exec session against the sandbox agent', () => {
  it('prints exactly what the command printed and reports its exit code', async () => {
    const run = await exec(`printf 'hello\\nünïcode ✓\\n'; echo "to stderr" >&2; exit 4`);
    expect(run).toMatchObject({ outcome: 'completed', exitCode: 4, reason: null });
    expect(run.text).toBe('hello\r\nünïcode ✓\r\nto stderr\r\n');
  });

  it('keeps output without a final newline and reports exit code 0', async () => {
    const run = await exec(`printf 'no newline'`);
    expect(run).toMatchObject({ outcome: 'completed', exitCode: 0 });
    expect(run.text).toBe('no newline');
  });

  it('runs unwrapped with an unknown exit code', async () => {
    const run = await exec(`printf 'raw\\n'`, { wrap: false });
    expect(run).toMatchObject({ outcome: 'completed', exitCode: null });
    expect(run.text).toBe('raw\r\n');
  });

  it('sends one Size message so the pty has a real size', async () => {
    const run = await exec('sleep 1.5; stty size', { session: { terminalSize: { cols: 132, rows: 43 } } });
    expect(run.text).toBe('43 132\r\n');
  });

  it('delivers 12 KiB of lines byte for byte', async () => {
    const run = await exec(LINES);
    expect(run.text).toBe(LINES_OUTPUT);
    expect(run.exitCode).toBe(0);
  });

  it('runs a KMS-encrypted session byte for byte, with the exit code', async () => {
    const run = await exec(`${LINES}; exit 6`, { cluster: 'secure' });
    expect(run).toMatchObject({ outcome: 'completed', exitCode: 6 });
    expect(run.text).toBe(LINES_OUTPUT);
    const decrypt = sandbox.calls.find((c) => c.byAgent && c.operation === 'Decrypt' && !c.error);
    expect(decrypt?.input['EncryptionContext']).toMatchObject({ 'aws:ssm:SessionId': run.sessionId });
  });

  it.each<[string, AgentFaults]>([
    ['dropped frames', { dropOutputEvery: 3 }],
    ['duplicated frames', { duplicateOutputEvery: 2 }],
    ['reordered frames', { reorderOutputEvery: 2 }],
    ['late acks', { ackDelayMs: 300 }],
    ['lost acks', { dropAckEvery: 1 }],
    ['a paused agent that comes back', { pausePublicationAfterFrames: 3, pausePublicationMs: 400 }],
    ['a dropped socket (resume)', { closeSocketAfterFrames: 4 }],
    ['a slow agent', { outputDelayMs: 2 }],
    ['a pty not ready for input', { notReadyMs: 500 }],
    ['a handshake without KMS', { alwaysHandshake: true }],
    ['everything at once', { dropOutputEvery: 5, duplicateOutputEvery: 4, reorderOutputEvery: 3, dropAckEvery: 2 }],
  ])('stays byte-exact with %s', async (_name, faults) => {
    const run = await exec(`${LINES}; exit 3`, { faults });
    expect(run.reason).toBe(null);
    expect(run).toMatchObject({ outcome: 'completed', exitCode: 3 });
    expect(run.text).toBe(LINES_OUTPUT);
  });

  it('stays byte-exact over KMS with a dropped socket and lost frames', async () => {
    const run = await exec(`${LINES}; exit 2`, {
      cluster: 'secure',
      faults: { closeSocketAfterFrames: 3, dropOutputEvery: 4 },
    });
    expect(run).toMatchObject({ outcome: 'completed', exitCode: 2 });
    expect(run.text).toBe(LINES_OUTPUT);
  });

  it('ends interrupted, not hung, when the agent vanishes behind pause_publication', async () => {
    const started = Date.now();
    const run = await exec(LINES, {
      faults: { pausePublicationAfterFrames: 2 },
      session: { pauseTimeoutMs: 1500, silenceTimeoutMs: 1500, watchdogIntervalMs: 100 },
    });
    expect(run.outcome).toBe('interrupted');
    expect(run.reason).toContain('stopped responding');
    expect(run.text.length).toBeGreaterThan(0);
    expect(LINES_OUTPUT.startsWith(run.text)).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('fails clearly when the agent never answers', async () => {
    const run = await exec('echo hi', {
      faults: { neverAnswer: true },
      session: { firstMessageTimeoutMs: 1000, silenceTimeoutMs: 1000, watchdogIntervalMs: 100 },
    });
    expect(run.outcome).toBe('failed');
    expect(run.reason).toContain('did not answer');
  });

  it('cancels a running command with Ctrl-C', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 800);
    const started = Date.now();
    const run = await exec('echo started; sleep 30; echo never', { session: { signal: controller.signal } });
    expect(run.outcome).toBe('cancelled');
    expect(run.text.startsWith('started\r\n')).toBe(true);
    expect(run.text).not.toContain('never');
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('times out a command that ignores Ctrl-C by terminating the session', async () => {
    const started = Date.now();
    const run = await exec(`trap '' INT; echo stubborn; sleep 30`, {
      session: { timeoutMs: 800, cancelGraceMs: 500, terminateGraceMs: 2000 },
    });
    expect(run.outcome).toBe('timed_out');
    expect(run.reason).toContain('longer than 0.8 s');
    // The pty echoes the Ctrl-C it was sent as ^C; that is genuine terminal output.
    expect(run.text).toMatch(/^stubborn\r\n(\^C)?$/);
    expect(sandbox.calls.some((c) => c.operation === 'TerminateSession')).toBe(true);
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});

describe('AWS adapters against the sandbox', () => {
  it('ResumeSession returns a fresh token and stream URL for a live session', async () => {
    const response = await clients.ecs.send(
      new ExecuteCommandCommand({ cluster: 'demo', task: DEFAULT_TASK_IDS.web, command: 'sleep 5', interactive: true }),
    );
    const sessionId = response.session?.sessionId ?? '';
    const control = new AwsSsmControl(clients.ssm);
    const resumed = await control.resumeSession(sessionId);
    expect(resumed.tokenValue).not.toBe('');
    expect(resumed.tokenValue).not.toBe(response.session?.tokenValue);
    expect(resumed.streamUrl).toContain(sessionId);
    await control.terminateSession(sessionId);
  });

  it('maps SSM and KMS failures to SsmError codes', async () => {
    const control = new AwsSsmControl(clients.ssm);
    await expect(control.resumeSession('ecs-execute-command-does-not-exist')).rejects.toMatchObject({
      code: 'ssm.control.resume',
    });
    const kms = new AwsKms(clients.kms);
    await expect(
      kms.generateDataKey({
        keyId: 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000',
        encryptionContext: {},
        numberOfBytes: 64,
      }),
    ).rejects.toMatchObject({ code: 'ssm.kms.generate_data_key' });
  });

  it('generates a 64-byte data key with the encryption context', async () => {
    const key = await new AwsKms(clients.kms).generateDataKey({
      keyId: KEY_ARN,
      encryptionContext: { 'aws:ssm:SessionId': 's', 'aws:ssm:TargetId': 't' },
      numberOfBytes: 64,
    });
    expect(key.plaintext).toHaveLength(64);
    expect(key.ciphertextBlob.length).toBeGreaterThan(0);
  });
});
