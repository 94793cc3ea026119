import { afterEach, describe, expect, inject, it } from 'vitest';
import { DEFAULT_FLEET, fleetSeed, fleetTaskId } from '../../../src/sandbox/index.js';
import type { StoredMessage } from '../../../src/sandbox/slack/types.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { ALICE, BOB, CHANNEL, everythingSlackReceived, type FlowFixture, startFlow } from './flow-fixture.js';

const fleetConfig = (maxTasks: number): string => `
clusters:
  fleet: { cluster: fleet, region: us-east-1, shell: /bin/sh }
groups:
  sre: { usergroups: [S0SRE] }
  devs: { users: [${ALICE}, ${BOB}] }
rules:
  - name: api-fleet
    effect: allow
    who: [devs]
    targets: ["fleet/api"]
    commands: ["**"]
    approval: { approvers: [sre], count: 1, selfApproval: false, ttl: 10m }
    maxTasks: ${maxTasks}
limits: { timeout: 1m, maxOutputBytes: 1MiB, previewLines: 20 }
audit: { channel: C0AUDIT }
`;

/** Fails on the tasks whose container has DISK_FULL=1; sleeps so the vanishing task disappears mid-run. */
const COMMAND = 'sleep 1; if [ -n "$DISK_FULL" ]; then echo "disk full"; exit 1; fi; echo ok';
const short = (index: number): string => fleetTaskId(index).slice(0, 8);
const eligible = DEFAULT_FLEET.tasks - DEFAULT_FLEET.agentStopped.length;

let flow: FlowFixture | undefined;

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
});

async function startFleetFlow(maxTasks = 100): Promise<FlowFixture> {
  return await startFlow(inject('redisUrl'), {
    configYaml: fleetConfig(maxTasks),
    sandbox: { seed: fleetSeed() },
  });
}

/** Successful ExecuteCommand calls per task id. */
function executeCallsPerTask(fixture: FlowFixture): Map<string, number> {
  const calls = new Map<string, number>();
  for (const call of fixture.stack.sandbox.calls) {
    if (call.operation !== 'ExecuteCommand' || call.error !== undefined) continue;
    const task = String(call.input['task']).split('/').pop() ?? '';
    calls.set(task, (calls.get(task) ?? 0) + 1);
  }
  return calls;
}

/** The thread message that shows the grouped result, once it does. */
async function groupedResult(fixture: FlowFixture, card: StoredMessage): Promise<StoredMessage> {
  let found: StoredMessage | undefined;
  await expect
    .poll(
      () => {
        found = fixture.thread(card).find((message) => message.text.includes('skipped: agent STOPPED'));
        return found !== undefined;
      },
      { timeout: 120_000, interval: 100 },
    )
    .toBe(true);
  return found as StoredMessage;
}

