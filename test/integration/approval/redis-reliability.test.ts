import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { TransitionResult } from '../../../src/approval/approval-port.js';
import {
  DispatchNotDurableError,
  NotEligibleApproverError,
  RequestNotFoundError,
  WrongStateError,
} from '../../../src/approval/errors.js';
import { keys } from '../../../src/approval/keys.js';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import { describeRedisDurability } from '../../../src/approval/redis-durability.js';
import { loadApprovalScripts } from '../../../src/approval/scripts/index.js';
import { type AuditEntry, toAuditEntry } from '../../../src/audit/audit-entry.js';
import { verifyAuditChain } from '../../../src/audit/verify-audit-chain.js';
import { freePort } from '../../setup/redis.global-setup.js';
import { ManualClock, prodRequest } from './approval-store.contract.js';
import { deletePrefix } from './redis-test-helpers.js';

const SRE = ['U0REQUESTER', 'U0ALICE', 'U0BOB'];
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function client(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, options);
  // Refused connections are the point of several tests here; the commands themselves report what matters.
  redis.on('error', () => undefined);
  cleanups.push(() => redis.disconnect());
  return redis;
}

function testPrefix(url: string): string {
  const prefix = `test:${randomUUID()}:`;
  cleanups.push(async () => {
    const redis = new Redis(url);
    await deletePrefix(redis, prefix).catch(() => undefined);
    redis.disconnect();
  });
  return prefix;
}

async function auditOf(store: RedisApprovalStore): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for await (const raw of store.auditReader().entries()) entries.push(toAuditEntry(raw));
  return entries;
}

describe('Redis approval store under contention', () => {
  it('lets exactly one of 50 replicas dispatch while 50 approvers click at once', async () => {
    const url = inject('redisUrl');
    const prefix = testPrefix(url);
    const clock = new ManualClock();
    const stores = Array.from(
      { length: 50 },
      (_, i) => new RedisApprovalStore(client(url), { prefix, clock, replicaId: `replica-${i}` }),
    );
    const approvers = Array.from({ length: 50 }, (_, i) => `U0APPROVER${i}`);
    const first = stores[0] as RedisApprovalStore;
    const { record } = await first.create(prodRequest());

    const outcomes = await Promise.all(
      stores.map(async (store, i) => {
        const approved = await store
          .approve({ id: record.id, userId: approvers[i] as string, eligibleApprovers: approvers })
          .then(() => 'approved')
          .catch((error: unknown) => (error instanceof WrongStateError ? 'late' : error));
        const dispatched = await store
          .dispatch({ id: record.id, dispatcher: `replica-${i}`, expectedDigest: record.digest })
          .then((result: TransitionResult) => result.record.state)
          .catch((error: unknown) => (error instanceof WrongStateError ? 'lost' : error));
        return { approved, dispatched };
      }),
    );

    expect(outcomes.filter((outcome) => outcome.approved === 'approved')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.approved === 'late')).toHaveLength(49);
    expect(outcomes.filter((outcome) => outcome.dispatched === 'dispatched')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.dispatched === 'lost')).toHaveLength(49);
    const audit = (await auditOf(first)).filter((entry) => entry.outcome === 'ok');
    expect(audit.filter((entry) => entry.action === 'approve')).toHaveLength(1);
    expect(audit.filter((entry) => entry.action === 'dispatch')).toHaveLength(1);
    expect((await first.get(record.id))?.state).toBe('dispatched');
    expect(await verifyAuditChain(first.auditReader())).toMatchObject({ ok: true });
  });

  it('gives a double click from two replicas one approval; the second learns who approved', async () => {
    const url = inject('redisUrl');
    const prefix = testPrefix(url);
    const [a, b] = [0, 1].map((i) => new RedisApprovalStore(client(url), { prefix, replicaId: `replica-${i}` }));
    const { record } = await (a as RedisApprovalStore).create(prodRequest());
    const clicks = await Promise.allSettled(
      [a, b].map((store) =>
        (store as RedisApprovalStore).approve({ id: record.id, userId: 'U0ALICE', eligibleApprovers: SRE }),
      ),
    );
    expect(clicks.filter((click) => click.status === 'fulfilled')).toHaveLength(1);
    const loser = clicks.find((click) => click.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(WrongStateError);
    expect((loser.reason as WrongStateError).record?.approvals.map((approval) => approval.userId)).toEqual(['U0ALICE']);
    // Both clicks are on the record: one counted, one refused.
    const approveEntries = (await auditOf(a as RedisApprovalStore)).filter((entry) => entry.action === 'approve');
    expect(approveEntries.map((entry) => entry.outcome).sort()).toEqual(['ok', 'wrong_state']);
  });

  it('settles approve against deny within the same millisecond on one winner, both audited', async () => {
    const url = inject('redisUrl');
    const prefix = testPrefix(url);
    const clock = new ManualClock();
    for (let round = 0; round < 20; round += 1) {
      const [a, b] = [0, 1].map(() => new RedisApprovalStore(client(url), { prefix, clock }));
      const { record } = await (a as RedisApprovalStore).create(prodRequest());
      const [approve, deny] = await Promise.allSettled([
        (a as RedisApprovalStore).approve({ id: record.id, userId: 'U0ALICE', eligibleApprovers: SRE }),
        (b as RedisApprovalStore).deny({ id: record.id, userId: 'U0BOB', eligibleApprovers: SRE }),
      ]);
      const final = await (a as RedisApprovalStore).get(record.id);
      expect([approve.status, deny.status].sort()).toEqual(['fulfilled', 'rejected']);
      expect(final?.state).toBe(approve.status === 'fulfilled' ? 'approved' : 'denied');
      const entries = (await auditOf(a as RedisApprovalStore)).filter((entry) => entry.requestId === record.id);
      expect(entries.filter((entry) => entry.action !== 'create')).toHaveLength(2);
    }
  });
});

