import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it } from 'vitest';
import { createConfigSource } from '../../../src/config/aws-config-sources.js';
import { loadStartupConfig } from '../../../src/config/config-reloader.js';
import { type ConfigLocation, parseConfigLocation } from '../../../src/config/config-source.js';
import { ConfigError } from '../../../src/config/errors.js';
import { loadConfigFile } from '../../../src/config/load-config.js';
import { type GeneratedPolicies, generatePolicies } from '../../../src/iam/generate-policies.js';
import { type Sandbox, type SandboxIamOptions, startSandbox } from '../../../src/sandbox/index.js';

const ACCOUNT = '111122223333';
const BOT_ROLE = `arn:aws:iam::${ACCOUNT}:role/ecs-exec-bot`;
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/99999999-2222-3333-4444-555555555555`;
const CONFIG = `
clusters:
  demo: { cluster: demo, region: us-east-1, account: "${ACCOUNT}" }
groups:
  sre: { users: [U01ADMIN] }
rules:
  - { name: demo, effect: allow, who: [sre], targets: ["demo/*"], commands: ["*"] }
`;
const SLACK = { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'signing-secret-for-tests' };

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function issuesOf(load: Promise<unknown>): Promise<string[]> {
  const error = await load.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).issues.map(
    (issue) => `${issue.file ?? ''}|${issue.line ?? ''}|${issue.path}|${issue.message}`,
  );
}

describe('config sources, read with the real SDK clients from the sandbox', () => {
  it('decrypts an SSM SecureString and reports its version', async () => {
    sandbox = await startSandbox();
    sandbox.configObjects.putParameter('/ecs-exec/config', CONFIG, { type: 'SecureString' });
    const startup = await loadStartupConfig({ ...sandbox.env, ...SLACK, ECS_EXEC_CONFIG: 'ssm:/ecs-exec/config' });
    expect(startup.config.policy.rules[0]?.name).toBe('demo');
    expect(startup.config.configPath).toBe('ssm:/ecs-exec/config');
    expect(startup.snapshot.revision).toBe('version 1');
    const call = sandbox.calls.find((c) => c.operation === 'GetParameter');
    expect(call?.input).toMatchObject({ Name: '/ecs-exec/config', WithDecryption: true });
    // Asked for again with nothing new, it says so.
    expect(await startup.source.read(startup.snapshot)).toBe('unchanged');
    startup.source.close();
  });

  it('serves SSM versions and hides a SecureString from a caller that does not ask to decrypt', async () => {
    sandbox = await startSandbox();
    sandbox.configObjects.putParameter('/p', 'one', { type: 'SecureString' });
    sandbox.configObjects.putParameter('/p', 'two');
    const ssm = new SSMClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: creds(sandbox) });
    const latest = (await ssm.send(new GetParameterCommand({ Name: '/p', WithDecryption: true }))).Parameter;
    expect(latest).toMatchObject({ Value: 'two', Version: 2, Type: 'SecureString' });
    const first = (await ssm.send(new GetParameterCommand({ Name: '/p:1' }))).Parameter;
    expect(first?.Version).toBe(1);
    expect(first?.Value).not.toContain('one');
    ssm.destroy();
  });

  it('reads an S3 object, then polls it with a conditional GET that costs a 304 until it changes', async () => {
    sandbox = await startSandbox();
    const etag = sandbox.configObjects.putObject('ops-config', 'bots/ecs-exec.yml', CONFIG);
    const env = { ...sandbox.env, ...SLACK, ECS_EXEC_CONFIG: 's3://ops-config/bots/ecs-exec.yml' };
    const startup = await loadStartupConfig(env);
    expect(startup.snapshot.revision).toBe(etag);
    expect(await startup.source.read(startup.snapshot)).toBe('unchanged');
    const conditional = sandbox.calls.filter((c) => c.service === 's3');
    expect(conditional.map((c) => c.operation)).toEqual(['GetObject', 'GetObject']);
    const changed = sandbox.configObjects.putObject('ops-config', 'bots/ecs-exec.yml', `${CONFIG}\n# edited\n`);
    expect(await startup.source.read(startup.snapshot)).toMatchObject({ revision: changed });
    startup.source.close();
  });

  it('answers S3 requests addressed by host as well as by path', async () => {
    sandbox = await startSandbox();
    sandbox.configObjects.putObject('ops-config', 'a/b.yml', 'text');
    const port = new URL(sandbox.url).port;
    const s3 = new S3Client({ region: 'us-east-1', endpoint: `http://localhost:${port}`, credentials: creds(sandbox) });
    // Virtual-hosted: the SDK would resolve ops-config.localhost; ask the sandbox for it directly.
    s3.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { hostname: string; headers: Record<string, string> };
        request.headers['host'] = `${request.hostname}:${port}`;
        request.hostname = '127.0.0.1';
        return await next(args);
      },
      { step: 'finalizeRequest', priority: 'low' },
    );
    const answer = await s3.send(new GetObjectCommand({ Bucket: 'ops-config', Key: 'a/b.yml' }));
    expect(await answer.Body?.transformToString()).toBe('text');
    s3.destroy();
  });

  it('validates remote text exactly like a file, naming the source and the lines', async () => {
    sandbox = await startSandbox();
    const broken = `${CONFIG}  - { name: bad, effect: maybe }\n`;
    sandbox.configObjects.putParameter('/ecs-exec/config', broken);
    const remote = await issuesOf(
      loadStartupConfig({ ...sandbox.env, ...SLACK, ECS_EXEC_CONFIG: 'ssm:/ecs-exec/config' }),
    );
    let local: string[] = [];
    try {
      loadConfigFile(broken, 'ssm:/ecs-exec/config');
    } catch (error) {
      local = (error as ConfigError).issues.map((i) => `${i.file ?? ''}|${i.line ?? ''}|${i.path}|${i.message}`);
    }
    expect(remote).toEqual(local);
    expect(remote[0]).toMatch(/^ssm:\/ecs-exec\/config\|8\|rules\[1\]\.effect\|/);
  });

  it('says what is missing when the parameter, the bucket or the key does not exist', async () => {
    sandbox = await startSandbox();
    sandbox.configObjects.createBucket('empty');
    const env = { ...sandbox.env, ...SLACK };
    expect(await issuesOf(loadStartupConfig({ ...env, ECS_EXEC_CONFIG: 'ssm:/nope' }))).toEqual([
      expect.stringMatching(/^\|\|ECS_EXEC_CONFIG\|cannot read the SSM parameter "\/nope" \(no such parameter/),
    ]);
    expect(await issuesOf(loadStartupConfig({ ...env, ECS_EXEC_CONFIG: 's3://missing/x.yml' }))).toEqual([
      expect.stringContaining('cannot read the S3 object s3://missing/x.yml (no such bucket)'),
    ]);
    expect(await issuesOf(loadStartupConfig({ ...env, ECS_EXEC_CONFIG: 's3://empty/x.yml' }))).toEqual([
      expect.stringContaining('cannot read the S3 object s3://empty/x.yml (no such key)'),
    ]);
  });
});

