import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { syntheticOutput, syntheticOutputSha256 } from '../../../src/sandbox/agent/synthetic-output.js';
import { ApiFaults } from '../../../src/sandbox/aws-api/api-faults.js';
import { SandboxError } from '../../../src/sandbox/errors.js';
import { defaultSeed } from '../../../src/sandbox/state/default-seed.js';
import { SandboxState } from '../../../src/sandbox/state/sandbox-state.js';
import { parseSeed } from '../../../src/sandbox/state/seed-file.js';

describe('seed', () => {
  it('the default seed has demo/web and demo/worker, each with one exec-ready RUNNING task with container app', () => {
    const state = new SandboxState(defaultSeed());
    const demo = state.requireCluster('demo');
    expect(state.listServices(demo).map((s) => s.serviceName)).toEqual(['web', 'worker']);
    for (const task of state.listTasks(demo)) {
      expect(task).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING', enableExecuteCommand: true });
      expect(task.containers.map((c) => [c.name, c.managedAgents[0]?.lastStatus])).toEqual([['app', 'RUNNING']]);
    }
  });

  it('validates a seed document and lists every problem with its path', () => {
    expect(() => parseSeed({ clusters: [{ name: 'a', colour: 'red' }], tasks: [{ id: 'x' }] })).toThrow(SandboxError);
    try {
      parseSeed({ clusters: [{ name: 'a', colour: 'red' }], tasks: [{ id: 'x' }] });
    } catch (error) {
      const text = (error as SandboxError).userMessage ?? '';
      expect(text).toMatch(/clusters\.0/);
      expect(text).toMatch(/tasks\.0\.id/);
      expect(text).toMatch(/tasks\.0\.cluster/);
    }
    expect(parseSeed({ clusters: [{ name: 'a' }] })).toEqual({ clusters: [{ name: 'a' }] });
  });

  it('scopes clusters by account and region and creates the KMS key a cluster names', () => {
    const state = new SandboxState({
      clusters: [
        {
          name: 'prod',
          account: '999988887777',
          region: 'eu-west-1',
          executeCommandConfiguration: { kmsKeyId: 'alias/exec' },
        },
      ],
    });
    expect(state.findCluster('999988887777', 'eu-west-1', 'prod')).toBeDefined();
    expect(state.findCluster('111122223333', 'eu-west-1', 'prod')).toBeUndefined();
    expect(state.findCluster('999988887777', 'us-east-1', 'prod')).toBeUndefined();
    expect(state.findKmsKey('999988887777', 'eu-west-1', 'alias/exec')?.arn).toMatch(
      /^arn:aws:kms:eu-west-1:999988887777:key\//,
    );
  });

  it('stopping a task tells listeners and stops its agents', () => {
    const state = new SandboxState(defaultSeed());
    const stopped: string[] = [];
    state.onTaskStopped((task) => stopped.push(task.taskId));
    const task = state.listTasks(state.requireCluster('demo'))[0];
    state.stopTask(task?.taskArn ?? '');
    expect(stopped).toEqual([task?.taskId]);
    expect(task).toMatchObject({ desiredStatus: 'STOPPED', lastStatus: 'DEACTIVATING' });
    expect(task?.containers[0]?.managedAgents[0]?.lastStatus).toBe('STOPPED');
  });
});

describe('ApiFaults', () => {
  it('an injected error lasts for its count, a bare operation name matches any service', () => {
    const faults = new ApiFaults();
    faults.inject('ecs:ExecuteCommand', { error: 'ThrottlingException', times: 2 });
    expect(faults.take('ecs', 'ExecuteCommand').error?.type).toBe('ThrottlingException');
    expect(faults.take('ecs', 'ExecuteCommand').error?.status).toBe(400);
    expect(faults.take('ecs', 'ExecuteCommand').error).toBeUndefined();
    faults.inject('DescribeTasks', { error: 'ServerException' });
    expect(faults.take('ecs', 'DescribeTasks').error?.status).toBe(500);
    faults.clear();
    expect(faults.take('ecs', 'DescribeTasks')).toEqual({});
  });
});

describe('syntheticOutput', () => {
  it('is deterministic, printable and its digest matches the stream', () => {
    const parts = [syntheticOutput(0, 1000), syntheticOutput(1000, 50_000), syntheticOutput(51_000, 60_000)];
    const whole = Buffer.concat(parts);
    expect(whole.every((b) => b >= 0x21 && b <= 0x7e)).toBe(true);
    expect(createHash('sha256').update(whole).digest('hex')).toBe(syntheticOutputSha256(111_000));
    expect(syntheticOutput(200_000, 100).equals(syntheticOutput(200_000, 100))).toBe(true);
  });
});