describe('Redis approval store guards', () => {
  it('keeps request keys without a TTL: expiry is a recorded state, not a vanished key', async () => {
    const url = inject('redisUrl');
    const prefix = testPrefix(url);
    const redis = client(url);
    const clock = new ManualClock();
    const store = new RedisApprovalStore(redis, { prefix, clock });
    const { record } = await store.create(prodRequest({ ttlMs: 1000 }));
    expect(await redis.pttl(keys(prefix).request(record.id))).toBe(-1);
    clock.advance(1000);
    const [expired] = await store.expireDue();
    expect(expired?.record.state).toBe('expired');
    expect(await redis.pttl(keys(prefix).request(record.id))).toBe(-1);
    expect((await store.get(record.id))?.state).toBe('expired');
  });

  it('evaluates eligibility against the list given at click time, not a cached one', async () => {
    const url = inject('redisUrl');
    const store = new RedisApprovalStore(client(url), { prefix: testPrefix(url) });
    const { record } = await store.create(prodRequest());
    await expect(
      store.approve({ id: record.id, userId: 'U0ALICE', eligibleApprovers: ['U0BOB'] }),
    ).rejects.toBeInstanceOf(NotEligibleApproverError);
    await expect(store.approve({ id: 'r-zzzzzz', userId: 'U0ALICE', eligibleApprovers: SRE })).rejects.toBeInstanceOf(
      RequestNotFoundError,
    );
  });

  it('runs nothing on a dispatch that no replica confirmed, and says why', async () => {
    const url = inject('redisUrl');
    const redis = client(url);
    const store = new RedisApprovalStore(redis, { prefix: testPrefix(url), dispatchReplicas: 1, dispatchWaitMs: 50 });
    const { record } = await store.create(prodRequest());
    await store.approve({ id: record.id, userId: 'U0ALICE', eligibleApprovers: SRE });
    const refusal = await store
      .dispatch({ id: record.id, dispatcher: 'replica-a', expectedDigest: record.digest })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DispatchNotDurableError);
    expect((refusal as DispatchNotDurableError).record).toMatchObject({
      state: 'error',
      result: { detail: 'dispatch confirmed by 0 of 1 Redis replicas within 50 ms (WAIT); nothing ran' },
    });
    expect((await auditOf(store)).map((entry) => `${entry.action}:${entry.to}`).slice(-2)).toEqual([
      'dispatch:dispatched',
      'finish:error',
    ]);
    const durability = await describeRedisDurability(redis);
    expect(durability?.appendonly).toBe('no');
    expect(durability?.warnings[0]).toContain('no AOF and no replica');
  });

  it('reloads its scripts when Redis has forgotten them (NOSCRIPT after a restart or failover)', async () => {
    const url = inject('redisUrl');
    const redis = client(url);
    const store = new RedisApprovalStore(redis, { prefix: testPrefix(url) });
    const first = await store.create(prodRequest());
    await client(url).script('FLUSH');
    const second = await store.create(prodRequest());
    await store.approve({ id: second.record.id, userId: 'U0ALICE', eligibleApprovers: SRE });
    expect((await store.recent(5)).map((stored) => stored.id).sort()).toEqual(
      [first.record.id, second.record.id].sort(),
    );
    expect((await store.get(second.record.id))?.state).toBe('approved');
  });

  it('answers a replayed script call with the first reply and changes nothing', async () => {
    const url = inject('redisUrl');
    const prefix = testPrefix(url);
    const redis = client(url);
    const clock = new ManualClock();
    const store = new RedisApprovalStore(redis, { prefix, clock });
    const { record } = await store.create(
      prodRequest({ approval: { approverGroups: ['sre'], count: 2, selfApproval: false, breakGlassAllowed: false } }),
    );
    const script = loadApprovalScripts().get('approve');
    const k = keys(prefix);
    const args = [
      k.request(record.id),
      k.idempotency('approve', record.id, 'resent-call'),
      k.auditStream,
      k.auditHead,
      k.expiryIndex,
      clock.now(),
      600_000,
      record.id,
      'U0ALICE',
      '',
      '',
      '',
      '',
      JSON.stringify(SRE),
    ];
    const first = await redis.eval(script?.lua as string, 5, ...args);
    const second = await redis.eval(script?.lua as string, 5, ...args);
    expect(second).toEqual(first);
    const stored = await store.get(record.id);
    expect(stored?.approvals).toHaveLength(1);
    expect(stored?.version).toBe(2);
    expect((await auditOf(store)).filter((entry) => entry.action === 'approve')).toHaveLength(1);
  });
});

