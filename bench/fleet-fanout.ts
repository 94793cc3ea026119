/**
 * A 100-task fan-out against the sandbox (its own process): how long after the last task's end the grouped result
 * is ready (target: within 2 s), and how long the whole fan-out took.
 *
 *   npx tsx bench/fleet-fanout.ts                 # 100 tasks, 64 KiB each, 25 at a time
 *   npx tsx bench/fleet-fanout.ts --tasks 200 --concurrency 50
 */
import { runFleet } from '../src/fleet/fan-out.js';
import { planFleet } from '../src/fleet/plan.js';
import { FLEET_CLUSTER, startFleetSandbox } from './fleet-bench-support.js';

const TARGET_MS = 2_000;
const arg = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const TASKS = arg('--tasks', 100);
const CONCURRENCY = arg('--concurrency', 25);
const BYTES = arg('--kib', 64) * 1024;

const sandbox = await startFleetSandbox(TASKS, BYTES, 0);
try {
  const plan = await planFleet(
    sandbox.gateway,
    { cluster: FLEET_CLUSTER, service: 'api', selection: { kind: 'all' } },
    { maxConcurrency: { kind: 'count', value: CONCURRENCY }, maxErrors: { kind: 'percent', value: 100 } },
  );
  let lastEnd = 0;
  const result = await runFleet(plan, {
    runTask: sandbox.runTask,
    maxOutputBytes: 64 * 1024,
    onEvent: (event) => {
      if (event.kind === 'task-finished') lastEnd = Math.max(lastEnd, event.result.endedAt ?? 0);
    },
  });
  const groupedAt = Date.now();
  const lag = groupedAt - lastEnd;
  console.log(`${plan.tasks.length} tasks, ${CONCURRENCY} at a time, ${BYTES / 1024} KiB each: ${result.summary}`);
  console.log(
    `fan-out ${((result.endedAt - result.startedAt) / 1000).toFixed(2)} s; grouped result ${lag} ms after the last task's end (target <= ${TARGET_MS} ms)`,
  );
  const ok = result.groups.length === 1 && result.results.every((r) => r.status === 'completed') && lag <= TARGET_MS;
  console.log(ok ? 'targets met' : 'TARGETS MISSED');
  process.exitCode = ok ? 0 : 1;
} finally {
  sandbox.stop();
}
