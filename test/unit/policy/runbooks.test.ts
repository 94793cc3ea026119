import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/load-config.js';
import { evaluatePolicy } from '../../../src/policy/evaluate.js';
import {
  prepareRunbook,
  resolveRunbookArgs,
  runbookParamDescriptors,
  runbooksVisibleTo,
} from '../../../src/policy/runbooks.js';
import { PRODUCT_SKETCH } from './fixtures.js';

const policy = loadConfigFile(PRODUCT_SKETCH, 'product.md');
const tailLog = policy.runbooks['tail-log'];
const restartWorker = policy.runbooks['restart-worker'];
if (!tailLog || !restartWorker) throw new Error('the sketch lost its runbooks');

const ONCALL = { userId: 'U0ONCALL', userGroupIds: ['S0456ONCALL'] };
const SRE = { userId: 'U0SRE', userGroupIds: ['S0123SRE'] };
const OUTSIDER = { userId: 'U0OUT', userGroupIds: [] };

describe('parameter values', () => {
  it('fills defaults and converts by type', () => {
    expect(resolveRunbookArgs(tailLog, { cluster: 'prod', service: 'web' })).toEqual({
      ok: true,
      values: { cluster: 'prod', service: 'web', lines: 200 },
    });
    expect(resolveRunbookArgs(tailLog, { cluster: 'staging', service: 'api', lines: '5000' })).toMatchObject({
      ok: true,
      values: { lines: 5000 },
    });
  });

  it('lists missing required parameters, so the modal can ask for them', () => {
    expect(resolveRunbookArgs(tailLog, { lines: '10' })).toEqual({
      ok: false,
      values: { lines: 10 },
      missing: ['cluster', 'service'],
      problems: [],
    });
  });

  it.each([
    [{ cluster: 'qa', service: 'web' }, 'cluster', 'must be one of prod, staging'],
    [{ cluster: 'prod', service: 'Web;id' }, 'service', 'may only contain lowercase letters, digits and -'],
    [{ cluster: 'prod', service: 'web', lines: '0' }, 'lines', 'must be at least 1'],
    [{ cluster: 'prod', service: 'web', lines: '5001' }, 'lines', 'must be at most 5000'],
    [{ cluster: 'prod', service: 'web', lines: '1e3' }, 'lines', 'must be a whole number'],
    [{ cluster: 'prod', service: 'web', lines: '10; id' }, 'lines', 'must be a whole number'],
    [
      { cluster: 'prod', service: 'web', colour: 'red' },
      'colour',
      'is not a parameter of this runbook (parameters: cluster, service, lines)',
    ],
  ])('%j is refused: %s %s', (given, param, message) => {
    expect(resolveRunbookArgs(tailLog, given)).toMatchObject({ ok: false, problems: [{ param, message }] });
  });

  it('describes each parameter for a form, enums as choices', () => {
    expect(runbookParamDescriptors(tailLog)).toEqual([
      { name: 'cluster', type: 'enum', label: 'cluster', required: true, options: ['prod', 'staging'] },
      { name: 'service', type: 'string', label: 'service', required: true, pattern: '^[a-z0-9-]+$', maxLength: 256 },
      { name: 'lines', type: 'int', label: 'lines', required: false, defaultValue: '200', min: 1, max: 5000 },
    ]);
  });
});