/** A TCP pass-through that can swallow the next reply and cut the connection, as a network failure would. */
class ReplyDroppingProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  dropNextReply = false;
  clientBytes = '';

  async start(targetPort: number): Promise<number> {
    this.server = createServer((downstream) => {
      const upstream = tcpConnect(targetPort, '127.0.0.1');
      this.sockets.add(downstream).add(upstream);
      downstream.on('data', (chunk: Buffer) => {
        this.clientBytes += chunk.toString('latin1');
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (this.dropNextReply) {
          this.dropNextReply = false;
          downstream.destroy();
          upstream.destroy();
          return;
        }
        downstream.write(chunk);
      });
      const close = (): void => {
        downstream.destroy();
        upstream.destroy();
      };
      downstream.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('proxy has no port');
    return address.port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('Redis approval store across connection loss', () => {
  it('treats the command ioredis re-sends after a lost reply as the same call', async () => {
    const url = inject('redisUrl');
    const prefix = testPrefix(url);
    const proxy = new ReplyDroppingProxy();
    const proxyPort = await proxy.start(Number(new URL(url).port));
    cleanups.push(() => proxy.stop());
    const redis = client(`redis://127.0.0.1:${proxyPort}`, { retryStrategy: () => 20 });
    const clock = new ManualClock();
    const store = new RedisApprovalStore(redis, { prefix, clock });
    const { record } = await store.create(
      prodRequest({ approval: { approverGroups: ['sre'], count: 2, selfApproval: false, breakGlassAllowed: false } }),
    );
    proxy.clientBytes = '';

    proxy.dropNextReply = true;
    const result = await store.approve({ id: record.id, userId: 'U0ALICE', eligibleApprovers: SRE });

    // The call reached Redis twice (first send, then ioredis's re-send), yet counted once.
    const sends = proxy.clientBytes.split(keys(prefix).idempotency('approve', record.id, '')).length - 1;
    expect(sends).toBeGreaterThanOrEqual(2);
    expect(result.record.approvals.map((approval) => approval.userId)).toEqual(['U0ALICE']);
    expect((await store.get(record.id))?.version).toBe(2);
    expect((await auditOf(store)).filter((entry) => entry.action === 'approve')).toHaveLength(1);
  });
});

interface DurableRedis {
  port: number;
  process: ChildProcess;
}

/** redis-server with AOF fsync on every write, the setting product docs require before ExecuteCommand. */
async function startDurableRedis(port: number, dir: string): Promise<DurableRedis> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', reject);
  });
  return { port, process: child };
}