describe('/ecs-exec cluster/service --all | --tasks N, through the bot', () => {
  it('asks once, runs once per eligible task under throttling, follows progress and posts grouped results', async () => {
    flow = await startFleetFlow();
    // ECS's own token bucket, tighter than the bot's burst: some starts are throttled and retried.
    flow.stack.sandbox.faults.api.rateLimit('ecs:ExecuteCommand', { perSecond: 3, burst: 4 });
    await flow.stack.slash(ALICE, CHANNEL, `fleet/api --all --max-concurrency 10 --max-errors 10 -- ${COMMAND}`);
    const card = await flow.card();
    const cardText = JSON.stringify(card.blocks);
    expect(cardText).toContain(`${eligible} tasks (all, ${DEFAULT_FLEET.agentStopped.length} skipped)`);
    expect(cardText).toContain('api-fleet');
    // Nothing runs before the approval.
    expect(executeCallsPerTask(flow).size).toBe(0);

    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    const result = await groupedResult(flow, card);
    const failing = DEFAULT_FLEET.diskFull.length;
    expect(result.text).toContain(`${eligible - failing - 1} tasks: exit 0 \`ok\``);
    expect(result.text).toContain(`${failing} tasks: exit 1 \`disk full\``);
    expect(result.text).toMatch(/1 task: task vanished mid-run/);
    expect(result.text).toContain(`${DEFAULT_FLEET.agentStopped.length} skipped: agent STOPPED`);
    const blocks = JSON.stringify(result.blocks);
    for (const index of DEFAULT_FLEET.diskFull) expect(blocks).toContain(short(index));
    for (const index of DEFAULT_FLEET.agentStopped) expect(blocks).toContain(short(index));
    expect(blocks).not.toContain('Stop all');

    // The progress message was updated while tasks ran (the same message then carries the result).
    const progressUpdates = flow.stack.slack
      .callsTo('chat.update')
      .filter((call) => String(call.args['text']).startsWith('Running'));
    expect(progressUpdates.length).toBeGreaterThan(0);
    expect(progressUpdates.every((call) => call.args['ts'] === result.ts)).toBe(true);

    // One file, a section per task that was planned, each with its own output.
    await expect
      .poll(() => flow?.thread(card).flatMap((message) => message.files ?? []).length, { timeout: 10_000 })
      .toBe(1);
    const file = flow.thread(card).flatMap((message) => message.files ?? [])[0];
    const content = file?.content.toString('utf8') ?? '';
    expect(content.match(/^===== task [0-9a-f]{32}/gm)?.length).toBe(DEFAULT_FLEET.tasks);
    for (const index of DEFAULT_FLEET.diskFull) {
      expect(content).toMatch(new RegExp(`===== task ${fleetTaskId(index)} .*exit 1 =====\\ndisk full`));
    }

    // Throttled, and still never more than one ExecuteCommand per task; skipped tasks were never asked.
    expect(flow.stack.sandbox.faults.api.throttledCount('ecs:ExecuteCommand')).toBeGreaterThan(0);
    const calls = executeCallsPerTask(flow);
    expect(calls.size).toBe(eligible);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    for (const index of DEFAULT_FLEET.agentStopped) expect(calls.has(fleetTaskId(index))).toBe(false);

    // The audit: the request's own entries, and one per task with its status, exit code and output digest.
    const audit = await flow.auditEntries();
    expect(audit.filter((entry) => entry.action === 'create')).toHaveLength(1);
    const perTask = audit.filter((entry) => entry.action === 'task_run');
    expect(perTask).toHaveLength(DEFAULT_FLEET.tasks);
    expect(new Set(perTask.map((entry) => entry.detail['taskId'])).size).toBe(DEFAULT_FLEET.tasks);
    const diskFull = perTask.find((entry) => entry.detail['taskId'] === fleetTaskId(DEFAULT_FLEET.diskFull[0]));
    expect(diskFull?.detail).toMatchObject({ status: 'completed', exitCode: 1 });
    expect(String(diskFull?.detail['sha256'])).toMatch(/^[0-9a-f]{64}$/);
    const finish = audit.find((entry) => entry.action === 'finish');
    expect(finish?.to).toBe('failed');
  }, 180_000);

  it("refuses a fan-out over the rule's maxTasks, naming the rule and the cap", async () => {
    flow = await startFleetFlow(10);
    await flow.stack.slash(ALICE, CHANNEL, 'fleet/api --all -- uptime');
    await expect
      .poll(() => flow?.ephemerals(ALICE).join('\n'), { timeout: 20_000 })
      .toMatch(/Rule "api-fleet" allows a fan-out to at most 10 tasks; this one would run on 56/);
    expect(flow.stack.slack.messages(CHANNEL).filter((message) => message.source === 'chat.postMessage')).toHaveLength(
      0,
    );
    expect(executeCallsPerTask(flow).size).toBe(0);
    const rejection = (await flow.auditEntries()).find((entry) => entry.action === 'reject');
    expect(rejection?.detail).toMatchObject({ rule: 'api-fleet' });
  }, 60_000);

  it('runs --tasks N within the cap, spread across zones', async () => {
    flow = await startFleetFlow(10);
    await flow.stack.slash(ALICE, CHANNEL, 'fleet/api --tasks 6 -- echo ok');
    const card = await flow.card();
    expect(JSON.stringify(card.blocks)).toContain('6 tasks (6 asked');
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    const result = await groupedResult(flow, card);
    expect(result.text).toContain('6 tasks: exit 0 `ok`');
    const zones = new Set<string>();
    for (const call of flow.stack.sandbox.calls) {
      if (call.operation !== 'ExecuteCommand' || call.error !== undefined) continue;
      const id = String(call.input['task']).split('/').pop() ?? '';
      const index = Array.from({ length: DEFAULT_FLEET.tasks }, (_, i) => i).find((i) => fleetTaskId(i) === id);
      zones.add(DEFAULT_FLEET.zones[(index ?? 0) % DEFAULT_FLEET.zones.length] ?? '');
    }
    expect(zones.size).toBe(3);
    expect(executeCallsPerTask(flow).size).toBe(6);
  }, 120_000);

  it('stops every task with one Stop: no new task starts, running ones end, the request is cancelled', async () => {
    flow = await startFleetFlow();
    await flow.stack.slash(ALICE, CHANNEL, 'fleet/api --all --max-concurrency 5 -- sleep 60');
    const card = await flow.card();
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    let progress: StoredMessage | undefined;
    await expect
      .poll(
        () => {
          progress = flow
            ?.thread(card)
            .find(
              (message) => message.text.startsWith('Running') && JSON.stringify(message.blocks).includes('Stop all'),
            );
          return progress !== undefined && executeCallsPerTask(flow as FlowFixture).size === 5;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBe(true);
    await flow.stack.click(ALICE, progress as StoredMessage, ACTION_IDS.stop);
    const result = await groupedResult(flow, card);
    expect(result.text).toMatch(/5 tasks: stopped mid-run/);
    expect(result.text).toContain(`${eligible - 5} not run: stopped by request`);
    expect(executeCallsPerTask(flow).size).toBe(5);
    const finish = (await flow.auditEntries()).find((entry) => entry.action === 'finish');
    expect(finish?.to).toBe('cancelled');
  }, 120_000);

  it('runs no more tasks than were approved when the service grew meanwhile, and says so', async () => {
    flow = await startFlow(inject('redisUrl'), {
      configYaml: fleetConfig(100),
      sandbox: { seed: fleetSeed({ tasks: 12, agentStopped: [1], diskFull: [], vanishing: undefined }) },
    });
    await flow.stack.slash(ALICE, CHANNEL, 'fleet/api --all -- echo ok');
    const card = await flow.card();
    expect(JSON.stringify(card.blocks)).toContain('11 tasks (all, 1 skipped)');
    flow.stack.sandbox.state.addTask({ cluster: 'fleet', service: 'api' });
    flow.stack.sandbox.state.addTask({ cluster: 'fleet', service: 'api' });
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    const result = await groupedResult(flow, card);
    expect(result.text).toContain('11 tasks: exit 0 `ok`');
    expect(JSON.stringify(result.blocks)).toContain(
      '13 tasks can take the command now, but 11 were approved: it runs on 11 only.',
    );
    expect(executeCallsPerTask(flow).size).toBe(11);
  }, 120_000);

  it('redacts each task before grouping: no secret in any message or the file, one group for the same shape', async () => {
    flow = await startFleetFlow(10);
    await flow.stack.slash(ALICE, CHANNEL, 'fleet/api --tasks 3 -- echo "DB_PASSWORD=s3cr3t-$TASK_INDEX-Xq9vLm2"');
    const card = await flow.card();
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    await expect
      .poll(() => flow?.thread(card).find((message) => /^r-\w+: 3 tasks: exit 0/.test(message.text)), {
        timeout: 30_000,
      })
      .toBeDefined();
    await expect
      .poll(() => flow?.thread(card).flatMap((message) => message.files ?? []).length, { timeout: 10_000 })
      .toBe(1);
    const file =
      flow
        .thread(card)
        .flatMap((message) => message.files ?? [])[0]
        ?.content.toString('utf8') ?? '';
    expect(file.match(/^DB_PASSWORD=/gm)?.length).toBe(3);
    expect(file).not.toContain('s3cr3t');
    expect(everythingSlackReceived(flow)).not.toContain('s3cr3t');
    expect(JSON.stringify(await flow.auditEntries())).not.toContain('s3cr3t');
  }, 60_000);
});
