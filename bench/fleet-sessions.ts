/**
 * 500 concurrent ECS Exec sessions in one bot process: a fan-out over a 500-task sandbox service (agent side in its
 * own process), 1 MiB per session paced like the real agent (1 KiB frames, 1 ms apart: at most about 1 MB/s per
 * session), every byte through the output pipeline (render, redact, keep) and SHA-256 checked.
 *
 *   node --expose-gc --import tsx bench/fleet-sessions.ts
 *   node --expose-gc --import tsx bench/fleet-sessions.ts --sessions 100 --mib 1
 *
 * Targets: all byte-exact; event-loop delay p99 <= 20 ms; RSS growth <= 256 KiB per session beyond the output
 * buffers the pipeline is configured to keep. Compared with AWS's model, one session-manager-plugin process per
 * session (about 22 MB each). Exits 1 when a target is missed.
 */
import { createHash } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runFleet } from '../src/fleet/fan-out.js';
import { planFleet } from '../src/fleet/plan.js';
import { syntheticOutputSha256 } from '../src/sandbox/index.js';
import { FLEET_CLUSTER, startFleetSandbox } from './fleet-bench-support.js';

const TARGET_P99_MS = 20;
const TARGET_KIB_PER_SESSION = 256;
const PLUGIN_PROCESS_MB = 22;
const arg = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const SESSIONS = arg('--sessions', 500);
const BYTES = arg('--mib', 1) * 1024 * 1024;
/** Redacted text each session keeps for the upload; the pipeline also keeps a tail of up to 64 Ki characters. */
const MAX_OUTPUT_BYTES = arg('--keep-kib', 16) * 1024;
const TAIL_BYTES = 64 * 1024;

const expected = syntheticOutputSha256(BYTES);
const sandbox = await startFleetSandbox(SESSIONS, BYTES, 1);
try {
  const limits = {
    maxConcurrency: { kind: 'percent', value: 100 },
    maxErrors: { kind: 'percent', value: 100 },
  } as const;
  const plan = await planFleet(
    sandbox.gateway,
    { cluster: FLEET_CLUSTER, service: 'api', selection: { kind: 'all' } },
    limits,
  );
  // Warm-up: one task, so module loading and JIT do not count as per-session memory.
  await runFleet(
    { ...plan, tasks: plan.tasks.slice(0, 1), concurrency: 1 },
    { runTask: sandbox.runTask, maxOutputBytes: MAX_OUTPUT_BYTES },
  );
  global.gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  let atPeak = process.memoryUsage();
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) {
      peak = rss;
      atPeak = process.memoryUsage();
    }
  }, 50);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  // Measured apart as well: once every session has sent output, what remains is streaming alone.
  const streaming = monitorEventLoopDelay({ resolution: 10 });
  const hashes = new Map<string, ReturnType<typeof createHash>>();
  const started = process.hrtime.bigint();
  const result = await runFleet(plan, {
    runTask: sandbox.runTask,
    maxOutputBytes: MAX_OUTPUT_BYTES,
    onOutput: (task, chunk) => {
      let hash = hashes.get(task.taskId);
      if (!hash) {
        hash = createHash('sha256');
        hashes.set(task.taskId, hash);
        if (hashes.size === SESSIONS) streaming.enable();
      }
      hash.update(chunk);
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  delay.disable();
  streaming.disable();
  clearInterval(sampler);
  const exact = result.results.filter(
    (r) =>
      r.status === 'completed' && r.output?.bytes === BYTES && hashes.get(r.task.taskId)?.digest('hex') === expected,
  ).length;
  const growth = peak - baseline;
  const perSessionKib = growth / 1024 / SESSIONS;
  const beyondBuffersKib = perSessionKib - (MAX_OUTPUT_BYTES + TAIL_BYTES) / 1024;
  const p99 = delay.percentile(99) / 1e6;
  const pluginModelMb = SESSIONS * PLUGIN_PROCESS_MB;
  const oursMb = peak / 1024 / 1024;
  console.log(
    `${SESSIONS} sessions x ${BYTES / 1024 / 1024} MiB (1 KiB frames, 1 ms apart): ${seconds.toFixed(1)} s, ` +
      `${((SESSIONS * BYTES) / 1024 / 1024 / seconds).toFixed(1)} MiB/s aggregate`,
  );
  console.log(`byte-exact: ${exact}/${SESSIONS}`);
  console.log(
    `event-loop delay: p50 ${(delay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms (target p99 <= ${TARGET_P99_MS})`,
  );
  console.log(
    `RSS: baseline ${(baseline / 1024 / 1024).toFixed(0)} MiB, peak ${oursMb.toFixed(0)} MiB; growth ${(growth / 1024 / 1024).toFixed(1)} MiB = ` +
      `${perSessionKib.toFixed(0)} KiB per session, ${beyondBuffersKib.toFixed(0)} KiB beyond the ${(MAX_OUTPUT_BYTES + TAIL_BYTES) / 1024} KiB of output buffers (target <= ${TARGET_KIB_PER_SESSION})`,
  );
  console.log(
    `AWS's model (one plugin process per session, ~${PLUGIN_PROCESS_MB} MB each): ${pluginModelMb} MB; this process at its peak: ` +
      `${oursMb.toFixed(0)} MiB, ${(pluginModelMb / oursMb).toFixed(0)}x less`,
  );
  console.log(
    `event-loop delay once every session was streaming: p50 ${(streaming.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(streaming.percentile(99) / 1e6).toFixed(1)} ms, max ${(streaming.max / 1e6).toFixed(1)} ms`,
  );
  const mib = (n: number): string => (n / 1024 / 1024).toFixed(0);
  console.log(
    `at the peak: heap ${mib(atPeak.heapUsed)}/${mib(atPeak.heapTotal)} MiB, external ${mib(atPeak.external)} MiB, array buffers ${mib(atPeak.arrayBuffers)} MiB`,
  );
  const ok = exact === SESSIONS && p99 <= TARGET_P99_MS && beyondBuffersKib <= TARGET_KIB_PER_SESSION;
  console.log(ok ? 'targets met' : 'TARGETS MISSED');
  process.exitCode = ok ? 0 : 1;
} finally {
  sandbox.stop();
}
