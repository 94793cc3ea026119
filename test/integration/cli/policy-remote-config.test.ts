import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../src/sandbox/index.js';
import { cli } from './cli-harness.js';

const CONFIG = `
clusters:
  demo: { cluster: demo, region: us-east-1 }
groups:
  sre: { users: [U01ADMIN] }
rules:
  - { name: demo, effect: allow, who: [sre], targets: ["demo/*"], commands: ["*"] }
`;

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** `ecs-exec <args>`, in-process, as a person runs it beside a deployed bot. */
async function ecsExec(args: string[], env: Record<string, string | undefined>) {
  const { code, stdout, stderr } = await cli(args, env);
  return { code, out: stdout.toString('utf8'), err: stderr };
}

describe('ecs-exec policy, on the config a deployed bot reads (SSM, S3)', () => {
  it('checks the SSM parameter ECS_EXEC_CONFIG names, decrypted, with the real SDK client', async () => {
    sandbox = await startSandbox();
    sandbox.configObjects.putParameter('/ecs-exec/config', CONFIG, { type: 'SecureString' });
    const result = await ecsExec(['policy', 'check'], { ...sandbox.env, ECS_EXEC_CONFIG: 'ssm:/ecs-exec/config' });
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toBe('OK: 1 cluster, 1 rule, 0 runbooks (ssm:/ecs-exec/config)\n');
    expect(sandbox.calls.find((c) => c.operation === 'GetParameter')?.input).toMatchObject({ WithDecryption: true });
  });

  it('explains a decision from an S3 object, and lists the problems of a broken one with where they are', async () => {
    sandbox = await startSandbox();
    sandbox.configObjects.putObject('ops-config', 'bots/ecs-exec.yml', CONFIG);
    const explained = await ecsExec(
      [
        'policy',
        'explain',
        '--user',
        'U01ADMIN',
        '--file',
        's3://ops-config/bots/ecs-exec.yml',
        'demo/web',
        '--',
        'ls',
      ],
      sandbox.env,
    );
    expect(explained.code).toBe(0);
    expect(explained.out).toContain('ALLOW by rule "demo"');

    sandbox.configObjects.putObject('ops-config', 'bots/ecs-exec.yml', `${CONFIG}\n  - { name: x }\n`);
    const broken = await ecsExec(['policy', 'check', 's3://ops-config/bots/ecs-exec.yml'], sandbox.env);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('s3://ops-config/bots/ecs-exec.yml:9: rules[1].effect');
  });

  it('writes the IAM policies for the clusters of a config kept in SSM', async () => {
    sandbox = await startSandbox();
    sandbox.configObjects.putParameter('/ecs-exec/config', CONFIG, { type: 'SecureString' });
    const result = await ecsExec(
      ['iam-policy', '--config', 'ssm:/ecs-exec/config', '--account', '111122223333'],
      sandbox.env,
    );
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('arn:aws:ecs:us-east-1:111122223333:cluster/demo');
  });

  it('says what cannot be read, and refuses a malformed location instead of reading a file of that name', async () => {
    sandbox = await startSandbox();
    const missing = await ecsExec(['policy', 'check', 'ssm:/ecs-exec/absent'], sandbox.env);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('ssm:/ecs-exec/absent');
    const malformed = await ecsExec(['policy', 'check', 'ssm:ecs-exec/config'], sandbox.env);
    expect(malformed.code).toBe(1);
    expect(malformed.err).toContain('an SSM parameter is named by its full path');
  });
});
