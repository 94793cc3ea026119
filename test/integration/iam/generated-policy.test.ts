import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/load-config.js';
import { type GeneratedPolicies, generatePolicies } from '../../../src/iam/generate-policies.js';
import type { PolicyDocument } from '../../../src/iam/policy-document.js';
import { type SandboxIamOptions, type SandboxSeed, startSandbox } from '../../../src/sandbox/index.js';
import { cli } from '../cli/cli-harness.js';

/*
 * The policies `ecs-exec iam-policy` writes, enforced by the sandbox: every feature works with them (sufficient), and
 * taking away any one Allow statement breaks at least one feature (minimal).
 */

const ACCOUNT = '111122223333';
const BOT_ROLE = `arn:aws:iam::${ACCOUNT}:role/ecs-exec-bot`;
const SECURE_ROLE = `arn:aws:iam::${ACCOUNT}:role/ecs-exec-secure`;
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;

const CONFIG = `
clusters:
  demo: { cluster: demo, region: us-east-1, account: "${ACCOUNT}" }
  secure:
    cluster: arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/secure
    roleArn: ${SECURE_ROLE}
    kmsKeyArn: ${KEY}
groups:
  sre: { users: [U01ADMIN] }
rules:
  - { name: demo-app, effect: allow, who: [sre], targets: ["demo/*:app"], commands: ["*"] }
  - { name: secure, effect: allow, who: [sre], targets: ["secure/*"], commands: ["*"] }
`;

const SEED: SandboxSeed = {
  kmsKeys: [{ arn: KEY }],
  clusters: [
    { name: 'demo', executeCommandConfiguration: { logging: 'DEFAULT' } },
    { name: 'secure', executeCommandConfiguration: { logging: 'DEFAULT', kmsKeyId: KEY } },
  ],
  services: [
    { name: 'web', cluster: 'demo' },
    { name: 'api', cluster: 'secure' },
  ],
  tasks: [
    { cluster: 'demo', service: 'web', containers: [{ name: 'app' }] },
    { cluster: 'secure', service: 'api', containers: [{ name: 'api' }] },
  ],
};

const configDir = mkdtempSync(join(tmpdir(), 'ecs-exec-iam-'));
const configPath = join(configDir, 'ecs-exec.yml');
writeFileSync(configPath, CONFIG);

const generated = generatePolicies(loadConfigFile(CONFIG, 'ecs-exec.yml'), { botRoleArn: BOT_ROLE });

function iamOf(policies: GeneratedPolicies): SandboxIamOptions {
  return {
    staticRoleArn: policies.botRole.roleArn,
    policies: Object.fromEntries([
      [policies.botRole.roleArn, policies.botRole.permissions],
      ...policies.clusterRoles.map((role) => [role.roleArn, role.permissions]),
    ]),
    trust: Object.fromEntries(policies.clusterRoles.map((role) => [role.roleArn, role.trust])),
  };
}

type Feature = 'exec' | 'exec-assumed-kms' | 'doctor' | 'doctor-kms' | 'stop' | 'stop-assumed';

// Ignores Ctrl-C, so the timeout has to end the session with TerminateSession.
const STUBBORN = 'trap "" INT; echo started; sleep 30';

const FEATURES: Record<Feature, { args: string[]; code: number }> = {
  exec: { args: ['exec', '--cluster', 'demo', '--service', 'web', '--', 'echo', 'hi'], code: 0 },
  'exec-assumed-kms': { args: ['exec', '--cluster', 'secure', '--service', 'api', '--', 'echo', 'hi'], code: 0 },
  doctor: { args: ['doctor', '--cluster', 'demo', '--service', 'web'], code: 0 },
  'doctor-kms': { args: ['doctor', '--cluster', 'secure', '--service', 'api'], code: 0 },
  stop: { args: ['exec', '--cluster', 'demo', '--service', 'web', '--timeout', '1s', '--', STUBBORN], code: 124 },
  'stop-assumed': {
    args: ['exec', '--cluster', 'secure', '--service', 'api', '--timeout', '1s', '--', STUBBORN],
    code: 124,
  },
};

