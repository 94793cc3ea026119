import { describe, expect, it } from 'vitest';
import { DEFAULT_FLEET, fleetSeed, fleetTaskId, SandboxState } from '../../../src/sandbox/index.js';
import { parseSeed } from '../../../src/sandbox/state/seed-file.js';

describe('the fleet seed', () => {
  it('spreads 60 tasks over three zones with stopped agents, full disks and one vanishing task', () => {
    const state = new SandboxState(fleetSeed());
    const tasks = state.allTasks();
    expect(tasks).toHaveLength(DEFAULT_FLEET.tasks);
    expect(new Set(tasks.map((t) => t.taskId.slice(0, 8))).size).toBe(DEFAULT_FLEET.tasks);
    expect(new Set(tasks.map((t) => t.availabilityZone))).toEqual(new Set(DEFAULT_FLEET.zones));
    const stopped = tasks.filter((t) => t.containers[0]?.managedAgents[0]?.lastStatus === 'STOPPED');
    expect(stopped.map((t) => t.taskId)).toEqual(DEFAULT_FLEET.agentStopped.map(fleetTaskId));
    const full = tasks.filter((t) => t.containers[0]?.environment['DISK_FULL'] === '1');
    expect(full.map((t) => t.taskId)).toEqual(DEFAULT_FLEET.diskFull.map(fleetTaskId));
    expect(tasks.filter((t) => t.vanishAfterExecMs !== undefined).map((t) => t.taskId)).toEqual([
      fleetTaskId(DEFAULT_FLEET.vanishing),
    ]);
  });

  it('round-trips through a seed file, whose new fields are checked', () => {
    expect(parseSeed(JSON.parse(JSON.stringify(fleetSeed({ tasks: 3 }))))).toEqual(fleetSeed({ tasks: 3 }));
    expect(() =>
      parseSeed({
        clusters: [{ name: 'a' }],
        tasks: [{ cluster: 'a', containers: [{ name: 'app', environment: { 'BAD-NAME': 'x' } }] }],
      }),
    ).toThrow(/environment/);
  });
});
