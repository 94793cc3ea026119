/**
 * Approval state machine: 50 clients, each on its own Redis connection (as 50 replicas would be), drive requests
 * through create -> approve -> dispatch -> running -> finish. Every transition is one Lua compare-and-set plus its
 * hash-chained audit entry. Target: ≥ 10,000 transitions/s with p99 ≤ 5 ms, measured in two phases:
 *
 *   1. capacity: every client sends its next transition as soon as the last one answered (closed loop); the rate
 *      reached must be ≥ 10,000/s. (Its latencies only measure queueing at saturation, so they are shown, not judged.)
 *   2. latency at 10,000/s: every client sends on a fixed schedule (open loop), and each latency is counted from
 *      the moment the transition was due, so a stall delays and counts every transition behind it; p99 ≤ 5 ms.
 *      Shown with the CPU each transition cost the clients and Redis.
 *   3. floor: phase 2 again with every transition replaced by a PING on the same connections and schedule. It is not
 *      judged; it shows what the machine and the harness alone cost, so a miss can be told apart from a slow store.
 *
 *   npx tsx bench/approval-transitions.ts              # REDIS_URL, or a private redis-server on a free port
 *   BENCH_MS=10000 npx tsx bench/approval-transitions.ts
 *   BENCH_CLIENTS=20 BENCH_RATE=8000 npx tsx bench/approval-transitions.ts
 *
 * Exits 1 when a target is missed.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { CreateRequestInput } from '../src/approval/approval-port.js';
import { RedisApprovalStore } from '../src/approval/redis-approval-store.js';
import { startRedisServer } from '../test/setup/redis.global-setup.js';

const TARGET_PER_SECOND = 10_000;
const TARGET_P99_MS = 5;
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 50);
const DURATION_MS = Number(process.env['BENCH_MS'] ?? 5_000);
const RATE = Number(process.env['BENCH_RATE'] ?? TARGET_PER_SECOND);

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

type Store = RedisApprovalStore;

/** One request's whole lifecycle, each transition passed through `step` (which times it). */
async function lifecycle(store: Store, step: <T>(work: () => Promise<T>) => Promise<T>): Promise<void> {
  const { record } = await step(() => store.create(input));
  await step(() => store.approve({ id: record.id, userId: 'U0APPROVER', eligibleApprovers: ['U0APPROVER'] }));
  await step(() => store.dispatch({ id: record.id, dispatcher: 'bench', expectedDigest: record.digest }));
  await step(() => store.markRunning(record.id, 'session'));
  await step(() => store.finish(record.id, 'succeeded', { exitCode: 0, bytes: 1, sha256: 'x', redactions: 0 }));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Closed loop: as fast as the answers come back. Returns transitions/s and the latencies seen. */
async function capacity(stores: Store[]): Promise<{ perSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const value = await work();
    latencies.push(performance.now() - start);
    return value;
  };
  const deadline = performance.now() + DURATION_MS;
  const started = performance.now();
  await Promise.all(
    stores.map(async (store) => {
      while (performance.now() < deadline) await lifecycle(store, timed);
    }),
  );
  return {
    perSecond: latencies.length / ((performance.now() - started) / 1000),
    latencies: latencies.sort((a, b) => a - b),
  };
}

/**
 * Open loop at `RATE` transitions/s shared by the clients: each transition has a due time; a client that is behind
 * sends at once, and the latency still counts from the due time (no coordinated omission).
 */
async function latencyAtRate(
  stores: Store[],
  run: (store: Store, step: <T>(work: () => Promise<T>) => Promise<T>) => Promise<void> = lifecycle,
): Promise<{ perSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  const intervalMs = (stores.length * 1000) / RATE;
  const started = performance.now();
  const deadline = started + DURATION_MS;
  await Promise.all(
    stores.map(async (store, index) => {
      let due = started + (index * intervalMs) / stores.length;
      const scheduled = async <T>(work: () => Promise<T>): Promise<T> => {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        // Timers may fire a little before `due` (their clock is coarser); then the latency counts from the send.
        const sent = performance.now();
        const value = await work();
        latencies.push(performance.now() - Math.min(sent, due));
        due += intervalMs;
        return value;
      };
      while (due < deadline) await run(store, scheduled);
    }),
  );
  return {
    perSecond: latencies.length / ((performance.now() - started) / 1000),
    latencies: latencies.sort((a, b) => a - b),
  };
}

