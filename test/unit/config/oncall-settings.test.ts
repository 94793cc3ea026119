import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { loadConfigFile } from '../../../src/config/load-config.js';

const HEADER = `
clusters:
  prod: { cluster: arn:aws:ecs:eu-west-1:111122223333:cluster/prod }
groups:
  sre: { usergroups: [S0123SRE] }
  leads: { users: [U01LEAD] }
`;

function rule(approval: string): string {
  return `
rules:
  - name: prod
    effect: allow
    who: [sre]
    targets: ["prod/*"]
    commands: ["*"]
    approval: ${approval}
`;
}

function problemsOf(text: string): string[] {
  try {
    loadConfigFile(text, 'test.yml');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('admins and approver nudges in the config file', () => {
  it('reads admins and nudge durations in ms; both are optional', () => {
    const policy = loadConfigFile(
      `${HEADER}admins: [leads]\n${rule('{ approvers: [sre], ttl: 30m, remindAfter: 5m, escalateAfter: 15m, escalateTo: [leads] }')}`,
      'test.yml',
    );
    expect(policy.admins).toEqual(['leads']);
    expect(policy.rules[0]?.approval).toMatchObject({
      remindAfterMs: 300_000,
      escalateAfterMs: 900_000,
      escalateTo: ['leads'],
    });
    const plain = loadConfigFile(`${HEADER}${rule('{ approvers: [sre] }')}`, 'test.yml');
    expect(plain.admins).toEqual([]);
    expect(plain.rules[0]?.approval).not.toHaveProperty('remindAfterMs');
  });

  it.each<[string, string, string[]]>([
    ['an unknown admin group', `admins: [nobody]\n${rule('{ approvers: [sre] }')}`, ['admins: unknown group "nobody"']],
    [
      'a reminder after the expiry',
      rule('{ approvers: [sre], ttl: 10m, remindAfter: 10m }'),
      ['rules[0].approval.remindAfter: must be shorter than ttl'],
    ],
    [
      'an escalation before the reminder',
      rule('{ approvers: [sre], remindAfter: 10m, escalateAfter: 5m, escalateTo: [leads] }'),
      ['rules[0].approval.escalateAfter: must be longer than remindAfter'],
    ],
    [
      'an escalation without groups',
      rule('{ approvers: [sre], escalateAfter: 5m }'),
      ['rules[0].approval.escalateTo: is missing'],
    ],
    [
      'escalation groups without a time',
      rule('{ approvers: [sre], escalateTo: [leads] }'),
      ['rules[0].approval.escalateAfter: is missing'],
    ],
    [
      'an unknown escalation group',
      rule('{ approvers: [sre], escalateAfter: 5m, escalateTo: [ghosts] }'),
      ['rules[0].approval.escalateTo: unknown group "ghosts"'],
    ],
  ])('refuses %s', (_name, body, expected) => {
    const problems = problemsOf(`${HEADER}${body}`);
    for (const start of expected) expect(problems.some((problem) => problem.startsWith(start))).toBe(true);
  });
});