describe('rendering', () => {
  it('renders the target and the command of tail-log', () => {
    expect(prepareRunbook(policy, 'tail-log', { cluster: 'staging', service: 'api', lines: '50' })).toEqual({
      ok: true,
      run: {
        name: 'tail-log',
        target: { clusterAlias: 'staging', service: 'api' },
        targetText: 'staging/api',
        command: 'tail -n 50 /var/log/app.log',
        values: { cluster: 'staging', service: 'api', lines: 50 },
      },
    });
  });

  it('renders restart-worker with its default, container included', () => {
    expect(prepareRunbook(policy, 'restart-worker', {})).toMatchObject({
      ok: true,
      run: {
        target: { clusterAlias: 'prod', service: 'worker', container: 'app' },
        command: 'supervisorctl restart sidekiq',
      },
    });
  });

  it('an unknown runbook lists the known ones', () => {
    expect(prepareRunbook(policy, 'reboot', {})).toMatchObject({
      ok: false,
      problems: [{ message: 'unknown runbook "reboot" (runbooks: restart-worker, tail-log)' }],
    });
  });

  it('a value that would change the target shape is refused', () => {
    const loose = loadConfigFile(
      `
clusters: { prod: { cluster: prod, region: eu-west-1 } }
groups: { sre: { users: [U0SRE] } }
runbooks:
  any:
    target: prod/{{service}}
    command: uptime
    params: { service: { type: string } }
    who: [sre]
    approval: none
`,
      'loose.yml',
    );
    expect(prepareRunbook(loose, 'any', { service: 'web:app:x' })).toMatchObject({ ok: false });
    expect(prepareRunbook(loose, 'any', { service: '../web' })).toMatchObject({ ok: false });
    expect(prepareRunbook(loose, 'any', { service: 'web' })).toMatchObject({ ok: true });
  });
});

describe('runbook decisions', () => {
  it('restart-worker: oncall and sre run it without approval; others may not', () => {
    const prepared = prepareRunbook(policy, 'restart-worker', { process: 'resque' });
    if (!prepared.ok) throw new Error('expected a valid runbook');
    const { target, command } = prepared.run;
    const base = { channelId: 'C0INCIDENT', target, command, runbook: 'restart-worker' };
    expect(evaluatePolicy(policy, { ...ONCALL, ...base })).toMatchObject({
      effect: 'allow',
      rule: 'runbook:restart-worker',
      approval: null,
      timeoutMs: 120_000,
    });
    expect(evaluatePolicy(policy, { ...OUTSIDER, ...base })).toMatchObject({
      effect: 'deny',
      reason: 'runbook "restart-worker" is for oncall, sre',
    });
  });

  it('tail-log has no "who": the rules decide, approval included', () => {
    const prepared = prepareRunbook(policy, 'tail-log', { cluster: 'prod', service: 'web' });
    if (!prepared.ok) throw new Error('expected a valid runbook');
    const { target, command } = prepared.run;
    const decision = evaluatePolicy(policy, {
      ...ONCALL,
      channelId: 'C0INCIDENT',
      target,
      command,
      runbook: 'tail-log',
    });
    expect(decision).toMatchObject({
      effect: 'allow',
      rule: 'prod-with-approval',
      approval: { approverGroups: ['sre'] },
    });
    const outsider = evaluatePolicy(policy, {
      ...OUTSIDER,
      channelId: 'C0STAGING',
      target,
      command,
      runbook: 'tail-log',
    });
    expect(outsider.effect).toBe('deny');
  });

  it('deny rules apply to runbooks too', () => {
    const decision = evaluatePolicy(policy, {
      ...SRE,
      channelId: 'C0X',
      target: { clusterAlias: 'prod', service: 'worker', container: 'app' },
      command: 'rm -rf /tmp/x',
      runbook: 'restart-worker',
    });
    expect(decision).toMatchObject({ effect: 'deny', rule: 'no-destructive' });
  });
});

describe('runbooksVisibleTo', () => {
  it.each([
    ['oncall in an incident channel', ONCALL, 'C0INCIDENT', ['restart-worker', 'tail-log']],
    ['an outsider in the staging channel', OUTSIDER, 'C0STAGING', ['tail-log']],
    ['an outsider elsewhere', OUTSIDER, 'C0RANDOM', []],
  ])('%s sees %j', (_name, user, channel, expected) => {
    const names = runbooksVisibleTo(policy, user.userId, user.userGroupIds, channel).map((entry) => entry.name);
    expect(names).toEqual(expected);
  });
});
