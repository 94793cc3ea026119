import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../setup/redis.global-setup.js';
import { ALICE, CHANNEL, type FlowFixture, startFlow } from './flow-fixture.js';

let flow: FlowFixture | undefined;
const servers: ChildProcess[] = [];
const clients: Redis[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
  for (const client of clients.splice(0)) client.disconnect();
  for (const server of servers.splice(0)) {
    server.kill('SIGCONT');
    server.kill('SIGKILL');
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A throwaway redis-server on loopback (no persistence), optionally replicating another. */
async function redisServer(replicaOfPort?: number): Promise<{ port: number; process: ChildProcess; client: Redis }> {
  const port = await freePort();
  // A replica's full sync writes an RDB file: keep it in a scratch directory.
  const dir = mkdtempSync(join(tmpdir(), 'ecs-exec-redis-'));
  dirs.push(dir);
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  if (replicaOfPort !== undefined) args.push('--replicaof', '127.0.0.1', String(replicaOfPort));
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await expect.poll(() => output, { timeout: 10_000 }).toContain('Ready to accept connections');
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  clients.push(client);
  await client.connect();
  return { port, process: child, client };
}

const FINAL = /exit \d+|timed out|cancelled|interrupted|could not run|not started/i;

describe('a Redis primary with a replica', () => {
  it('starts a command only once a replica holds the claim (WAIT), and refuses it when none confirms', async () => {
    const primary = await redisServer();
    const replica = await redisServer(primary.port);
    await expect
      .poll(async () => /master_link_status:up/.test(await replica.client.info('replication')), { timeout: 10_000 })
      .toBe(true);
    await expect
      .poll(async () => /connected_slaves:1/.test(await primary.client.info('replication')), { timeout: 10_000 })
      .toBe(true);
    flow = await startFlow(`redis://127.0.0.1:${primary.port}`);

    // With the replica keeping up, the run goes ahead, after a WAIT the primary answered.
    await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo replicated');
    const first = await flow.card();
    expect((await flow.finalStatus(first)).text).toMatch(/exit 0/);
    expect(await primary.client.info('commandstats')).toMatch(/cmdstat_wait:calls=1,/);

    // A replica that stops acknowledging (paused: still connected, never confirming) must stop every start.
    replica.process.kill('SIGSTOP');
    await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo must-not-run');
    await expect
      .poll(() => flow?.stack.slack.messages(CHANNEL).filter((m) => !m.thread_ts && m.source === 'chat.postMessage'))
      .toHaveLength(2);
    const second = await flow.card();
    let refusal = '';
    await expect
      .poll(() => {
        refusal = flow?.thread(second).find((reply) => FINAL.test(reply.text))?.text ?? '';
        return refusal;
      })
      .toMatch(/not started/);
    expect(refusal).toMatch(/no Redis replica confirmed/);
    expect(refusal).toMatch(/Nothing ran/);
    expect(flow.stack.sandbox.sessions).toHaveLength(1);
    await expect
      .poll(() => JSON.stringify(flow?.stack.slack.message(CHANNEL, second.ts)?.blocks))
      .not.toContain('ecs_exec_approve');
  }, 60_000);
});
