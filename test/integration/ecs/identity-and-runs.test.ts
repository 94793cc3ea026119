import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClientFactory } from '../../../src/ecs/aws-client-factory.js';
import { AssumeRoleDeniedError } from '../../../src/ecs/errors.js';
import { runInContainer } from '../../../src/ecs/exec-runner.js';
import type { ClusterSettings } from '../../../src/ecs/resolve-target.js';
import { type Sandbox, startSandbox } from '../../../src/sandbox/index.js';
import { AwsKms } from '../../../src/ssm/aws-kms.js';
import { AwsSsmControl } from '../../../src/ssm/aws-ssm-control.js';
import { callsOf, hexId } from './helpers.js';

const ACCOUNT = '444455556666';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/ecs-exec-bot`;
const DENIED_ROLE = `arn:aws:iam::${ACCOUNT}:role/not-trusted`;
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: {
      clusters: [
        { name: 'demo' },
        {
          name: 'prod',
          account: ACCOUNT,
          region: 'eu-west-1',
          executeCommandConfiguration: { kmsKeyId: KEY, logging: 'DEFAULT' },
        },
      ],
      services: [
        { name: 'web', cluster: 'demo' },
        { name: 'api', cluster: 'demo' },
        { name: 'web', cluster: `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/prod` },
      ],
      tasks: [
        // Newer task whose agent is still PENDING, older one whose agent is RUNNING.
        {
          id: hexId(1),
          cluster: 'demo',
          service: 'web',
          startedAt: Date.now() - 1_000,
          containers: [{ name: 'app', agentStatus: 'PENDING' }],
        },
        {
          id: hexId(2),
          cluster: 'demo',
          service: 'web',
          startedAt: Date.now() - 60_000,
          containers: [{ name: 'app' }],
        },
        { id: hexId(3), cluster: 'demo', service: 'api', containers: [{ name: 'app' }] },
        {
          id: hexId(4),
          cluster: `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/prod`,
          service: 'web',
          containers: [{ name: 'app' }],
        },
      ],
      kmsKeys: [{ arn: KEY }],
      roles: [{ arn: ROLE }, { arn: DENIED_ROLE, denied: true }],
    },
  });
});

afterAll(async () => {
  await sandbox.close();
});

afterEach(() => {
  sandbox.calls.length = 0;
  sandbox.faults.api.clear();
});

const demo: ClusterSettings = { alias: 'demo', cluster: 'demo', shell: '/bin/sh' };
const prod: ClusterSettings = {
  alias: 'prod',
  cluster: `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/prod`,
  region: 'eu-west-1',
  roleArn: ROLE,
  shell: '/bin/sh',
};

function decoder() {
  const chunks: Buffer[] = [];
  return {
    onOutput: (chunk: Uint8Array) => chunks.push(Buffer.from(chunk)),
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

async function run(
  cluster: ClusterSettings,
  service: string,
  command: string,
  extra: { userId?: string; watchIntervalMs?: number; signal?: AbortSignal } = {},
) {
  const factory = createAwsClientFactory({ env: sandbox.env });
  try {
    const clients = factory.clientsFor(cluster, { userId: extra.userId ?? 'U0ALICE', userName: 'alice' });
    const out = decoder();
    const result = await runInContainer(
      {
        ecs: clients.ecs,
        control: new AwsSsmControl(clients.ssm),
        kms: new AwsKms(clients.kms),
        sessionOptions: { cancelGraceMs: 300, terminateGraceMs: 300 },
        ...(extra.watchIntervalMs ? { watchIntervalMs: extra.watchIntervalMs } : {}),
      },
      {
        target: { kind: 'service', cluster: cluster.alias, service },
        cluster,
        command,
        onOutput: out.onOutput,
        ...(extra.signal ? { signal: extra.signal } : {}),
      },
    );
    return { result, output: out.text() };
  } finally {
    factory.destroy();
  }
}

describe('running in the right task', () => {
  it('runs on the task whose agent is RUNNING, not the newer one whose agent is PENDING', async () => {
    const { result, output } = await run(demo, 'web', 'echo ok; exit 3');
    expect(result.target.task.taskId).toBe(hexId(2));
    expect(callsOf(sandbox, 'ExecuteCommand')[0]?.input['task']).toContain(hexId(2));
    expect(output).toBe('ok\r\n');
    expect(result.outcome).toBe('completed');
    expect(result.exitCode).toBe(3);
  });

  it('ends the run with the reason when the task starts stopping, instead of hanging', async () => {
    const started = Date.now();
    const pending = run(demo, 'api', 'sleep 30', { watchIntervalMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    sandbox.state.stopTask(hexId(3), { reason: 'Scaling activity initiated by (deployment ecs-svc/123)' });
    const { result } = await pending;
    expect(result.outcome).toBe('interrupted');
    expect(result.reason).toContain('Scaling activity initiated by (deployment ecs-svc/123)');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('identity and region', () => {
  it('assumes the cluster role as the Slack user and shows them as SourceIdentity', async () => {
    const { result, output } = await run(prod, 'web', 'echo kms', { userId: 'U0ALICE' });
    expect(output).toBe('kms\r\n');
    expect(result.exitCode).toBe(0);
    const assume = callsOf(sandbox, 'AssumeRole');
    expect(assume).toHaveLength(1);
    expect(assume[0]?.input).toMatchObject({
      RoleArn: ROLE,
      SourceIdentity: 'slack-U0ALICE',
      RoleSessionName: 'ecs-exec-alice-U0ALICE',
    });
    const exec = callsOf(sandbox, 'ExecuteCommand')[0];
    expect(exec?.sourceIdentity).toBe('slack-U0ALICE');
    expect(exec?.principalArn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/ecs-exec-bot/ecs-exec-alice-U0ALICE`);
  });

  it("honours the cluster's region for ECS, STS and KMS and completes the KMS handshake", async () => {
    await run(prod, 'web', 'true');
    const byService = (service: string) => sandbox.calls.filter((c) => c.service === service && !c.byAgent);
    // A task-watcher poll of an earlier test's demo run may still land: that run's client was destroyed with the
    // poll on the wire, and the SDK sends it again after its back-off.
    const ecs = byService('ecs').filter((c) => c.input['cluster'] !== 'demo');
    expect(ecs.length).toBeGreaterThan(0);
    expect(ecs.every((c) => c.region === 'eu-west-1')).toBe(true);
    expect(byService('sts').every((c) => c.region === 'eu-west-1')).toBe(true);
    const kms = byService('kms').filter((c) => c.operation === 'GenerateDataKey');
    expect(kms).toHaveLength(1);
    expect(kms[0]?.region).toBe('eu-west-1');
    expect(kms[0]?.sourceIdentity).toBe('slack-U0ALICE');
  });

  it('reports a denied role as a denial and does not retry it', async () => {
    const error = await run({ ...prod, roleArn: DENIED_ROLE }, 'web', 'true').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AssumeRoleDeniedError);
    expect((error as AssumeRoleDeniedError).userMessage).toContain('sts:SetSourceIdentity');
    expect(callsOf(sandbox, 'AssumeRole')).toHaveLength(1);
    expect(callsOf(sandbox, 'ExecuteCommand')).toHaveLength(0);
  });

  it('uses the default credentials for a cluster without a role', async () => {
    await run(demo, 'web', 'true');
    expect(callsOf(sandbox, 'AssumeRole')).toHaveLength(0);
    expect(callsOf(sandbox, 'ExecuteCommand')[0]?.sourceIdentity).toBeUndefined();
  });
});
