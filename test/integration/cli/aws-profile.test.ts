import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../src/sandbox/index.js';
import { callsOf, hexId } from '../ecs/helpers.js';
import { cli } from './cli-harness.js';

let sandbox: Sandbox;
/** Where the sandbox is, and nothing else: no region, no keys; those must come from the profile. */
let endpoints: Record<string, string>;

/** A credential_process that prints the given access key, as a real one (aws-vault, granted…) would. */
function credentialProcess(accessKeyId: string): string {
  const json = JSON.stringify({ Version: 1, AccessKeyId: accessKeyId, SecretAccessKey: 'profile-secret' });
  return `${process.execPath} -e 'console.log(process.argv[1])' '${json}'`;
}

/** A temporary HOME with ~/.aws/config holding `config`; returns the environment a shell there would have. */
function home(config: string): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'ecs-exec-home-'));
  mkdirSync(join(dir, '.aws'));
  writeFileSync(join(dir, '.aws', 'config'), config);
  return { ...endpoints, HOME: dir, PATH: process.env['PATH'] ?? '' };
}

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: {
      clusters: [{ name: 'shop', region: 'eu-west-1' }, { name: 'demo' }],
      services: [
        { name: 'web', cluster: 'shop' },
        { name: 'web', cluster: 'demo' },
      ],
      tasks: [
        { id: hexId(1), cluster: 'shop', service: 'web', containers: [{ name: 'app' }] },
        { id: hexId(2), cluster: 'demo', service: 'web', containers: [{ name: 'app' }] },
      ],
    },
  });
  endpoints = Object.fromEntries(Object.entries(sandbox.env).filter(([name]) => name.startsWith('AWS_ENDPOINT_URL')));
});

afterAll(async () => {
  await sandbox.close();
});

const PROFILES = `[profile dev]
region = eu-west-1
credential_process = ${credentialProcess('AKIAPROFILEDEV000001')}

[profile ops]
role_arn = arn:aws:iam::111122223333:role/ops-exec
source_profile = dev
role_session_name = alice-ops
region = eu-west-1

[profile noregion]
credential_process = ${credentialProcess('AKIAPROFILENOREGION1')}

[profile broken]
region = eu-west-1
credential_process = ${process.execPath} -e "process.stderr.write('login expired'); process.exit(1)"
`;

describe('ecs-exec exec with an AWS profile', () => {
  it('takes the region and the keys from --profile (credential_process) in ~/.aws/config', async () => {
    const { code, stdout, stderr } = await cli(
      ['exec', '--profile', 'dev', '--cluster', 'shop', '--service', 'web', '--', 'echo from-profile'],
      home(PROFILES),
    );
    expect(stderr).toBe('');
    expect(stdout.toString()).toBe('from-profile\n');
    expect(code).toBe(0);
    const call = callsOf(sandbox, 'ExecuteCommand').at(-1);
    expect(call).toMatchObject({ region: 'eu-west-1', accessKeyId: 'AKIAPROFILEDEV000001' });
  });

  it('reads AWS_PROFILE and AWS_CONFIG_FILE like the SDK, and --region overrides the profile', async () => {
    const env = home('');
    const file = join(env['HOME'] as string, 'elsewhere.ini');
    writeFileSync(file, PROFILES);
    const { code, stdout } = await cli(
      ['exec', '--region', 'us-east-1', '--cluster', 'demo', '--service', 'web', '--', 'echo east'],
      {
        ...env,
        AWS_PROFILE: 'dev',
        AWS_CONFIG_FILE: file,
      },
    );
    expect(stdout.toString()).toBe('east\n');
    expect(code).toBe(0);
    expect(callsOf(sandbox, 'ExecuteCommand').at(-1)).toMatchObject({
      region: 'us-east-1',
      accessKeyId: 'AKIAPROFILEDEV000001',
    });
  });

  it('assumes the role of a role_arn profile through STS with its source profile, as the AWS CLI does', async () => {
    const { code, stdout, stderr } = await cli(
      ['exec', '--profile', 'ops', '--cluster', 'shop', '--service', 'web', '--', 'echo as-ops'],
      home(PROFILES),
    );
    expect(stderr).toBe('');
    expect(stdout.toString()).toBe('as-ops\n');
    expect(code).toBe(0);
    const assume = callsOf(sandbox, 'AssumeRole').at(-1);
    expect(assume).toMatchObject({ accessKeyId: 'AKIAPROFILEDEV000001' });
    expect(assume?.input).toMatchObject({
      RoleArn: 'arn:aws:iam::111122223333:role/ops-exec',
      RoleSessionName: 'alice-ops',
    });
    expect(callsOf(sandbox, 'ExecuteCommand').at(-1)?.principalArn).toBe(
      'arn:aws:sts::111122223333:assumed-role/ops-exec/alice-ops',
    );
  });

  it('says how to set a region when none resolves, and calls nothing', async () => {
    const before = sandbox.calls.length;
    const { code, stdout, stderr } = await cli(
      ['exec', '--profile', 'noregion', '--cluster', 'shop', '--service', 'web', '--', 'id'],
      home(PROFILES),
    );
    expect(code).toBe(255);
    expect(stdout).toHaveLength(0);
    expect(stderr).toContain('No AWS region is set');
    expect(stderr).toContain('--region');
    expect(stderr).toContain('aws configure set region eu-west-1 --profile noregion');
    expect(sandbox.calls).toHaveLength(before);
  });

  it('exits 254 with what the credential source said when it fails', async () => {
    const { code, stderr } = await cli(
      ['exec', '--profile', 'broken', '--cluster', 'shop', '--service', 'web', '--', 'id'],
      home(PROFILES),
    );
    expect(code).toBe(254);
    expect(stderr).toContain('profile "broken"');
    expect(stderr).toContain('login expired');
  });

  it('checks a service with doctor under the same profile', async () => {
    const { code, stdout } = await cli(
      ['doctor', '--profile', 'dev', '--cluster', 'shop', '--service', 'web'],
      home(PROFILES),
    );
    expect(stdout.toString()).toContain('Cluster shop');
    expect([0, 1]).toContain(code);
    expect(callsOf(sandbox, 'DescribeClusters').at(-1)).toMatchObject({ region: 'eu-west-1' });
  });
});
