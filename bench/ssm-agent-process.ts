/**
 * Child process for bench/ssm-throughput.ts: the sandbox (ECS API + MGS/agent data channel) with synthetic output, so
 * the agent side runs on its own core as it would on AWS. Prints `{"url": …}` on stdout once listening.
 *
 *   npx tsx bench/ssm-agent-process.ts <bytes-per-session>
 */
import { startSandbox } from '../src/sandbox/index.js';

const bytes = Number(process.argv[2] ?? 100 * 1024 * 1024);
const sandbox = await startSandbox({ agentFaults: { syntheticOutputBytes: bytes } });
process.stdout.write(`${JSON.stringify({ url: sandbox.url })}\n`);
process.on('SIGTERM', () => {
  void sandbox.close().then(() => process.exit(0));
});
