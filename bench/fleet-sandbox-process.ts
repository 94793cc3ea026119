/**
 * Child process for the fleet benchmarks: a sandbox whose service `fleet/api` has N tasks over three zones, every
 * session streaming synthetic output, so the agent side runs on its own core as it would on AWS. Prints
 * `{"url": …}` on stdout once listening.
 *
 *   npx tsx bench/fleet-sandbox-process.ts <tasks> <bytes-per-session> <ms-between-1-KiB-frames>
 */
import { fleetSeed, startSandbox } from '../src/sandbox/index.js';

const tasks = Number(process.argv[2] ?? 100);
const bytes = Number(process.argv[3] ?? 4096);
const delayMs = Number(process.argv[4] ?? 0);
const sandbox = await startSandbox({
  seed: fleetSeed({ tasks, agentStopped: [], diskFull: [], vanishing: undefined }),
  agentFaults: { syntheticOutputBytes: bytes, ...(delayMs > 0 ? { outputDelayMs: delayMs } : {}) },
});
process.stdout.write(`${JSON.stringify({ url: sandbox.url })}\n`);
process.on('SIGTERM', () => {
  void sandbox.close().then(() => process.exit(0));
});