async function kill9(server: DurableRedis): Promise<void> {
  await new Promise<void>((resolve) => {
    server.process.once('exit', () => resolve());
    server.process.kill('SIGKILL');
  });
}

describe('Redis approval store across a Redis restart', () => {
  it('loses no approval, dispatches once and ends interrupted when Redis dies between approved and dispatched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecs-exec-redis-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    let server = await startDurableRedis(port, dir);
    cleanups.push(() => {
      server.process.kill('SIGKILL');
    });
    const url = `redis://127.0.0.1:${port}`;
    const prefix = `test:${randomUUID()}:`;
    const fast = { retryStrategy: () => 50 };
    const replicaA = new RedisApprovalStore(client(url, fast), { prefix, replicaId: 'replica-a' });
    const replicaB = new RedisApprovalStore(client(url, fast), { prefix, replicaId: 'replica-b' });
    const { record } = await replicaA.create(prodRequest());
    await replicaA.approve({ id: record.id, userId: 'U0ALICE', eligibleApprovers: SRE });

    await kill9(server);
    // Both replicas try to dispatch while Redis is down; ioredis queues the calls until it reconnects.
    const racing = Promise.allSettled([
      replicaA.dispatch({ id: record.id, dispatcher: 'replica-a', expectedDigest: record.digest }),
      replicaB.dispatch({ id: record.id, dispatcher: 'replica-b', expectedDigest: record.digest }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    server = await startDurableRedis(port, dir);

    const attempts = await racing;
    expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1);
    const loser = attempts.find((attempt) => attempt.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(WrongStateError);
    const stored = await replicaB.get(record.id);
    expect(stored?.state).toBe('dispatched');
    expect(stored?.approvals.map((approval) => approval.userId)).toEqual(['U0ALICE']);
    const audit = await auditOf(replicaA);
    expect(audit.map((entry) => `${entry.action}:${entry.to}`)).toEqual([
      'create:pending_approval',
      'approve:approved',
      'dispatch:dispatched',
    ]);
    expect(await verifyAuditChain(replicaA.auditReader())).toMatchObject({ ok: true, entries: 3 });
    const durability = await describeRedisDurability(client(url));
    expect(durability).toMatchObject({ appendonly: 'yes', appendfsync: 'always', warnings: [] });

    // The winner dies before reporting anything: the sweeper on the surviving replica closes the request, and a
    // late dispatch attempt cannot claim it again.
    const [closed] = await replicaB.interruptStale(0);
    expect(closed?.record).toMatchObject({ id: record.id, state: 'interrupted' });
    await expect(
      replicaA.dispatch({ id: record.id, dispatcher: 'replica-a', expectedDigest: record.digest }),
    ).rejects.toBeInstanceOf(WrongStateError);
  });

  it('refuses fast with nothing half-made when Redis is down and the offline queue is off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecs-exec-redis-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    let server = await startDurableRedis(port, dir);
    cleanups.push(() => {
      server.process.kill('SIGKILL');
    });
    const url = `redis://127.0.0.1:${port}`;
    const prefix = `test:${randomUUID()}:`;
    const redis = client(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    const store = new RedisApprovalStore(redis, { prefix });
    if (redis.status !== 'ready') await once(redis, 'ready');
    await kill9(server);

    const started = Date.now();
    await expect(store.create(prodRequest())).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1000);

    server = await startDurableRedis(port, dir);
    const checker = client(url);
    expect(await checker.keys(`${keys(prefix).prefix}*`)).toEqual([]);
  });
});