describe('ECS_EXEC_CONFIG forms', () => {
  it.each([
    ['ssm:/ecs-exec/config', { kind: 'ssm', name: '/ecs-exec/config' }],
    ['s3://ops-config/bots/ecs-exec.yml', { kind: 's3', bucket: 'ops-config', key: 'bots/ecs-exec.yml' }],
    ['./ecs-exec.yml', { kind: 'file', path: './ecs-exec.yml' }],
    ['/etc/ecs-exec/config.yml', { kind: 'file', path: '/etc/ecs-exec/config.yml' }],
  ])('reads %s', (value, location) => {
    expect(parseConfigLocation(value)).toEqual(location);
  });

  it.each([
    ['ssm:ecs-exec/config', 'full path'],
    ['ssm:/ecs exec', 'not an SSM parameter name'],
    ['ssm:/a//b', 'not an SSM parameter name'],
    ['s3://Ops_Config/x.yml', 'not an S3 bucket name'],
    ['s3://ops-config', 's3://bucket/key'],
    ['s3://ops-config/', 'key is missing'],
    ['https://example.com/ecs-exec.yml', 'file path, ssm:/parameter/name or s3://bucket/key'],
  ])('refuses %s, saying why', async (value, why) => {
    const parsed = parseConfigLocation(value);
    expect('error' in parsed && parsed.error).toContain(why);
    const issues = await issuesOf(loadStartupConfig({ ...SLACK, ECS_EXEC_CONFIG: value }));
    expect(issues).toEqual([expect.stringContaining(`ECS_EXEC_CONFIG|"${value}"`)]);
  });
});

