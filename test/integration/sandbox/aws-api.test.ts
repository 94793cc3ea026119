import {
  AccessDeniedException,
  ClusterNotFoundException,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ExecuteCommandCommand,
  InvalidParameterException,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
  ServerException,
  ServiceNotFoundException,
  TargetNotConnectedException,
} from '@aws-sdk/client-ecs';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { DoesNotExistException, ResumeSessionCommand, TerminateSessionCommand } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_TASK_IDS,
  EXEC_NOT_ENABLED_MESSAGE,
  type Sandbox,
  startSandbox,
  TARGET_NOT_CONNECTED_MESSAGE,
} from '../../../src/sandbox/index.js';
import { clientConfig, clients } from './helpers.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});
afterEach(() => {
  sandbox.faults.api.clear();
  for (const session of sandbox.sessions) if (session.status !== 'closed') void terminate(session.sessionId);
});

async function terminate(sessionId: string): Promise<void> {
  await clients(sandbox).ssm.send(new TerminateSessionCommand({ SessionId: sessionId }));
}

async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('ECS', () => {
  it('lists and describes clusters, with the exec configuration only when asked for', async () => {
    const { ecs } = clients(sandbox);
    const listed = await ecs.send(new ListClustersCommand({}));
    expect(listed.clusterArns).toEqual(['arn:aws:ecs:us-east-1:111122223333:cluster/demo']);
    const plain = await ecs.send(new DescribeClustersCommand({ clusters: ['demo', 'missing'] }));
    expect(plain.clusters?.[0]?.clusterName).toBe('demo');
    expect(plain.clusters?.[0]?.configuration).toBeUndefined();
    expect(plain.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:111122223333:cluster/missing', reason: 'MISSING' }]);
    const full = await ecs.send(new DescribeClustersCommand({ clusters: ['demo'], include: ['CONFIGURATIONS'] }));
    expect(full.clusters?.[0]?.configuration?.executeCommandConfiguration).toEqual({ logging: 'DEFAULT' });
  });

  it('seeds executeCommandConfiguration variants with KMS keys and logging', async () => {
    sandbox.state.addCluster({
      name: 'logged',
      executeCommandConfiguration: {
        kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/aaaa',
        logging: 'OVERRIDE',
        logConfiguration: { cloudWatchLogGroupName: '/ecs/exec', cloudWatchEncryptionEnabled: true },
      },
    });
    const { ecs } = clients(sandbox);
    const out = await ecs.send(new DescribeClustersCommand({ clusters: ['logged'], include: ['CONFIGURATIONS'] }));
    expect(out.clusters?.[0]?.configuration?.executeCommandConfiguration).toMatchObject({
      kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/aaaa',
      logging: 'OVERRIDE',
      logConfiguration: { cloudWatchLogGroupName: '/ecs/exec', cloudWatchEncryptionEnabled: true },
    });
  });

  it('lists and describes services', async () => {
    const { ecs } = clients(sandbox);
    const services = await ecs.send(new ListServicesCommand({ cluster: 'demo' }));
    expect(services.serviceArns).toEqual([
      'arn:aws:ecs:us-east-1:111122223333:service/demo/web',
      'arn:aws:ecs:us-east-1:111122223333:service/demo/worker',
    ]);
    const described = await ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] }));
    expect(described.services?.[0]).toMatchObject({ serviceName: 'web', enableExecuteCommand: true, runningCount: 1 });
  });

  it('paginates ListTasks with maxResults and nextToken, and filters by service and desired status', async () => {
    const seeded = Array.from({ length: 7 }, () => sandbox.state.addTask({ cluster: 'demo', service: 'worker' }));
    sandbox.state.stopTask(seeded[6]?.taskArn ?? '', { final: true });
    const { ecs } = clients(sandbox);
    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(
        new ListTasksCommand({
          cluster: 'demo',
          serviceName: 'worker',
          maxResults: 3,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      pages.push(page.taskArns ?? []);
      nextToken = page.nextToken;
    } while (nextToken);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toHaveLength(7);
    expect(pages.flat()).not.toContain(seeded[6]?.taskArn);
    const stopped = await ecs.send(
      new ListTasksCommand({ cluster: 'demo', serviceName: 'worker', desiredStatus: 'STOPPED' }),
    );
    expect(stopped.taskArns).toEqual([seeded[6]?.taskArn]);
    const web = await ecs.send(new ListTasksCommand({ cluster: 'demo', serviceName: 'web' }));
    expect(web.taskArns).toEqual([`arn:aws:ecs:us-east-1:111122223333:task/demo/${DEFAULT_TASK_IDS.web}`]);
    const missing = await rejection(ecs.send(new ListTasksCommand({ cluster: 'demo', serviceName: 'nope' })));
    expect(missing).toBeInstanceOf(ServiceNotFoundException);
  });

  it('describes tasks with managed agents, runtime ids and task definition details; at most 100', async () => {
    const { ecs } = clients(sandbox);
    const out = await ecs.send(
      new DescribeTasksCommand({ cluster: 'demo', tasks: [DEFAULT_TASK_IDS.web, 'ffffffffffffffffffffffffffffffff'] }),
    );
    const task = out.tasks?.[0];
    expect(task).toMatchObject({
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      enableExecuteCommand: true,
    });
    expect(task?.startedAt).toBeInstanceOf(Date);
    expect(task?.containers?.[0]?.managedAgents?.[0]).toMatchObject({
      name: 'ExecuteCommandAgent',
      lastStatus: 'RUNNING',
    });
    expect(task?.containers?.[0]?.runtimeId).toMatch(new RegExp(`^${DEFAULT_TASK_IDS.web}-`));
    expect(out.failures?.[0]?.reason).toBe('MISSING');
    const tooMany = await rejection(
      ecs.send(new DescribeTasksCommand({ cluster: 'demo', tasks: Array.from({ length: 101 }, (_, i) => String(i)) })),
    );
    expect(tooMany).toBeInstanceOf(InvalidParameterException);
    const def = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:1' }));
    expect(def.taskDefinition?.containerDefinitions?.[0]).toMatchObject({ name: 'app', readonlyRootFilesystem: false });
  });

  it('seeds read-only root filesystems, pidMode, EC2 agent versions and PENDING agents', async () => {
    const task = sandbox.state.addTask({
      cluster: 'demo',
      taskDefinition: 'batch:4',
      launchType: 'EC2',
      pidMode: 'task',
      containers: [{ name: 'job', readonlyRootFilesystem: true, agentStatus: 'PENDING' }],
    });
    const { ecs } = clients(sandbox);
    const def = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'batch:4' }));
    expect(def.taskDefinition).toMatchObject({ pidMode: 'task', revision: 4 });
    expect(def.taskDefinition?.containerDefinitions?.[0]?.readonlyRootFilesystem).toBe(true);
    const described = await ecs.send(new DescribeTasksCommand({ cluster: 'demo', tasks: [task.taskArn] }));
    expect(described.tasks?.[0]?.attributes).toEqual([{ name: 'ecs.agent-version', value: '1.85.0' }]);
    expect(described.tasks?.[0]?.containers?.[0]?.managedAgents?.[0]?.lastStatus).toBe('PENDING');
  });

  it('ExecuteCommand returns the session for a RUNNING, exec-enabled task', async () => {
    const { ecs } = clients(sandbox);
    const out = await ecs.send(
      new ExecuteCommandCommand({
        cluster: 'demo',
        task: DEFAULT_TASK_IDS.worker,
        command: 'echo hi',
        interactive: true,
      }),
    );
    expect(out).toMatchObject({
      clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/demo',
      containerName: 'app',
      interactive: true,
      taskArn: `arn:aws:ecs:us-east-1:111122223333:task/demo/${DEFAULT_TASK_IDS.worker}`,
    });
    expect(out.containerArn).toMatch(/^arn:aws:ecs:us-east-1:111122223333:container\/demo\//);
    expect(out.session?.sessionId).toMatch(/^ecs-execute-command-[0-9a-f]{17}$/);
    expect(out.session?.streamUrl).toBe(
      `${sandbox.url.replace('http', 'ws')}/v1/data-channel/${out.session?.sessionId}?role=publish_subscribe`,
    );
    expect(out.session?.tokenValue?.length).toBeGreaterThan(20);
  });

  it.each([
    [
      'interactive false',
      { interactive: false },
      () => {},
      InvalidParameterException,
      'Interactive is the only mode supported currently.',
    ],
    [
      'exec not enabled',
      {},
      (task: string) => sandbox.state.updateTask(task, { enableExecuteCommand: false }),
      InvalidParameterException,
      EXEC_NOT_ENABLED_MESSAGE,
    ],
    [
      'agent PENDING',
      {},
      (task: string) => sandbox.state.setAgentStatus(task, 'PENDING'),
      InvalidParameterException,
      EXEC_NOT_ENABLED_MESSAGE,
    ],
    [
      'agent not connected',
      {},
      (task: string) => sandbox.state.setAgentConnected(task, false),
      TargetNotConnectedException,
      TARGET_NOT_CONNECTED_MESSAGE,
    ],
    [
      'task stopping',
      {},
      (task: string) => sandbox.state.stopTask(task),
      InvalidParameterException,
      'The execute command failed because the task is not in a RUNNING state.',
    ],
    [
      'unknown container',
      { container: 'sidecar' },
      () => {},
      InvalidParameterException,
      'The container sidecar was not found in the task.',
    ],
    ['unknown cluster', { cluster: 'nope' }, () => {}, ClusterNotFoundException, 'Cluster not found.'],
  ])('ExecuteCommand refuses: %s', async (_name, override, arrange, errorClass, message) => {
    const task = sandbox.state.addTask({ cluster: 'demo', service: 'web' });
    arrange(task.taskArn);
    const { ecs } = clients(sandbox);
    const error = await rejection(
      ecs.send(
        new ExecuteCommandCommand({
          cluster: 'demo',
          task: task.taskId,
          command: 'echo',
          interactive: true,
          ...override,
        }),
      ),
    );
    expect(error).toBeInstanceOf(errorClass);
    expect(error.message).toBe(message);
  });

  it('scopes clusters by region and account: another region does not see it, another account is denied', async () => {
    sandbox.state.addCluster({ name: 'eu', region: 'eu-west-1', account: '999988887777' });
    const { ecs } = clients(sandbox);
    const fromUs = await rejection(ecs.send(new ListTasksCommand({ cluster: 'eu' })));
    expect(fromUs).toBeInstanceOf(ClusterNotFoundException);
    const crossAccount = await rejection(
      clients(sandbox, { region: 'eu-west-1' }).ecs.send(
        new ListTasksCommand({ cluster: 'arn:aws:ecs:eu-west-1:999988887777:cluster/eu' }),
      ),
    );
    expect(crossAccount).toBeInstanceOf(AccessDeniedException);
    expect(crossAccount.message).toMatch(/is not authorized to perform: ecs:ListTasks/);
  });

  it('injected errors: throttling (retried by the SDK), access denied, server error with its status', async () => {
    const { ecs } = clients(sandbox);
    sandbox.faults.api.throttle('ecs:ListClusters', 1);
    const retried = await new ECSClient(clientConfig(sandbox, { maxAttempts: 3 })).send(new ListClustersCommand({}));
    expect(retried.$metadata.attempts).toBe(2);
    sandbox.faults.api.throttle('ListClusters');
    const throttled = await rejection(ecs.send(new ListClustersCommand({})));
    expect(throttled.name).toBe('ThrottlingException');
    expect(throttled.message).toBe('Rate exceeded');
    sandbox.faults.api.inject('ecs:ExecuteCommand', { error: 'AccessDeniedException', message: 'denied by test' });
    const denied = await rejection(
      ecs.send(
        new ExecuteCommandCommand({ cluster: 'demo', task: DEFAULT_TASK_IDS.web, command: 'x', interactive: true }),
      ),
    );
    expect(denied).toBeInstanceOf(AccessDeniedException);
    expect(denied.$metadata?.httpStatusCode).toBe(403);
    sandbox.faults.api.inject('ecs:DescribeTasks', { error: 'ServerException', times: 1 });
    const server = await rejection(
      ecs.send(new DescribeTasksCommand({ cluster: 'demo', tasks: [DEFAULT_TASK_IDS.web] })),
    );
    expect(server).toBeInstanceOf(ServerException);
    expect(server.$metadata?.httpStatusCode).toBe(500);
    const after = await ecs.send(new DescribeTasksCommand({ cluster: 'demo', tasks: [DEFAULT_TASK_IDS.web] }));
    expect(after.tasks).toHaveLength(1);
  });

  it('rejects unsigned requests the way AWS does', async () => {
    const response = await fetch(sandbox.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters',
      },
      body: '{}',
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });
});