/** CPU seconds Redis has used so far (user + system), from INFO: the server's side of each transition. */
async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return read('used_cpu_user') + read('used_cpu_sys');
}

/** Runs `phase` and reports the client's and Redis's CPU time per transition it made. */
async function withCpu(
  redis: Redis,
  phase: () => Promise<{ perSecond: number; latencies: number[] }>,
): Promise<{ perSecond: number; latencies: number[]; clientUs: number; redisUs: number }> {
  const client = process.cpuUsage();
  const server = await redisCpuSeconds(redis);
  const result = await phase();
  const used = process.cpuUsage(client);
  const count = Math.max(1, result.latencies.length);
  return {
    ...result,
    clientUs: (used.user + used.system) / count,
    redisUs: (((await redisCpuSeconds(redis)) - server) * 1e6) / count,
  };
}

async function main(): Promise<void> {
  const ownRedis = process.env['REDIS_URL'] ? undefined : await startRedisServer();
  const url = process.env['REDIS_URL'] ?? (ownRedis?.url as string);
  const prefix = `bench:${Date.now()}:`;
  const connections = Array.from({ length: CLIENTS }, () => new Redis(url));
  const stores = connections.map((redis, i) => new RedisApprovalStore(redis, { prefix, replicaId: `bench-${i}` }));
  const connectionOf = new Map(stores.map((store, i) => [store, connections[i] as Redis]));
  await Promise.all(connections.map((redis) => redis.ping()));
  console.log(
    `Approval transitions, ${CLIENTS} clients on their own connections, ${DURATION_MS / 1000} s per phase (Node ${process.version})`,
  );
  const closed = await capacity(stores);
  console.log(
    `capacity (closed loop): ${Math.round(closed.perSecond)}/s (target ≥ ${TARGET_PER_SECOND}); latency at saturation p50 ${percentile(closed.latencies, 50).toFixed(2)} ms, p99 ${percentile(closed.latencies, 99).toFixed(2)} ms`,
  );
  const cleaner = connections[0] as Redis;
  const open = await withCpu(cleaner, () => latencyAtRate(stores));
  const p99 = percentile(open.latencies, 99);
  console.log(
    `at ${RATE}/s (open loop, ${Math.round(open.perSecond)}/s achieved): p50 ${percentile(open.latencies, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${percentile(open.latencies, 100).toFixed(2)} ms (target p99 ≤ ${TARGET_P99_MS} ms)`,
  );
  console.log(
    `  CPU per transition: client ${open.clientUs.toFixed(0)} µs, Redis ${open.redisUs.toFixed(0)} µs (this machine has ${availableParallelism()} cores for both)`,
  );
  // The same clients, connections and schedule with each transition replaced by a PING: what this machine and the
  // harness cost before any approval work, so a miss can be told apart from a slow store.
  const floor = await withCpu(cleaner, () =>
    latencyAtRate(stores, async (store, step) => {
      const redis = connectionOf.get(store) as Redis;
      for (let i = 0; i < 5; i += 1) await step(() => redis.ping());
    }),
  );
  console.log(
    `  floor, PING on the same schedule: p50 ${percentile(floor.latencies, 50).toFixed(2)} ms, p99 ${percentile(floor.latencies, 99).toFixed(2)} ms (client ${floor.clientUs.toFixed(0)} µs, Redis ${floor.redisUs.toFixed(0)} µs per call)`,
  );
  const ok = closed.perSecond >= TARGET_PER_SECOND && open.perSecond >= RATE * 0.95 && p99 <= TARGET_P99_MS;
  console.log(ok ? 'OK' : 'MISSED');
  if (!ok) process.exitCode = 1;
  let cursor = '0';
  do {
    const [next, found] = await cleaner.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await cleaner.del(...found);
  } while (cursor !== '0');
  for (const redis of connections) redis.disconnect();
  ownRedis?.process.kill('SIGTERM');
}

await main();
