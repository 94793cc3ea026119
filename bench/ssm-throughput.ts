/**
 * End-to-end SSM data-channel throughput: 100 MiB of output in 1 KiB frames from the sandbox agent (a separate
 * process, real loopback WebSocket) into our client, every frame digest-checked and acked, the output SHA-256 verified
 * against the source.
 *
 *   npx tsx bench/ssm-throughput.ts             # targets: >= 60 MiB/s, <= 64 MiB client RSS growth
 *   npx tsx bench/ssm-throughput.ts --mib 20    # a smaller run
 *
 * Exits 1 when the median run misses a target or the output differs.
 */
import { createHash } from 'node:crypto';
import { syntheticOutputSha256 } from '../src/sandbox/index.js';
import { runExecSession } from '../src/ssm/exec-session.js';
import { startAgentProcess } from './ssm-bench-support.js';

const TARGET_MIB_PER_S = 60;
const TARGET_RSS_GROWTH_MIB = 64;
const RUNS = 3;
const mibArg = process.argv.indexOf('--mib');
const MIB = mibArg > 0 ? Number(process.argv[mibArg + 1]) : 100;
const BYTES = MIB * 1024 * 1024;

async function main(): Promise<void> {
  const expected = syntheticOutputSha256(BYTES);
  const agent = await startAgentProcess(BYTES);
  const { control, kms } = agent.ports;

  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100);

  async function once_(): Promise<{ seconds: number; cpuSeconds: number; ok: boolean; bytes: number }> {
    const session = await agent.startSession();
    const hash = createHash('sha256');
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    const result = await runExecSession({
      sessionId: session.sessionId,
      streamUrl: session.streamUrl,
      tokenValue: session.tokenValue,
      targetId: 'ecs:demo_bench_bench',
      control,
      kms,
      onOutput: (chunk) => hash.update(chunk),
      outputFilter: null,
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpuStart);
    const digest = hash.digest('hex');
    return {
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      ok: result.outcome === 'completed' && digest === expected,
      bytes: result.outputBytes,
    };
  }

  try {
    console.log(`SSM data channel, ${MIB} MiB in 1 KiB frames, agent in a separate process (Node ${process.version})`);
    await once_(); // warm-up: JIT, SDK clients, sockets
    global.gc?.();
    const baseline = process.memoryUsage.rss();
    peakRss = baseline;
    const rates: number[] = [];
    let allOk = true;
    for (let run = 1; run <= RUNS; run += 1) {
      const { seconds, cpuSeconds, ok, bytes } = await once_();
      const rate = bytes / 1024 / 1024 / seconds;
      rates.push(rate);
      allOk &&= ok && bytes === BYTES;
      console.log(
        `run ${run}: ${seconds.toFixed(2)} s, ${rate.toFixed(1)} MiB/s, ${Math.round(bytes / 1024 / seconds).toLocaleString('en-US')} frames/s, client CPU ${Math.round((100 * cpuSeconds) / seconds)}%, sha256 ${ok ? 'ok' : 'MISMATCH'}`,
      );
    }
    const median = [...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)] as number;
    const growth = (peakRss - baseline) / 1024 / 1024;
    console.log(`median ${median.toFixed(1)} MiB/s (target >= ${TARGET_MIB_PER_S})`);
    console.log(
      `client RSS: baseline ${(baseline / 1024 / 1024).toFixed(1)} MiB, peak growth ${growth.toFixed(1)} MiB (target <= ${TARGET_RSS_GROWTH_MIB})`,
    );
    const ok = allOk && median >= TARGET_MIB_PER_S && growth <= TARGET_RSS_GROWTH_MIB;
    console.log(ok ? 'targets met' : 'TARGETS MISSED');
    process.exitCode = ok ? 0 : 1;
  } finally {
    clearInterval(sampler);
    agent.stop();
  }
}

await main();