describe('STS', () => {
  it('AssumeRole returns credentials and records RoleArn, RoleSessionName and SourceIdentity', async () => {
    const { sts } = clients(sandbox);
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam::999988887777:role/ecs-exec-bot',
        RoleSessionName: 'slack-U0ALICE',
        SourceIdentity: 'alice@example.com',
      }),
    );
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(out.Credentials?.Expiration).toBeInstanceOf(Date);
    expect(out.SourceIdentity).toBe('alice@example.com');
    expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::999988887777:assumed-role/ecs-exec-bot/slack-U0ALICE');
    const call = sandbox.calls.findLast((c) => c.operation === 'AssumeRole');
    expect(call).toMatchObject({
      service: 'sts',
      sourceIdentity: 'alice@example.com',
      input: { RoleArn: 'arn:aws:iam::999988887777:role/ecs-exec-bot', RoleSessionName: 'slack-U0ALICE' },
    });

    // The assumed credentials act in the role's account and carry the SourceIdentity into later calls.
    sandbox.state.addCluster({ name: 'prod', account: '999988887777' });
    const assumed = new ECSClient({
      ...clientConfig(sandbox),
      credentials: {
        accessKeyId: out.Credentials?.AccessKeyId ?? '',
        secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
        sessionToken: out.Credentials?.SessionToken ?? '',
      },
    });
    const listed = await assumed.send(new ListClustersCommand({}));
    expect(listed.clusterArns).toEqual(['arn:aws:ecs:us-east-1:999988887777:cluster/prod']);
    expect(sandbox.calls.at(-1)).toMatchObject({
      account: '999988887777',
      sourceIdentity: 'alice@example.com',
      principalArn: 'arn:aws:sts::999988887777:assumed-role/ecs-exec-bot/slack-U0ALICE',
    });
  });

  it('a denied role is AccessDenied (403); a bad SourceIdentity is a ValidationError', async () => {
    sandbox.state.addRole({ arn: 'arn:aws:iam::999988887777:role/locked', denied: true });
    const { sts } = clients(sandbox);
    const denied = await rejection(
      sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::999988887777:role/locked', RoleSessionName: 'x1' })),
    );
    expect(denied.name).toBe('AccessDenied');
    expect(denied.$metadata?.httpStatusCode).toBe(403);
    expect(denied.message).toContain('sts:AssumeRole');
    const invalid = await rejection(
      sts.send(
        new AssumeRoleCommand({
          RoleArn: 'arn:aws:iam::999988887777:role/ecs-exec-bot',
          RoleSessionName: 'ok-name',
          SourceIdentity: 'has space',
        }),
      ),
    );
    expect(invalid.name).toBe('ValidationError');
    sandbox.faults.api.inject('sts:AssumeRole', { error: 'RegionDisabledException', times: 1 });
    const injected = await rejection(
      sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::999988887777:role/x', RoleSessionName: 'x1' })),
    );
    expect(injected.name).toBe('RegionDisabledException');
    const me = await sts.send(new GetCallerIdentityCommand({}));
    expect(me.Account).toBe('111122223333');
  });
});

