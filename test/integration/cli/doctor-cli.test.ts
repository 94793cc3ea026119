import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterSeed, type Sandbox, startSandbox, type TaskSeed } from '../../../src/sandbox/index.js';
import { callsOf } from '../ecs/helpers.js';
import { cli } from './cli-harness.js';

const DISABLED_KEY = 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-00000000dead';
const GOOD_KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555';

/** One cluster per misconfiguration, each with a service `svc`, so every case is judged on its own. */
const CASES: Array<{
  name: string;
  cluster?: Partial<ClusterSeed>;
  task?: Partial<TaskSeed> | null;
  line: RegExp;
  fix: RegExp;
}> = [
  {
    name: 'logging-none',
    cluster: { executeCommandConfiguration: { logging: 'NONE' } },
    line: /^✗ Session logging: logging is NONE/m,
    fix: /fix: Set executeCommandConfiguration\.logging to DEFAULT or OVERRIDE/,
  },
  {
    name: 'override-nowhere',
    cluster: { executeCommandConfiguration: { logging: 'OVERRIDE', logConfiguration: {} } },
    line: /^✗ Session logging: logging is OVERRIDE but no log group or S3 bucket/m,
    fix: /fix: Set logConfiguration\.cloudWatchLogGroupName or s3BucketName/,
  },
  {
    name: 'exec-disabled',
    task: { enableExecuteCommand: false, containers: [{ name: 'app', agentStatus: null }] },
    line: /^✗ enableExecuteCommand: the task was started without ECS Exec/m,
    // The real cluster, so the fix can be pasted as it is.
    fix: /fix: aws ecs update-service --cluster exec-disabled --service svc --enable-execute-command --force-new-deployment/,
  },
  {
    name: 'agent-pending',
    task: { containers: [{ name: 'app', agentStatus: 'PENDING' }] },
    line: /^✗ Exec agent in app: PENDING/m,
    fix: /fix: Give the task role ssmmessages:/,
  },
  {
    name: 'old-fargate',
    task: { platformVersion: '1.3.0' },
    line: /^✗ Fargate platform version: 1\.3\.0 is older than 1\.4\.0/m,
    fix: /fix: Deploy the service with platform version 1\.4\.0 or LATEST/,
  },
  {
    name: 'old-ec2-agent',
    task: { launchType: 'EC2', agentVersion: '1.49.0' },
    line: /^✗ ECS agent version: 1\.49\.0 is older than 1\.50\.2/m,
    fix: /fix: Update the ECS agent/,
  },
  {
    name: 'read-only-root',
    task: { containers: [{ name: 'app', readonlyRootFilesystem: true }] },
    line: /^✗ Writable root filesystem: readonlyRootFilesystem is on for app/m,
    fix: /fix: Set readonlyRootFilesystem to false/,
  },
  {
    name: 'pid-task',
    task: { pidMode: 'task' },
    line: /^✗ pidMode: pidMode is "task"/m,
    fix: /fix: Remove pidMode/,
  },
  {
    name: 'kms-unusable',
    cluster: {
      executeCommandConfiguration: {
        logging: 'DEFAULT',
        kmsKeyId: DISABLED_KEY,
      },
    },
    line: /^✗ Session encryption: KMS key .*dead: the bot cannot create a data key with it/m,
    fix: /fix: Allow the bot's role kms:GenerateDataKey on/,
  },
  {
    name: 'no-task',
    task: null,
    line: /^✗ Running task of svc: the service has no running task/m,
    fix: /fix: Check the service name/,
  },
];

let sandbox: Sandbox;
let env: Record<string, string>;

beforeAll(async () => {
  const clusters: ClusterSeed[] = [
    { name: 'healthy', executeCommandConfiguration: { logging: 'DEFAULT' } },
    { name: 'kms-ok', executeCommandConfiguration: { logging: 'DEFAULT', kmsKeyId: GOOD_KEY } },
  ];
  const tasks: TaskSeed[] = [
    { cluster: 'healthy', service: 'svc', containers: [{ name: 'app' }] },
    { cluster: 'kms-ok', service: 'svc', containers: [{ name: 'app' }] },
  ];
  for (const c of CASES) {
    clusters.push({ name: c.name, ...c.cluster });
    // A family per case: task definitions are account-wide, and each case needs its own.
    if (c.task !== null) {
      tasks.push({
        cluster: c.name,
        service: 'svc',
        taskDefinition: `${c.name}:1`,
        containers: [{ name: 'app' }],
        ...c.task,
      });
    }
  }
  sandbox = await startSandbox({
    seed: {
      clusters,
      services: clusters.map((c) => ({ name: 'svc', cluster: c.name })),
      tasks,
      kmsKeys: [{ arn: GOOD_KEY }],
    },
  });
  // Clusters create the keys they name; this one is then switched off, as a key can be in AWS.
  sandbox.state.addKmsKey({ arn: DISABLED_KEY, enabled: false });
  env = { ...sandbox.env, PATH: process.env['PATH'] ?? '' };
});

afterAll(async () => {
  await sandbox.close();
});

describe('ecs-exec doctor', () => {
  it('passes a healthy service with exit 0', async () => {
    const { code, stdout } = await cli(['doctor', '--cluster', 'healthy', '--service', 'svc'], env);
    const text = stdout.toString();
    expect(text).not.toContain('✗');
    expect(text).toContain('✓ Exec agent in app: RUNNING');
    expect(text).toContain('Nothing blocks ECS Exec that I can see.');
    expect(code).toBe(0);
  });

  it.each(CASES)('reports $name with its fix and exit 1', async ({ name, line, fix }) => {
    const { code, stdout } = await cli(['doctor', '--cluster', name, '--service', 'svc'], env);
    const text = stdout.toString();
    expect(text).toMatch(line);
    expect(text).toMatch(fix);
    expect(text.match(/^✗/gm)).toHaveLength(1);
    expect(code).toBe(1);
  });

  it('tries the KMS key as the bot and passes when it may use it', async () => {
    const { code, stdout } = await cli(['doctor', '--cluster', 'kms-ok', '--service', 'svc'], env);
    expect(stdout.toString()).toMatch(/^✓ Session encryption: KMS key .*: the bot may use it/m);
    expect(code).toBe(0);
    expect(callsOf(sandbox, 'GenerateDataKey').at(-1)?.input['KeyId']).toBe(GOOD_KEY);
  });

  it('says the cluster is missing, and reads nothing else', async () => {
    const before = callsOf(sandbox, 'ListTasks').length;
    const { code, stdout } = await cli(['doctor', '--cluster', 'nowhere', '--service', 'svc'], env);
    expect(stdout.toString()).toMatch(/^✗ Cluster nowhere: Cluster "nowhere" was not found in us-east-1/m);
    expect(code).toBe(1);
    expect(callsOf(sandbox, 'ListTasks')).toHaveLength(before);
  });

  it('needs both --cluster and --service', async () => {
    const { code, stderr } = await cli(['doctor', '--cluster', 'healthy'], env);
    expect(code).toBe(2);
    expect(stderr).toContain('--cluster and --service are required');
  });
});
