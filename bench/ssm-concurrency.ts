/**
 * Many SSM sessions at once: 200 sessions of 1 MiB each from the sandbox agent (its own process) into one client
 * process, every session's output SHA-256 verified.
 *
 *   npx tsx bench/ssm-concurrency.ts                      # targets: all byte-exact, <= 256 KiB RSS per session
 *   npx tsx bench/ssm-concurrency.ts --sessions 50 --mib 1
 *
 * Exits 1 when a session differs or memory per session is over the target.
 */
import { createHash } from 'node:crypto';
import { syntheticOutputSha256 } from '../src/sandbox/index.js';
import { runExecSession } from '../src/ssm/exec-session.js';
import { startAgentProcess } from './ssm-bench-support.js';

const TARGET_KIB_PER_SESSION = 256;
const arg = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const SESSIONS = arg('--sessions', 200);
const BYTES = arg('--mib', 1) * 1024 * 1024;

const expected = syntheticOutputSha256(BYTES);
const agent = await startAgentProcess(BYTES);
try {
  // Warm-up: one session, so module loading and JIT do not count as per-session memory.
  const warm = await agent.startSession();
  await runExecSession({
    ...warm,
    targetId: 'ecs:demo_bench_bench',
    ...agent.ports,
    onOutput: () => {},
    outputFilter: null,
  });
  // Sessions are created first: ExecuteCommand is not the data channel's memory.
  const sessions = [];
  for (let i = 0; i < SESSIONS; i += 1) sessions.push(await agent.startSession());
  global.gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  const start = process.hrtime.bigint();
  const results = await Promise.all(
    sessions.map(async (session) => {
      const hash = createHash('sha256');
      const result = await runExecSession({
        ...session,
        targetId: 'ecs:demo_bench_bench',
        ...agent.ports,
        onOutput: (chunk) => hash.update(chunk),
        outputFilter: null,
      });
      return result.outcome === 'completed' && hash.digest('hex') === expected;
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(sampler);
  const exact = results.filter(Boolean).length;
  const perSessionKib = (peak - baseline) / 1024 / SESSIONS;
  const total = (SESSIONS * BYTES) / 1024 / 1024;
  console.log(
    `${SESSIONS} sessions x ${BYTES / 1024 / 1024} MiB: ${seconds.toFixed(2)} s, ${(total / seconds).toFixed(1)} MiB/s aggregate`,
  );
  console.log(`byte-exact: ${exact}/${SESSIONS}`);
  console.log(
    `client RSS growth: ${((peak - baseline) / 1024 / 1024).toFixed(1)} MiB, ${perSessionKib.toFixed(0)} KiB per session (target <= ${TARGET_KIB_PER_SESSION})`,
  );
  const ok = exact === SESSIONS && perSessionKib <= TARGET_KIB_PER_SESSION;
  console.log(ok ? 'targets met' : 'TARGETS MISSED');
  process.exitCode = ok ? 0 : 1;
} finally {
  agent.stop();
}
