import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect, vi } from 'vitest';
import { freePort, startRedisServer } from './redis.global-setup.js';

export const MASTER_NAME = 'ecs-exec-test';

/** A primary, one replica and three Sentinels (quorum 2), all real processes on loopback. */
export interface SentinelGroup {
  /** REDIS_URL for the bot: redis+sentinel://…/master-name */
  url: string;
  primaryPort: number;
  replicaPort: number;
  /** The port Sentinels currently name as primary. */
  currentPrimaryPort(): Promise<number>;
  /** Waits until a write the test makes has reached the replica, so the scenario starts from replicated state. */
  replicated(): Promise<void>;
  /** SIGKILLs the primary, as a crashed host would lose it. */
  killPrimary(): void;
  /** Waits until the Sentinels have promoted the replica. */
  failedOver(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function startProcess(command: string, args: string[], ready: string): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start within 10 s:\n${output}`)), 10_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${command} (is it installed?): ${error.message}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

/**
 * Starts the group. Sentinels judge a primary down after 1 s without an answer, so a failover completes in a few
 * seconds; production settings are slower, which changes how long clicks are refused, not what happens.
 */
export async function startSentinelGroup(): Promise<SentinelGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'ecs-exec-sentinel-'));
  const primary = await startRedisServer();
  const replicaPort = await freePort();
  // A replica writes the primary's snapshot to its working directory during a full sync: keep it in ours.
  const replica = await startProcess(
    'redis-server',
    [
      ...['--port', String(replicaPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      ...['--replicaof', '127.0.0.1', String(primary.port)],
    ],
    'Ready to accept connections',
  );
  const replicaClient = new Redis({ port: replicaPort, host: '127.0.0.1', lazyConnect: true });
  await replicaClient.connect();
  // vi.waitFor, not expect.poll: a suite may start the group in beforeAll, outside any test.
  await vi.waitFor(
    async () => {
      if (!/master_link_status:up/.test(await replicaClient.info('replication'))) throw new Error('replica not linked');
    },
    { timeout: 10_000, interval: 50 },
  );
  replicaClient.disconnect();
  const sentinelPorts: number[] = [];
  const sentinels: ChildProcess[] = [];
  for (let i = 0; i < 3; i += 1) {
    const port = await freePort();
    const file = join(dir, `sentinel-${port}.conf`);
    // Sentinels rewrite their config file as they learn the group, so each has its own, writable.
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
        `sentinel failover-timeout ${MASTER_NAME} 10000`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    sentinels.push(await startProcess('redis-sentinel', [file], '+monitor master'));
    sentinelPorts.push(port);
  }
  const admin = new Redis({ port: sentinelPorts[0] ?? 0, host: '127.0.0.1', lazyConnect: true });
  await admin.connect();
  // A Sentinel can only promote a replica it knows of, and it learns of replicas from the primary's INFO.
  for (const port of sentinelPorts) {
    const sentinel = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
    await sentinel.connect();
    try {
      await vi.waitFor(
        async () => {
          const replicas = JSON.stringify(await sentinel.call('SENTINEL', 'replicas', MASTER_NAME));
          if (!replicas.includes(String(replicaPort))) throw new Error('the Sentinel does not know the replica yet');
        },
        { timeout: 20_000, interval: 50 },
      );
    } finally {
      sentinel.disconnect();
    }
  }
  const group: SentinelGroup = {
    url: `redis+sentinel://${sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',')}/${MASTER_NAME}`,
    primaryPort: primary.port,
    replicaPort,
    async currentPrimaryPort() {
      const [, port] = (await admin.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as [string, string];
      return Number(port);
    },
    async replicated() {
      const client = new Redis({ port: primary.port, host: '127.0.0.1', lazyConnect: true });
      await client.connect();
      try {
        // WAIT counts replicas holding everything this connection wrote; a write of its own comes after every
        // write the bot made before, in the one replication stream.
        await client.set('test:replication-marker', String(Date.now()));
        expect(await client.wait(1, 10_000)).toBe(1);
      } finally {
        client.disconnect();
      }
    },
    killPrimary() {
      primary.process.kill('SIGKILL');
    },
    async failedOver(timeoutMs = 30_000) {
      await expect.poll(() => group.currentPrimaryPort(), { timeout: timeoutMs, interval: 100 }).toBe(replicaPort);
      // The promoted replica takes writes once it has left read-only replication.
      const promoted = new Redis({ port: replicaPort, host: '127.0.0.1', lazyConnect: true });
      await promoted.connect();
      try {
        await expect
          .poll(async () => /role:master/.test(await promoted.info('replication')), { timeout: timeoutMs })
          .toBe(true);
      } finally {
        promoted.disconnect();
      }
    },
    async stop() {
      admin.disconnect();
      for (const child of [...sentinels, replica, primary.process]) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return group;
}
