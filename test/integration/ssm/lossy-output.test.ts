import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { DescribeTasksCommand, ECSClient, ExecuteCommandCommand } from '@aws-sdk/client-ecs';
import { KMSClient } from '@aws-sdk/client-kms';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/output/redacting-logger.js';
import {
  type AgentFaults,
  DEFAULT_TASK_IDS,
  SANDBOX_CREDENTIALS,
  type Sandbox,
  type SandboxOptions,
  startSandbox,
  syntheticOutputSha256,
} from '../../../src/sandbox/index.js';
import { AwsKms } from '../../../src/ssm/aws-kms.js';
import { AwsSsmControl } from '../../../src/ssm/aws-ssm-control.js';
import { runExecSession } from '../../../src/ssm/exec-session.js';

const MIB = 1024 * 1024;
const TASK = DEFAULT_TASK_IDS.web;
let sandbox: Sandbox | undefined;

afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(options: SandboxOptions = {}): Promise<Sandbox> {
  sandbox = await startSandbox({
    seed: {
      clusters: [{ name: 'demo' }],
      services: [{ name: 'web', cluster: 'demo' }],
      tasks: [{ id: TASK, cluster: 'demo', service: 'web', containers: [{ name: 'app' }] }],
    },
    ...options,
  });
  return sandbox;
}

/** Runs synthetic output through ExecuteCommand and our client; hashes what arrives. */
async function run(target: Sandbox, faults: AgentFaults) {
  const config = { region: 'us-east-1', endpoint: target.url, credentials: { ...SANDBOX_CREDENTIALS }, maxAttempts: 1 };
  const ecs = new ECSClient(config);
  target.faults.agent.forNextSession(faults);
  const response = await ecs.send(
    new ExecuteCommandCommand({ cluster: 'demo', task: TASK, command: 'cat', interactive: true }),
  );
  const described = await ecs.send(new DescribeTasksCommand({ cluster: 'demo', tasks: [TASK] }));
  const runtimeId = described.tasks?.[0]?.containers?.[0]?.runtimeId;
  const session = response.session;
  if (!session?.sessionId || !session.streamUrl || !session.tokenValue) throw new Error('no session');
  const hash = createHash('sha256');
  const startedAt = performance.now();
  const result = await runExecSession({
    sessionId: session.sessionId,
    streamUrl: session.streamUrl,
    tokenValue: session.tokenValue,
    targetId: `ecs:demo_${TASK}_${runtimeId}`,
    control: new AwsSsmControl(new SSMClient(config)),
    kms: new AwsKms(new KMSClient(config)),
    onOutput: (chunk) => hash.update(chunk),
    outputFilter: null,
  });
  const seconds = (performance.now() - startedAt) / 1000;
  return { result, seconds, sha256: hash.digest('hex'), snapshot: target.session(session.sessionId) };
}

describe('output with lost frames', () => {
  it('delivers 4 MiB byte for byte with every 97th frame lost, resending only the lost frames', async () => {
    const target = await start();
    const total = 4 * MIB;
    const { result, seconds, sha256, snapshot } = await run(target, {
      syntheticOutputBytes: total,
      dropOutputEvery: 97,
    });
    expect(result).toMatchObject({ outcome: 'completed', outputBytes: total, reason: null });
    expect(sha256).toBe(syntheticOutputSha256(total));
    const lostFrames = Math.floor(total / 1024 / 97);
    // The agent resends one lost frame per 100 ms tick; frames past a gap are buffered and acked, never resent.
    expect(snapshot?.resentFrames).toBeGreaterThanOrEqual(lostFrames);
    expect(snapshot?.resentFrames).toBeLessThan(lostFrames * 2);
    expect(snapshot?.drainTimedOut).toBe(false);
    // About 4.3 s here (42 resend ticks); the collapse this guards against took minutes.
    expect(seconds).toBeLessThan(20);
  }, 60_000);

  it('reports interrupted with incomplete output when the agent’s drain timeout cuts the session short', async () => {
    const logs = new PassThrough();
    const lines: string[] = [];
    logs.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').trim().split('\n')));
    const target = await start({ drainTimeoutMs: 20, logger: createLogger({ destination: logs }) });
    const total = 2 * MIB;
    const { result, sha256, snapshot } = await run(target, { syntheticOutputBytes: total, dropOutputEvery: 97 });
    expect(result.outcome).toBe('interrupted');
    expect(result.reason).toMatch(/before all of the output arrived.*output is incomplete/);
    expect(result.outputBytes).toBeLessThan(total);
    expect(sha256).not.toBe(syntheticOutputSha256(total));
    // The agent closed with output unacknowledged, and said so.
    expect(snapshot?.drainTimedOut).toBe(true);
    expect(snapshot?.unackedAtClose).toBeGreaterThan(0);
    await new Promise((resolve) => setImmediate(resolve));
    const warning = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l['unackedFrames']);
    expect(warning).toMatchObject({ sessionId: snapshot?.sessionId, msg: expect.stringMatching(/drain timeout/) });
  }, 60_000);

  it('closes only once every frame is acknowledged when the drain timeout is not reached', async () => {
    const target = await start({ drainTimeoutMs: 10_000 });
    const total = MIB;
    const { result, sha256, snapshot } = await run(target, { syntheticOutputBytes: total, dropOutputEvery: 50 });
    expect(result).toMatchObject({ outcome: 'completed', outputBytes: total });
    expect(sha256).toBe(syntheticOutputSha256(total));
    expect(snapshot).toMatchObject({ drainTimedOut: false, unackedAtClose: 0, closeOutput: '' });
  }, 60_000);
});
