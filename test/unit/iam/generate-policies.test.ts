import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/load-config.js';
import { generatePolicies, IamPolicyInputError } from '../../../src/iam/generate-policies.js';
import { asList, type PolicyDocument } from '../../../src/iam/policy-document.js';

const EXAMPLE = readFileSync(new URL('../../../ecs-exec.example.yml', import.meta.url), 'utf8');

function config(yaml: string) {
  return loadConfigFile(yaml, 'test.yml');
}

const BASE_RULES = `
groups:
  sre: { users: [U01ADMIN] }
`;

function statement(doc: PolicyDocument, sid: string) {
  const found = doc.Statement.find((s) => s.Sid === sid);
  expect(found, sid).toBeDefined();
  return found as NonNullable<typeof found>;
}

describe('generatePolicies', () => {
  it('is exactly what the README shows for the shipped example', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## IAM policy for the bot'));
    const block = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(block).toBeDefined();
    expect(JSON.parse(block as string)).toEqual(generatePolicies(loadConfigFile(EXAMPLE, 'ecs-exec.example.yml')));
  });

  it('names no resource as * except for the actions without resource-level permissions', () => {
    const policies = generatePolicies(loadConfigFile(EXAMPLE, 'ecs-exec.example.yml'));
    const docs = [policies.botRole.permissions, ...policies.clusterRoles.map((r) => r.permissions)];
    for (const doc of docs) {
      for (const s of doc.Statement) {
        if (!asList(s.Resource).includes('*')) continue;
        expect(['ecs:ListTasks', 'ecs:DescribeTaskDefinition']).toEqual(expect.arrayContaining(asList(s.Action)));
        if (asList(s.Action).includes('ecs:ListTasks')) expect(s.Condition?.ArnEquals?.['ecs:cluster']).toBeDefined();
      }
    }
  });

  it('limits exec to the containers that the allow rules and self-allowing runbooks name', () => {
    const policy = config(`
clusters:
  prod: { cluster: "arn:aws:ecs:eu-west-1:111122223333:cluster/prod" }
${BASE_RULES}
rules:
  - { name: app, effect: allow, who: [sre], targets: ["prod/web:app", "prod/*:side*"], commands: ["*"] }
runbooks:
  logs: { target: "prod/worker:worker", command: "tail /x", who: [sre], approval: none }
`);
    const exec = statement(generatePolicies(policy).botRole.permissions, 'ExecInProd');
    expect(exec.Resource).toEqual([
      'arn:aws:ecs:eu-west-1:111122223333:cluster/prod',
      'arn:aws:ecs:eu-west-1:111122223333:task/prod/*',
    ]);
    expect(exec.Condition).toEqual({ StringLike: { 'ecs:container-name': ['app', 'side*', 'worker'] } });
  });

  it('allows any container when an allow rule reaches the cluster without naming one', () => {
    const policy = config(`
clusters:
  prod: { cluster: prod, region: eu-west-1, account: "111122223333" }
${BASE_RULES}
rules:
  - { name: app, effect: allow, who: [sre], targets: ["prod/web:app"], commands: ["*"] }
  - { name: any, effect: allow, who: [sre], targets: ["*"], commands: ["ls"] }
`);
    expect(statement(generatePolicies(policy).botRole.permissions, 'ExecInProd').Condition).toBeUndefined();
  });

  it('puts role clusters in their role, lets the bot assume it, and requires a SourceIdentity in the trust', () => {
    const policies = generatePolicies(loadConfigFile(EXAMPLE, 'ecs-exec.example.yml'), {
      botRoleArn: 'arn:aws:iam::999988887777:role/bots/ecs-exec',
    });
    expect(policies.botRole.clusters).toEqual(['staging']);
    const [prod] = policies.clusterRoles;
    expect(prod?.clusters).toEqual(['prod']);
    expect(statement(policies.botRole.permissions, 'AssumeClusterRolesNamingThePerson').Resource).toBe(prod?.roleArn);
    expect(prod?.trust.Statement).toEqual([
      expect.objectContaining({
        Principal: { AWS: 'arn:aws:iam::999988887777:role/bots/ecs-exec' },
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
        Condition: { StringLike: { 'sts:SourceIdentity': ['cli-*', 'slack-*'] } },
      }),
    ]);
    expect(statement(prod?.permissions as PolicyDocument, 'EncryptedExecSessions').Resource).toMatch(/:key\//);
    expect(statement(prod?.permissions as PolicyDocument, 'ResumeAndEndExecSessions').Resource).toBe(
      'arn:aws:ssm:eu-west-1:111122223333:session/ecs-execute-command-*',
    );
  });

  it('says which clusters have no account', () => {
    const policy = config(`
clusters:
  a: { cluster: a, region: eu-west-1 }
  b: { cluster: b, region: eu-west-1, account: "111122223333" }
${BASE_RULES}
rules:
  - { name: any, effect: allow, who: [sre], targets: ["*"], commands: ["ls"] }
`);
    expect(() => generatePolicies(policy)).toThrow(IamPolicyInputError);
    expect(() => generatePolicies(policy)).toThrow(/clusters\.a: give "account"/);
    expect(generatePolicies(policy, { account: '444455556666' }).botRole.roleArn).toBe(
      'arn:aws:iam::444455556666:role/ecs-exec-bot',
    );
  });
});
