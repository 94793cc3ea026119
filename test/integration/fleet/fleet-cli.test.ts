import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLEET, fleetSeed, fleetTaskId, type Sandbox, startSandbox } from '../../../src/sandbox/index.js';
import { cli } from '../cli/cli-harness.js';

/** Fails on the tasks whose container has DISK_FULL=1; sleeps so the vanishing task disappears mid-run. */
const COMMAND = 'sleep 1; if [ -n "$DISK_FULL" ]; then echo "disk full"; exit 1; fi; echo ok';
const short = (index: number): string => fleetTaskId(index).slice(0, 8);

let sandbox: Sandbox;
let env: Record<string, string>;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: fleetSeed() });
  env = { ...sandbox.env, PATH: process.env['PATH'] ?? '' };
});

afterAll(async () => {
  await sandbox.close();
});

/** Successful ExecuteCommand calls and data-channel sessions per task: each must be at most one. */
function startsPerTask(): { calls: Map<string, number>; sessions: Map<string, number> } {
  const calls = new Map<string, number>();
  for (const call of sandbox.calls) {
    if (call.operation !== 'ExecuteCommand' || call.error !== undefined) continue;
    const task = String(call.input['task']).split('/').pop() ?? '';
    calls.set(task, (calls.get(task) ?? 0) + 1);
  }
  const sessions = new Map<string, number>();
  for (const session of sandbox.sessions) {
    const task = session.taskArn.split('/').pop() ?? '';
    sessions.set(task, (sessions.get(task) ?? 0) + 1);
  }
  return { calls, sessions };
}

