/**
 * Approval state machine throughput: 50 clients, each on its own Redis connection (as 50 replicas would be), drive
 * requests through create -> approve -> dispatch -> running -> finish. Every transition is one Lua compare-and-set
 * plus its hash-chained audit entry. Target: ≥ 10,000 transitions/s with p99 ≤ 5 ms.
 *
 *   npx tsx bench/approval-transitions.ts              # REDIS_URL, or a private redis-server on a free port
 *   BENCH_MS=10000 npx tsx bench/approval-transitions.ts
 *   BENCH_CLIENTS=20 npx tsx bench/approval-transitions.ts   # latency against concurrency (targets are for 50)
 *
 * Exits 1 when a target is missed.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { CreateRequestInput } from '../src/approval/approval-port.js';
import { RedisApprovalStore } from '../src/approval/redis-approval-store.js';
import { startRedisServer } from '../test/setup/redis.global-setup.js';

const TARGET_PER_SECOND = 10_000;
const TARGET_P99_MS = 5;
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 50);
const DURATION_MS = Number(process.env['BENCH_MS'] ?? 5_000);

const input: CreateRequestInput = {
  requester: 'U0REQUESTER',
  channel: 'C0BENCH',
  target: {
    clusterAlias: 'prod',
    cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod',
    taskArn: 'arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef0123456789abcdef',
    container: 'app',
  },
  command: 'rails runner "puts User.count"',
  reason: 'benchmark',
  ruleName: 'prod-with-approval',
  policyVersion: 'sha256:bench',
  approval: { approverGroups: ['sre'], count: 1, selfApproval: false, breakGlassAllowed: false },
  ttlMs: 600_000,
};

async function main(): Promise<void> {
  const ownRedis = process.env['REDIS_URL'] ? undefined : await startRedisServer();
  const url = process.env['REDIS_URL'] ?? (ownRedis?.url as string);
  const prefix = `bench:${Date.now()}:`;
  const latencies: number[] = [];
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const value = await work();
    latencies.push(performance.now() - start);
    return value;
  };
  const connections = Array.from({ length: CLIENTS }, () => new Redis(url));
  const stores = connections.map((redis, i) => new RedisApprovalStore(redis, { prefix, replicaId: `bench-${i}` }));
  await Promise.all(connections.map((redis) => redis.ping()));
  const deadline = performance.now() + DURATION_MS;
  const started = performance.now();
  await Promise.all(
    stores.map(async (store) => {
      while (performance.now() < deadline) {
        const { record } = await timed(() => store.create(input));
        await timed(() => store.approve({ id: record.id, userId: 'U0APPROVER', eligibleApprovers: ['U0APPROVER'] }));
        await timed(() => store.dispatch({ id: record.id, dispatcher: 'bench', expectedDigest: record.digest }));
        await timed(() => store.markRunning(record.id, 'session'));
        await timed(() => store.finish(record.id, 'succeeded', { exitCode: 0, bytes: 1, sha256: 'x', redactions: 0 }));
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  const perSecond = Math.round(latencies.length / (elapsedMs / 1000));
  console.log(
    `Approval transitions, ${CLIENTS} clients on their own connections, ${DURATION_MS / 1000} s (Node ${process.version})`,
  );
  console.log(
    `${latencies.length} transitions: ${perSecond}/s, p50 ${pct(50).toFixed(2)} ms, p99 ${pct(99).toFixed(2)} ms, max ${pct(100).toFixed(2)} ms`,
  );
  const ok = perSecond >= TARGET_PER_SECOND && pct(99) <= TARGET_P99_MS;
  console.log(ok ? 'OK' : `MISSED (target ≥ ${TARGET_PER_SECOND}/s and p99 ≤ ${TARGET_P99_MS} ms)`);
  if (!ok) process.exitCode = 1;
  let cursor = '0';
  const cleaner = connections[0] as Redis;
  do {
    const [next, found] = await cleaner.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await cleaner.del(...found);
  } while (cursor !== '0');
  for (const redis of connections) redis.disconnect();
  ownRedis?.process.kill('SIGTERM');
}

await main();
