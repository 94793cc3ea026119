import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, startRedisServer } from './redis.global-setup.js';

const run = promisify(execFile);

/** A three-primary Redis Cluster on loopback, made the way an operator makes one (`redis-cli --cluster create`). */
export interface RedisClusterProcesses {
  /** `redis://` URL of the first node: the seed a Cluster client starts from. */
  url: string;
  ports: number[];
  processes: ChildProcess[];
  stop(): Promise<void>;
}

/** Asks one node for `CLUSTER INFO` until it reports `cluster_state:ok`, or gives up after `timeoutMs`. */
async function waitForClusterOk(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
    if (stdout.includes('cluster_state:ok')) return;
    if (Date.now() > deadline) throw new Error(`Redis Cluster node ${port} not ok within ${timeoutMs} ms:\n${stdout}`);
    // Each redis-cli round trip is the pause between polls: the state changes on the cluster bus, not on a timer.
  }
}

/**
 * Starts three `redis-server --cluster-enabled yes` nodes in a temporary directory (persistence off), joins them
 * with `redis-cli --cluster create`, and waits until every node says the cluster is ok.
 */
export async function startRedisCluster(): Promise<RedisClusterProcesses> {
  const dir = mkdtempSync(join(tmpdir(), 'ecs-exec-cluster-'));
  const processes: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const child of processes) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      // The bus port is chosen too: the default (port + 10000) can fall outside the port range or be taken.
      const busPort = await freePort();
      const node = await startRedisServer(undefined, [
        '--cluster-enabled',
        'yes',
        '--cluster-port',
        String(busPort),
        '--cluster-config-file',
        join(dir, `nodes-${i}.conf`),
        '--dir',
        dir,
      ]);
      processes.push(node.process);
      ports.push(node.port);
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const port of ports) await waitForClusterOk(port, 20_000);
    return { url: `redis://127.0.0.1:${ports[0]}`, ports, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