/**
 * Runs the features against a sandbox enforcing `iam`; returns those that failed and the refusals seen. With
 * `firstOnly` it stops at the first failure (the slow Stop features run last).
 */
async function brokenFeatures(
  iam: SandboxIamOptions,
  firstOnly = false,
): Promise<{ broken: Feature[]; refusals: string[] }> {
  const sandbox = await startSandbox({ seed: SEED, iam });
  const env = { ...sandbox.env, ECS_EXEC_CONFIG: configPath, USER: 'alice' };
  const broken: Feature[] = [];
  const refusals = new Set<string>();
  try {
    for (const [name, feature] of Object.entries(FEATURES) as Array<[Feature, (typeof FEATURES)[Feature]]>) {
      const before = sandbox.calls.length;
      const result = await cli(feature.args, env);
      const denied = sandbox.calls.slice(before).filter((call) => call.error?.startsWith('AccessDenied'));
      for (const call of denied) refusals.add(`${call.service}:${call.operation}`);
      if (result.code !== feature.code || denied.length > 0 || /not authorized|✗/.test(result.stdout.toString())) {
        broken.push(name);
        if (firstOnly) break;
      }
    }
  } finally {
    await sandbox.close();
  }
  return { broken, refusals: [...refusals].sort() };
}

function without(policies: GeneratedPolicies, where: string, sid: string): GeneratedPolicies {
  const drop = (doc: PolicyDocument): PolicyDocument => ({
    ...doc,
    Statement: doc.Statement.filter((s) => s.Sid !== sid),
  });
  return {
    botRole:
      where === 'bot' ? { ...policies.botRole, permissions: drop(policies.botRole.permissions) } : policies.botRole,
    clusterRoles: policies.clusterRoles.map((role) => ({
      ...role,
      permissions: where === 'role' ? drop(role.permissions) : role.permissions,
      trust: where === 'trust' ? drop(role.trust) : role.trust,
    })),
  };
}

describe('the generated IAM policies, enforced by the sandbox', () => {
  it('are sufficient: every feature works', async () => {
    expect(await brokenFeatures(iamOf(generated))).toEqual({ broken: [], refusals: [] });
  });

  it.each([
    ['ReadClustersAndTasks', /^✗ Cluster demo: .*ecs:DescribeClusters/m, 'ecs:DescribeClusters'],
    ['ListTasksOfTheseClusters', /^✗ Running task of web: .*ecs:ListTasks/m, 'ecs:ListTasks'],
  ])('doctor names the missing permission when %s is taken away', async (sid, line, permission) => {
    const sandbox = await startSandbox({ seed: SEED, iam: iamOf(without(generated, 'bot', sid)) });
    try {
      const env = { ...sandbox.env, ECS_EXEC_CONFIG: configPath };
      const doctor = await cli(['doctor', '--cluster', 'demo', '--service', 'web'], env);
      expect(doctor.code).toBe(1);
      expect(doctor.stdout.toString()).toMatch(line);
      expect(doctor.stdout.toString()).toContain(`fix: Allow ${permission} in the role the bot uses`);
    } finally {
      await sandbox.close();
    }
  });

  // Each Allow statement and the feature that needs it. The container-instance read is only made by doctor for EC2
  // tasks whose agent version DescribeTasks does not report, which the sandbox's tasks always report.
  const statements = [
    ...generated.botRole.permissions.Statement.map((s) => ({ where: 'bot', s })),
    ...(generated.clusterRoles[0]?.permissions.Statement ?? []).map((s) => ({ where: 'role', s })),
    ...(generated.clusterRoles[0]?.trust.Statement ?? []).map((s) => ({ where: 'trust', s })),
  ].filter(({ s }) => s.Effect === 'Allow' && s.Sid !== 'DoctorReadsContainerInstances');

  it.each(statements.map(({ where, s }) => [`${where} ${s.Sid}`, where, s.Sid ?? '']))(
    'are minimal: without %s some feature fails',
    async (_label, where, sid) => {
      const { broken, refusals } = await brokenFeatures(iamOf(without(generated, where, sid)), true);
      expect(broken.length, `features broken without ${where} ${sid}: none (refusals ${refusals})`).toBeGreaterThan(0);
    },
  );
});
