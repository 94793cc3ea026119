import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { loadConfigFile } from '../../../src/config/load-config.js';
import { PRODUCT_SKETCH } from '../policy/fixtures.js';

const EXAMPLE = readFileSync(new URL('../../../ecs-exec.example.yml', import.meta.url), 'utf8');

/** Every "path: message" of a file, in the order reported. */
function problemsOf(text: string): string[] {
  try {
    loadConfigFile(text, 'test.yml');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

const HEADER = `
clusters:
  prod: { cluster: arn:aws:ecs:eu-west-1:111122223333:cluster/prod }
  staging: { cluster: staging, region: eu-west-1 }
groups:
  sre: { usergroups: [S0123SRE], users: [U01ADMIN] }
  leads: { users: [U01LEAD, U02LEAD] }
`;

describe('the shipped example and the product sketch', () => {
  it('ecs-exec.example.yml validates, with durations in ms and sizes in bytes', () => {
    const policy = loadConfigFile(EXAMPLE, 'ecs-exec.example.yml');
    expect(Object.keys(policy.clusters)).toEqual(['prod', 'staging']);
    expect(policy.clusters['prod']).toMatchObject({
      region: 'eu-west-1',
      shell: '/bin/sh',
      containers: { worker: 'app' },
    });
    expect(policy.rules.map((rule) => rule.name)).toEqual([
      'no-destructive',
      'no-credential-dumps',
      'staging-open',
      'prod-with-approval',
    ]);
    expect(policy.rules[3]?.approval).toEqual({
      approvers: ['sre'],
      count: 1,
      selfApproval: false,
      ttlMs: 1_800_000,
      remindAfterMs: 600_000,
      escalateAfterMs: 1_200_000,
      escalateTo: ['platform'],
    });
    expect(policy.admins).toEqual(['sre']);
    expect(policy.limits).toEqual({ timeoutMs: 600_000, maxOutputBytes: 10_485_760, previewLines: 40 });
    expect(policy.runbooks['restart-worker']).toMatchObject({ approval: 'none', timeoutMs: 120_000 });
    expect(policy.runbooks['tail-log']?.params['lines']).toMatchObject({ type: 'int', default: 200, required: false });
    expect(policy.runbooks['tail-log']?.params['service']).toMatchObject({ type: 'string', required: true });
    expect(policy.audit.channel).toBe('C0AUDIT');
  });

  it('the config sketch of product.md §4 validates as written', () => {
    const policy = loadConfigFile(PRODUCT_SKETCH, 'product.md');
    expect(policy.clusters['staging']).toEqual({
      cluster: 'staging',
      region: 'eu-west-1',
      shell: '/bin/sh',
      containers: {},
    });
    expect(policy.rules).toHaveLength(3);
    expect(Object.keys(policy.runbooks)).toEqual(['restart-worker', 'tail-log']);
  });

  it('shell "none" means no wrapper', () => {
    const policy = loadConfigFile('clusters:\n  raw: { cluster: raw, region: eu-west-1, shell: none }\n', 'x.yml');
    expect(policy.clusters['raw']?.shell).toBeNull();
  });

  it('reads the region of a cluster from its ARN', () => {
    expect(loadConfigFile(HEADER, 'x.yml').clusters['prod']?.region).toBe('eu-west-1');
  });

  it.each([
    ['10MiB', 10_485_760],
    ['512KB', 512_000],
    ['2KiB', 2_048],
    [4096, 4_096],
  ])('maxOutputBytes %s is %d bytes', (size, bytes) => {
    const text = `${HEADER}limits: { maxOutputBytes: ${size} }\n`;
    expect(loadConfigFile(text, 'x.yml').limits.maxOutputBytes).toBe(bytes);
  });
});

describe('broken files: every problem at once, each with its path', () => {
  it.each<[string, string, string[]]>([
    [
      'typos in keys never silently mean allow',
      `${HEADER}
rules:
  - name: typo
    efect: allow
    who: [sre]
    targets: ["prod/*"]
    commands: ["*"]
    aproval: { approvers: [sre] }
limits: { timout: 5m }
auditt: {}
`,
      [
        'auditt: unknown key (did you mean "audit"?)',
        'rules[0].effect: must be "allow" or "deny"',
        'rules[0].efect: unknown key (did you mean "effect"?)',
        'rules[0].aproval: unknown key (did you mean "approval"?)',
        'limits.timout: unknown key (did you mean "timeout"?)',
      ],
    ],
    [
      'unknown and empty groups are errors, never anyone',
      `${HEADER}
  nobody: {}
rules:
  - name: a
    effect: allow
    who: [sre, oncall]
    targets: ["prod/*"]
    commands: ["*"]
    approval: { approvers: [sre-leads], count: 1 }
`,
      [
        'groups.nobody: is empty: list usergroups or users (an empty group never means anyone)',
        'rules[0].who: unknown group "oncall" (groups: sre, leads, nobody)',
        'rules[0].approval.approvers: unknown group "sre-leads" (groups: sre, leads, nobody)',
      ],
    ],
    [
      'allow rules must spell out who, targets and commands',
      `${HEADER}
rules:
  - name: lazy
    effect: allow
`,
      [
        'rules[0].who: an allow rule must say who it allows',
        'rules[0].targets: an allow rule must list its targets ("*" for all)',
        'rules[0].commands: an allow rule must list its commands ("*" for all)',
      ],
    ],
    [
      'targets name known clusters; patterns compile; counts fit the approvers',
      `${HEADER}
rules:
  - name: a
    effect: allow
    who: [leads]
    targets: ["produ/*", "st*/web", "x*/web", "prod"]
    commands: ["/(unclosed/", "/ok/g", ""]
    approval: { approvers: [leads], count: 3, ttl: 30 }
    timeout: 1h
  - name: a
    effect: deny
    approval: { approvers: [sre] }
    breakGlass: true
`,
      [
        'rules[0].targets[0]: "produ/*" names unknown cluster "produ" (clusters: prod, staging)',
        'rules[0].targets[2]: "x*/web" matches no cluster (clusters: prod, staging)',
        'rules[0].targets[3]: target "prod" needs a service part: write "prod/*" for every service',
        'rules[0].commands[0]: invalid regex /(unclosed/: Invalid regular expression: /(unclosed/: Unterminated group',
        'rules[0].commands[1]: regex flags "g" are not supported (use i, m, s, u)',
        'rules[0].commands[2]: an empty command pattern matches nothing; write "*" for any command',
        'rules[0].approval.count: needs 3 approvals but only 2 people are in leads',
        'rules[0].approval.ttl: must be a duration with a unit, such as 90s, 5m or 1h',
        'rules[0].timeout: is longer than limits.timeout, which caps every run',
        'rules[1].name: "a" is already the name of rules[0]',
        'rules[1].approval: a deny rule cannot need an approval',
        'rules[1].breakGlass: a deny rule has no break-glass',
      ],
    ],
    [
      'runbooks: declared params only, bare placeholders, valid defaults, known clusters',
      `${HEADER}
runbooks:
  bad:
    target: "{{env}}/{{svc}}"
    command: echo "{{msg}}" '{{msg}}' \`cat {{file}}\` {{undeclared}} {{lines}}
    params:
      env: { type: enum, values: [prod, qa] }
      msg: { type: string, pattern: "([", default: hi }
      file: { type: string, default: x, required: true }
      lines: { type: int, min: 10, max: 1, default: 0 }
      flag: { type: boolean }
    who: [sre]
  open:
    target: nowhere/web
    command: uptime
    approval: none
  Bad_Name:
    target: prod/web
    command: uptime
    who: [sre]
    approval: none
`,
      [
        'runbooks.bad.target: uses undeclared parameter "svc" (params: env, msg, file, lines, flag)',
        'runbooks.bad.command: uses undeclared parameter "undeclared" (params: env, msg, file, lines, flag)',
        'runbooks.bad.command: {{msg}} is inside double quotes; write it bare, values are quoted for the shell',
        'runbooks.bad.command: {{msg}} is inside single quotes; write it bare, values are quoted for the shell',
        'runbooks.bad.command: {{file}} is inside backquotes; write it bare, values are quoted for the shell',
        'runbooks.bad.params.env.values: "qa" is used as a cluster but is not one (clusters: prod, staging)',
        'runbooks.bad.params.msg.pattern: pattern does not compile',
        'runbooks.bad.params.file.required: a parameter with a default cannot also be required',
        'runbooks.bad.params.lines.min: is greater than max',
        'runbooks.bad.params.lines.default: is outside min..max',
        'runbooks.bad.params.flag.type: type must be one of enum, string, int, bool',
        'runbooks.bad.approval: a runbook with its own "who" must say its approval ("none" or { approvers, count })',
        'runbooks.open.target: names unknown cluster "nowhere" (clusters: prod, staging)',
        'runbooks.open.approval: "none" would bypass the rules\' approvals; give the runbook its own "who" to allow it without one',
        'runbooks.Bad_Name: invalid name: lowercase letters, digits, - and _',
      ],
    ],
    [
      'clusters, groups and limits with malformed values',
      `
clusters:
  prod: { cluster: "arn:aws:ecs:eu-west-1:111122223333:cluster/prod", region: us-east-1, roleArn: admin, shell: bash }
  Prod/2: { cluster: "has space" }
groups:
  sre: { usergroups: [sre-team], users: [alice] }
rules: { name: not-a-list }
limits: { timeout: 10 minutes, maxOutputBytes: 10 MiBs, previewLines: 0 }
audit: { channel: "#audit" }
`,
      [
        'clusters.prod.roleArn: must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
        'clusters.prod.shell: must be an absolute path such as /bin/sh, or "none" to run commands without a wrapper',
        'clusters.prod.region: is us-east-1 but the cluster ARN is in eu-west-1',
        'clusters["Prod/2"]: invalid name: lowercase letters, digits, - and _',
        'clusters["Prod/2"].cluster: must be an ECS cluster name or ARN (arn:aws:ecs:<region>:<account>:cluster/<name>)',
        'groups.sre.usergroups[0]: must be a Slack user group ID such as S0123ABCD',
        'groups.sre.users[0]: must be a Slack user ID such as U0123ABCD, or "*" for every user',
        'rules: must be a list of rules',
        'limits.timeout: "10 minutes" is not a duration; write it like 90s, 5m or 1h',
        'limits.maxOutputBytes: "10 MiBs" is not a size; write it like 10MiB, 512KB or 1048576',
        'limits.previewLines: Too small: expected number to be >=1',
        'audit.channel: must be a Slack channel ID such as C0123ABCD',
      ],
    ],
  ])('%s', (_name, text, expected) => {
    const problems = problemsOf(text);
    const unmatched = expected.filter((line) => !problems.some((problem) => problem.startsWith(line)));
    // Showing the full list on failure makes a wrong or missing message obvious.
    expect({ unmatched, count: problems.length, problems }).toEqual({
      unmatched: [],
      count: expected.length,
      problems,
    });
  });

  it('a file without clusters says so', () => {
    expect(problemsOf('rules: []\n')).toEqual(['clusters: is missing: declare at least one cluster']);
  });
});
