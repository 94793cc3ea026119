/**
 * Runs every benchmark in turn and exits non-zero when any misses its target. Each prints its own numbers.
 *
 *   npm run bench
 */
import { spawnSync } from 'node:child_process';

const BENCHMARKS = [
  ['bench/ssm-codec.ts'],
  ['bench/ssm-throughput.ts'],
  ['--expose-gc', 'bench/ssm-concurrency.ts'],
  ['bench/output-pipeline.ts'],
  ['bench/policy-match.ts'],
  ['bench/approval-transitions.ts'],
  ['bench/flow-latency.ts'],
  ['bench/front-door-burst.ts'],
  ['bench/fleet-fanout.ts'],
  ['bench/fleet-slack.ts'],
  ['--expose-gc', 'bench/fleet-sessions.ts'],
];

let failed = 0;
for (const args of BENCHMARKS) {
  const flags = args.slice(0, -1);
  const script = args.at(-1) as string;
  console.log(`\n=== ${script}`);
  const run = spawnSync(process.execPath, [...flags, '--import', 'tsx', script], { stdio: 'inherit' });
  if (run.status !== 0) failed += 1;
}
console.log(failed === 0 ? '\nEvery benchmark met its target.' : `\n${failed} benchmark(s) missed a target.`);
process.exitCode = failed === 0 ? 0 : 1;