describe('KMS', () => {
  const KEY = 'arn:aws:kms:us-east-1:111122223333:key/kms-test-key';

  it('GenerateDataKey makes real random key material that Decrypt gives back only with the same context', async () => {
    sandbox.state.addKmsKey({ arn: KEY, aliases: ['alias/exec'] });
    const { kms } = clients(sandbox);
    const context = { 'aws:ssm:SessionId': 's-1', 'aws:ssm:TargetId': 'ecs:demo_t_r' };
    const a = await kms.send(
      new GenerateDataKeyCommand({ KeyId: 'alias/exec', NumberOfBytes: 64, EncryptionContext: context }),
    );
    const b = await kms.send(new GenerateDataKeyCommand({ KeyId: KEY, NumberOfBytes: 64, EncryptionContext: context }));
    expect(a.Plaintext).toHaveLength(64);
    expect(a.KeyId).toBe(KEY);
    expect(Buffer.from(a.Plaintext ?? []).equals(Buffer.from(b.Plaintext ?? []))).toBe(false);
    const back = await kms.send(new DecryptCommand({ CiphertextBlob: a.CiphertextBlob, EncryptionContext: context }));
    expect(Buffer.from(back.Plaintext ?? []).equals(Buffer.from(a.Plaintext ?? []))).toBe(true);
    const wrong = await rejection(
      kms.send(new DecryptCommand({ CiphertextBlob: a.CiphertextBlob, EncryptionContext: { other: 'x' } })),
    );
    expect(wrong).toBeInstanceOf(InvalidCiphertextException);
  });

  it('unknown keys and out-of-range sizes are refused with KMS’s errors', async () => {
    const { kms } = clients(sandbox);
    const missing = await rejection(
      kms.send(new GenerateDataKeyCommand({ KeyId: 'arn:aws:kms:us-east-1:111122223333:key/none', NumberOfBytes: 64 })),
    );
    expect(missing).toBeInstanceOf(NotFoundException);
    sandbox.state.addKmsKey({ arn: KEY });
    const big = await rejection(kms.send(new GenerateDataKeyCommand({ KeyId: KEY, NumberOfBytes: 2000 })));
    expect(big.name).toBe('ValidationException');
  });
});

