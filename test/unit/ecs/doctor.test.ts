import { describe, expect, it } from 'vitest';
import { compareVersions, type DoctorFacts, doctorChecks, renderChecklist } from '../../../src/ecs/doctor.js';
import type { EcsCluster } from '../../../src/ecs/ecs-port.js';
import { container, task } from './fixtures.js';

const cluster: EcsCluster = {
  clusterArn: 'arn:aws:ecs:eu-west-1:1:cluster/prod',
  clusterName: 'prod',
  status: 'ACTIVE',
};
const healthy: DoctorFacts = {
  clusterAlias: 'prod',
  service: 'web',
  cluster,
  tasks: [task()],
  taskDefinition: { taskDefinitionArn: 'td', containers: [{ name: 'app', readonlyRootFilesystem: false }] },
};

function byId(facts: DoctorFacts) {
  return new Map(doctorChecks(facts).map((c) => [c.id, c]));
}

describe('doctorChecks', () => {
  it('names the real cluster and its region in the fix for a task without ECS Exec', () => {
    const facts: DoctorFacts = {
      ...healthy,
      clusterAlias: 'production',
      region: 'eu-west-1',
      cluster: { ...cluster, clusterName: 'prod-main' },
      tasks: [task({ enableExecuteCommand: false })],
    };
    expect(byId(facts).get('exec-enabled')?.fix).toBe(
      'aws ecs update-service --cluster prod-main --region eu-west-1 --service web --enable-execute-command --force-new-deployment',
    );
  });

  it('passes a healthy Fargate service and says nothing blocks exec', () => {
    const checks = doctorChecks(healthy);
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(renderChecklist(checks)).toContain('Nothing blocks ECS Exec');
  });

  const misconfigurations: Array<[string, Partial<DoctorFacts>, string, RegExp]> = [
    [
      'logging NONE',
      { cluster: { ...cluster, executeCommandConfiguration: { logging: 'NONE' } } },
      'logging',
      /logging to DEFAULT or OVERRIDE/,
    ],
    [
      'OVERRIDE without destination',
      { cluster: { ...cluster, executeCommandConfiguration: { logging: 'OVERRIDE', logConfiguration: {} } } },
      'logging',
      /cloudWatchLogGroupName or s3BucketName/,
    ],
    [
      'exec disabled',
      { tasks: [task({ enableExecuteCommand: false, containers: [container('app', null)] })] },
      'exec-enabled',
      /--enable-execute-command --force-new-deployment/,
    ],
    ['agent stopped', { tasks: [task({ containers: [container('app', 'STOPPED')] })] }, 'agent:app', /ssmmessages/],
    ['old Fargate', { tasks: [task({ platformVersion: '1.3.0' })] }, 'platform', /1\.4\.0 or LATEST/],
    [
      'old EC2 agent',
      { tasks: [task({ launchType: 'EC2' })], agentVersion: '1.49.0' },
      'platform',
      /Update the ECS agent/,
    ],
    [
      'read-only root',
      { taskDefinition: { taskDefinitionArn: 'td', containers: [{ name: 'app', readonlyRootFilesystem: true }] } },
      'read-only-root',
      /readonlyRootFilesystem to false/,
    ],
    [
      'pidMode task',
      { taskDefinition: { taskDefinitionArn: 'td', pidMode: 'task', containers: [] } },
      'pid-mode',
      /Remove pidMode/,
    ],
    ['no task', { tasks: [] }, 'task', /desired count/],
    ['missing cluster', { cluster: { error: 'Cluster "prod" was not found' } }, 'cluster', /region and account/],
  ];

  it.each(misconfigurations)('reports %s as ✗ with one fix', (_name, change, id, fix) => {
    const checks = byId({ ...healthy, ...change });
    const check = checks.get(id);
    expect(check?.status).toBe('fail');
    expect(check?.fix).toMatch(fix);
    const failed = [...checks.values()].filter((c) => c.status === 'fail');
    expect(failed).toHaveLength(1);
    expect(renderChecklist([...checks.values()])).toContain(`    fix: ${check?.fix}`);
  });

  it('says "?" when it cannot know: an unreadable task definition, an unknown EC2 agent', () => {
    const checks = byId({
      ...healthy,
      tasks: [task({ launchType: 'EC2' })],
      taskDefinition: { error: 'AccessDenied' },
    });
    expect(checks.get('platform')?.status).toBe('unknown');
    expect(checks.get('task-definition')?.status).toBe('unknown');
    expect(renderChecklist([...checks.values()])).toMatch(/^\? ECS agent version/m);
  });

  it('flags KMS-encrypted CloudWatch logging as something to verify', () => {
    const facts = {
      ...healthy,
      cluster: {
        ...cluster,
        executeCommandConfiguration: {
          logging: 'OVERRIDE',
          kmsKeyId: 'alias/exec',
          logConfiguration: { cloudWatchLogGroupName: '/ecs/exec', cloudWatchEncryptionEnabled: true },
        },
      },
    };
    const checks = byId(facts);
    expect(checks.get('logging')?.status).toBe('pass');
    expect(checks.get('log-encryption')?.status).toBe('unknown');
    expect(checks.get('kms')?.detail).toContain('kms:GenerateDataKey');
  });

  it('judges the KMS key by what happened when the bot tried it', () => {
    const withKey = { ...cluster, executeCommandConfiguration: { kmsKeyId: 'alias/exec' } };
    expect(byId({ ...healthy, cluster: withKey, kmsAccess: 'ok' }).get('kms')?.status).toBe('pass');
    const denied = byId({ ...healthy, cluster: withKey, kmsAccess: { error: 'AccessDeniedException' } }).get('kms');
    expect(denied?.status).toBe('fail');
    expect(denied?.fix).toContain('kms:GenerateDataKey on alias/exec');
    expect(byId({ ...healthy, cluster: withKey }).get('kms')?.status).toBe('unknown');
  });

  it('renders one line per check with ✓ ✗ ?', () => {
    const text = renderChecklist(doctorChecks({ ...healthy, tasks: [task({ enableExecuteCommand: false })] }));
    expect(text).toMatch(/^✓ Cluster prod: ACTIVE$/m);
    expect(text).toMatch(/^✗ enableExecuteCommand: the task was started without ECS Exec$/m);
    expect(text.trimEnd().split('\n').at(-1)).toBe('1 problem to fix.');
  });
});

describe('compareVersions', () => {
  it.each([
    ['1.4.0', [1, 4, 0], 0],
    ['1.3.0', [1, 4, 0], -1],
    ['v1.50.2', [1, 50, 2], 0],
    ['1.51.0', [1, 50, 2], 1],
  ] as const)('%s vs %j', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b) ?? Number.NaN)).toBe(sign);
  });
  it('does not guess for text that is not a version', () => {
    expect(compareVersions('LATEST', [1, 4, 0])).toBeUndefined();
  });
});