describe('iam-policy for the config source, enforced by the sandbox', () => {
  const generate = (location: ConfigLocation, kmsKeyArn?: string) =>
    generatePolicies(loadConfigFile(CONFIG, 'ecs-exec.yml'), {
      botRoleArn: BOT_ROLE,
      configSource: { location, region: 'us-east-1', ...(kmsKeyArn ? { kmsKeyArn } : {}) },
    });
  const iamOf = (policies: GeneratedPolicies, dropSid?: string): SandboxIamOptions => ({
    staticRoleArn: BOT_ROLE,
    policies: {
      [BOT_ROLE]: {
        ...policies.botRole.permissions,
        Statement: policies.botRole.permissions.Statement.filter((s) => s.Sid !== dropSid),
      },
    },
  });

  it('grants exactly ssm:GetParameter on the parameter and kms:Decrypt on its key through SSM', async () => {
    const policies = generate({ kind: 'ssm', name: '/ecs-exec/config' }, KEY);
    const added = policies.botRole.permissions.Statement.filter((s) => s.Sid?.includes('Config'));
    expect(added).toEqual([
      {
        Sid: 'ReadConfigParameter',
        Effect: 'Allow',
        Action: 'ssm:GetParameter',
        Resource: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/ecs-exec/config`,
      },
      {
        Sid: 'DecryptConfigParameter',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: KEY,
        Condition: {
          StringEquals: {
            'kms:ViaService': 'ssm.us-east-1.amazonaws.com',
            'kms:EncryptionContext:PARAMETER_ARN': `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/ecs-exec/config`,
          },
        },
      },
    ]);
    for (const dropSid of [undefined, 'ReadConfigParameter', 'DecryptConfigParameter']) {
      sandbox = await startSandbox({ seed: { kmsKeys: [{ arn: KEY }] }, iam: iamOf(policies, dropSid) });
      sandbox.configObjects.putParameter('/ecs-exec/config', CONFIG, { type: 'SecureString', keyId: KEY });
      sandbox.configObjects.putParameter('/other', CONFIG);
      const env = { ...sandbox.env, ...SLACK };
      const load = loadStartupConfig({ ...env, ECS_EXEC_CONFIG: 'ssm:/ecs-exec/config' });
      if (dropSid === undefined) {
        (await load).source.close();
        // Nothing beyond its own parameter.
        expect((await issuesOf(loadStartupConfig({ ...env, ECS_EXEC_CONFIG: 'ssm:/other' })))[0]).toContain(
          'not authorized to perform: ssm:GetParameter',
        );
      } else {
        const needed = dropSid === 'ReadConfigParameter' ? 'ssm:GetParameter' : 'kms:Decrypt';
        expect((await issuesOf(load))[0]).toContain(`not authorized to perform: ${needed}`);
      }
      await sandbox.close();
      sandbox = undefined;
    }
  });

  it('grants exactly s3:GetObject on the object', async () => {
    const policies = generate({ kind: 's3', bucket: 'ops-config', key: 'bots/ecs-exec.yml' });
    const added = policies.botRole.permissions.Statement.filter((s) => s.Sid?.includes('Config'));
    expect(added).toEqual([
      {
        Sid: 'ReadConfigObject',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::ops-config/bots/ecs-exec.yml',
      },
    ]);
    for (const dropSid of [undefined, 'ReadConfigObject']) {
      sandbox = await startSandbox({ iam: iamOf(policies, dropSid) });
      sandbox.configObjects.putObject('ops-config', 'bots/ecs-exec.yml', CONFIG);
      const load = loadStartupConfig({
        ...sandbox.env,
        ...SLACK,
        ECS_EXEC_CONFIG: 's3://ops-config/bots/ecs-exec.yml',
      });
      if (dropSid === undefined) (await load).source.close();
      else expect((await issuesOf(load))[0]).toContain('AccessDenied');
      await sandbox.close();
      sandbox = undefined;
    }
  });

  it('adds nothing for a file', () => {
    const withFile = generate({ kind: 'file', path: './ecs-exec.yml' });
    const without = generatePolicies(loadConfigFile(CONFIG, 'ecs-exec.yml'), { botRoleArn: BOT_ROLE });
    expect(withFile).toEqual(without);
  });
});

function creds(s: Sandbox) {
  return { accessKeyId: s.env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: s.env['AWS_SECRET_ACCESS_KEY'] ?? '' };
}

// The source factory is what the composition root uses; a file source needs no AWS at all.
it('builds a file source that needs no AWS settings', async () => {
  const source = createConfigSource({ kind: 'file', path: '/nonexistent/ecs-exec.yml' }, {});
  await expect(source.read()).rejects.toThrow('cannot read the config file "/nonexistent/ecs-exec.yml" (no such file)');
});
