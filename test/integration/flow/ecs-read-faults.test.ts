import { afterEach, describe, expect, inject, it } from 'vitest';
import { ALICE, CHANNEL, type FlowFixture, startFlow } from './flow-fixture.js';

let flow: FlowFixture | undefined;

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
});

const ecsCalls = (fixture: FlowFixture, operation: string) =>
  fixture.stack.sandbox.calls.filter((call) => call.service === 'ecs' && call.operation === operation);

describe('ECS reads whose connection is reset', () => {
  it('retries a reset DescribeTasks and ListTasks and runs the command once', async () => {
    flow = await startFlow(inject('redisUrl'));
    flow.stack.sandbox.faults.api.reset('ecs:ListTasks', 1);
    flow.stack.sandbox.faults.api.reset('ecs:DescribeTasks', 2);
    await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo after-resets');
    const status = await flow.finalStatus(await flow.card());
    expect(status.text).toMatch(/exit 0/);
    expect(JSON.stringify(status.blocks)).toContain('after-resets');
    expect(ecsCalls(flow, 'ListTasks').filter((call) => call.error === 'ConnectionReset')).toHaveLength(1);
    expect(ecsCalls(flow, 'DescribeTasks').filter((call) => call.error === 'ConnectionReset')).toHaveLength(2);
    expect(ecsCalls(flow, 'ExecuteCommand')).toHaveLength(1);
    expect(flow.ephemerals(ALICE).join('\n')).not.toMatch(/may have started/);
  });

  it('says ECS could not be reached, not that the command may have started, when reads keep failing', async () => {
    flow = await startFlow(inject('redisUrl'));
    flow.stack.sandbox.faults.api.reset('ecs:DescribeTasks', 100);
    await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo never');
    await expect
      .poll(() => flow?.ephemerals(ALICE).join('\n'), { timeout: 20_000 })
      .toMatch(/Could not reach the ECS API/);
    expect(flow.ephemerals(ALICE).join('\n')).not.toMatch(/may have started/);
    expect(ecsCalls(flow, 'DescribeTasks').length).toBeGreaterThan(1);
    expect(ecsCalls(flow, 'ExecuteCommand')).toHaveLength(0);
  });
});