describe('SSM', () => {
  it('ResumeSession mints a new token and stream URL; TerminateSession ends the session', async () => {
    const { ecs, ssm } = clients(sandbox);
    const started = await ecs.send(
      new ExecuteCommandCommand({ cluster: 'demo', task: DEFAULT_TASK_IDS.web, command: 'sleep 5', interactive: true }),
    );
    const sessionId = started.session?.sessionId ?? '';
    const resumed = await ssm.send(new ResumeSessionCommand({ SessionId: sessionId }));
    expect(resumed.SessionId).toBe(sessionId);
    expect(resumed.StreamUrl).toBe(started.session?.streamUrl);
    expect(resumed.TokenValue).not.toBe(started.session?.tokenValue);
    await ssm.send(new TerminateSessionCommand({ SessionId: sessionId }));
    expect(sandbox.session(sessionId)?.terminated).toBe(true);
    const gone = await rejection(ssm.send(new ResumeSessionCommand({ SessionId: sessionId })));
    expect(gone).toBeInstanceOf(DoesNotExistException);
    const unknown = await rejection(ssm.send(new ResumeSessionCommand({ SessionId: 'ecs-execute-command-nope' })));
    expect(unknown).toBeInstanceOf(DoesNotExistException);
  });

  it('one base URL serves all four services through AWS_ENDPOINT_URL_* variables', async () => {
    expect(sandbox.env).toMatchObject({
      AWS_ENDPOINT_URL_ECS: sandbox.url,
      AWS_ENDPOINT_URL_SSM: sandbox.url,
      AWS_ENDPOINT_URL_KMS: sandbox.url,
      AWS_ENDPOINT_URL_STS: sandbox.url,
      AWS_REGION: 'us-east-1',
    });
    const saved = { ...process.env };
    Object.assign(process.env, sandbox.env);
    try {
      const { STSClient } = await import('@aws-sdk/client-sts');
      const ecs = new ECSClient({});
      const sts = new STSClient({});
      expect((await ecs.send(new ListClustersCommand({}))).clusterArns).toContain(
        'arn:aws:ecs:us-east-1:111122223333:cluster/demo',
      );
      expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('111122223333');
    } finally {
      for (const key of Object.keys(sandbox.env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });
});