describe('ecs-exec exec --all on a 60-task service', () => {
  it('runs once per eligible task under throttling, groups the results and exits with the worst status', async () => {
    // ECS's own token bucket, tighter than the bot's burst: the first starts are throttled and retried.
    sandbox.faults.api.rateLimit('ecs:ExecuteCommand', { perSecond: 3, burst: 4 });
    const { code, stdout, stderr } = await cli(
      ['exec', '--all', '--max-concurrency', '10', '--max-errors', '10%', '--json', 'fleet/api', '--', COMMAND],
      env,
    );
    const report = JSON.parse(stderr) as {
      exitCode: number;
      summary: string;
      tasks: Array<{ shortId: string; status: string; exitCode: number | null; reason: string | null; output: string }>;
      groups: Array<{ count: number; status: string; exitCode: number | null; headline: string; tasks: string[] }>;
    };
    const eligible = DEFAULT_FLEET.tasks - DEFAULT_FLEET.agentStopped.length;
    const failing = DEFAULT_FLEET.diskFull.length;
    expect(report.summary).toBe(
      `${eligible - failing - 1} tasks: exit 0 \`ok\`; ${failing} tasks: exit 1 \`disk full\`; ` +
        `1 task: ${report.groups[2]?.headline}; ${DEFAULT_FLEET.agentStopped.length} skipped: agent STOPPED`,
    );
    expect(report.groups[1]?.tasks.sort()).toEqual(DEFAULT_FLEET.diskFull.map(short).sort());
    expect(report.groups[2]).toMatchObject({ status: 'vanished', tasks: [short(DEFAULT_FLEET.vanishing)] });
    expect(report.groups[2]?.headline).toMatch(/^task vanished mid-run: .*host was lost/);
    expect(report.groups[3]?.tasks.sort()).toEqual(DEFAULT_FLEET.agentStopped.map(short).sort());
    // The worst status: the vanished task's 253 (session broke off) beats the failing commands' 1.
    expect(code).toBe(253);
    expect(report.exitCode).toBe(253);

    // Every line is prefixed with its task, whole; each task that ran printed its line once.
    const lines = stdout.toString('utf8').trimEnd().split('\n');
    expect(lines.every((line) => /^\[[0-9a-f]{8}\] (ok|disk full)$/.test(line))).toBe(true);
    expect(lines.filter((line) => line.endsWith('] disk full')).length).toBe(failing);
    expect(lines.filter((line) => line.endsWith('] ok')).length).toBe(eligible - failing - 1);

    // Throttling happened, and still nothing ran twice; skipped tasks were never asked.
    expect(sandbox.faults.api.throttledCount('ecs:ExecuteCommand')).toBeGreaterThan(0);
    const { calls, sessions } = startsPerTask();
    expect(calls.size).toBe(eligible);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect([...sessions.values()].every((n) => n === 1)).toBe(true);
    for (const index of DEFAULT_FLEET.agentStopped) expect(calls.has(fleetTaskId(index))).toBe(false);
  }, 180_000);

  it('stops starting tasks at the first failure by default', async () => {
    sandbox.faults.api.clear();
    const before = sandbox.calls.length;
    const { code, stderr } = await cli(
      ['exec', '--all', '--max-concurrency', '2', '--json', 'fleet/api', '--', 'echo "$TASK_INDEX"; exit 3'],
      env,
    );
    expect(code).toBe(3);
    const started = sandbox.calls.slice(before).filter((c) => c.operation === 'ExecuteCommand' && !c.error);
    // At most the two already running when the first failure came back.
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(started.length).toBeLessThanOrEqual(2);
    const report = JSON.parse(stderr) as { stopped: string; tasks: Array<{ status: string; exitCode: number | null }> };
    expect(report.stopped).toBe('stopped starting tasks after 1 failure (--max-errors 0)');
    // The task that vanished in an earlier test is no longer listed: count what this run saw.
    const eligible = report.tasks.filter((t) => t.status !== 'skipped').length;
    expect(report.tasks.filter((t) => t.status === 'completed' && t.exitCode === 3)).toHaveLength(started.length);
    expect(report.tasks.filter((t) => t.status === 'not_run')).toHaveLength(eligible - started.length);
  }, 60_000);

  it('takes --tasks N across availability zones', async () => {
    const { code, stderr } = await cli(
      ['exec', '--tasks', '6', '--max-concurrency', '100%', '--json', 'fleet/api:app', '--', 'echo "$TASK_INDEX"'],
      env,
    );
    expect(code).toBe(0);
    const report = JSON.parse(stderr) as {
      tasks: Array<{ status: string; availabilityZone: string | null }>;
      concurrency: number;
    };
    const ran = report.tasks.filter((t) => t.status === 'completed');
    expect(ran).toHaveLength(6);
    expect(report.concurrency).toBe(6);
    const zones = new Map<string, number>();
    for (const task of ran) zones.set(task.availabilityZone ?? '', (zones.get(task.availabilityZone ?? '') ?? 0) + 1);
    expect([...zones.values()]).toEqual([2, 2, 2]);
  }, 60_000);

  it('redacts the output of each task before grouping it', async () => {
    const { code, stdout, stderr } = await cli(
      ['exec', '--tasks', '2', '--json', 'fleet/api', '--', 'echo "DB_PASSWORD=s3cr3t-$TASK_INDEX-Xq9vLm2"'],
      env,
    );
    expect(code).toBe(0);
    const report = JSON.parse(stderr) as {
      tasks: Array<{ output: string }>;
      groups: Array<{ count: number; status: string }>;
    };
    expect(report.tasks.map((t) => t.output).join('')).not.toContain('s3cr3t');
    // The secrets differ per task; once redacted the outputs are the same, so they form one group.
    expect(report.groups.filter((g) => g.status === 'completed')).toEqual([expect.objectContaining({ count: 2 })]);
    // stdout shows what the commands printed, as a single exec does.
    expect(stdout.toString('utf8')).toContain('s3cr3t');
  }, 60_000);

  it('Ctrl-C stops every running session and starts no further task', async () => {
    const calls = sandbox.calls.length;
    const sessions = sandbox.sessions.length;
    const controller = new AbortController();
    const running = cli(['exec', '--all', '--max-concurrency', '3', 'fleet/api', '--', 'sleep 30'], env, {
      signal: controller.signal,
    });
    await expect.poll(() => sandbox.sessions.slice(sessions).filter((s) => s.status === 'running').length).toBe(3);
    controller.abort('SIGINT');
    const { code, stderr } = await running;
    expect(code).toBe(130);
    expect(stderr).toContain('3 tasks: stopped mid-run');
    const started = sandbox.sessions.slice(sessions);
    expect(started).toHaveLength(3);
    // The remote commands ended (Ctrl-C reached them), none is left running.
    await expect.poll(() => started.every((s) => s.exitCode !== null)).toBe(true);
    expect(sandbox.calls.slice(calls).filter((c) => c.operation === 'ExecuteCommand')).toHaveLength(3);
  }, 60_000);

  it.each([
    [['--all', '--max-errors', '150%'], '--max-errors 150%: a percentage must be from 0 up to 100%'],
    [['--tasks', '0'], '--tasks 0: give a number of tasks, at least 1'],
    [['--all', '--tasks', '3'], 'give --all or --tasks N, not both'],
    [['--all', '--max-concurrency', '0'], '--max-concurrency 0: give at least 1 task'],
    [['--all', '--task', fleetTaskId(1)], "--all runs on a service's tasks: name the service"],
    [['--all', '--cluster', 'fleet', '--service', fleetTaskId(1)], 'is a task id: name the service instead'],
    [['--all', '-i'], 'it cannot open a terminal'],
  ])('refuses %j with a clear message, running nothing', async (flags, message) => {
    const before = sandbox.calls.length;
    const target = flags.includes('--cluster') || flags.includes('--task') ? [] : ['fleet/api'];
    const { code, stderr } = await cli(['exec', ...flags, ...target, '--', 'true'], env);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(sandbox.calls.length).toBe(before);
  });
});
