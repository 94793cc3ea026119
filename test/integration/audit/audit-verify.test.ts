import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { keys } from '../../../src/approval/keys.js';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import { auditLinkHash, fieldsFromFlat } from '../../../src/audit/audit-entry.js';
import { verifyAuditChain } from '../../../src/audit/verify-audit-chain.js';
import { runCli } from '../../../src/cli/main.js';
import { ManualClock, prodRequest } from '../approval/approval-store.contract.js';
import { deletePrefix } from '../approval/redis-test-helpers.js';

const SRE = ['U0ALICE', 'U0BOB'];

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = await runCli(args, { stdout, stderr, env, signal: new AbortController().signal });
  return { code, out, err };
}

/** Rewrites the stream as someone with write access to Redis could: same ids, chosen field values. */
async function rewriteStream(
  redis: Redis,
  stream: string,
  edit: (seq: number, fields: Record<string, string>) => Record<string, string> | undefined,
): Promise<void> {
  const entries = await redis.xrange(stream, '-', '+');
  await redis.del(stream);
  for (const [id, flat] of entries) {
    const fields = fieldsFromFlat(flat);
    const kept = edit(Number(fields['seq']), { ...fields });
    if (kept) await redis.xadd(stream, id, ...Object.entries(kept).flat());
  }
}

describe('audit chain verification on Redis', () => {
  let redis: Redis;
  let prefix: string;
  let store: RedisApprovalStore;
  let streamIds: string[];

  beforeEach(async () => {
    redis = new Redis(inject('redisUrl'));
    prefix = `test:${randomUUID()}:`;
    store = new RedisApprovalStore(redis, { prefix, clock: new ManualClock() });
    // Eight entries: create, card, refused self-approval, approve, dispatch, running, finish, a rejection.
    const { record } = await store.create(prodRequest());
    await store.attachCard(record.id, { conversation: 'C0INCIDENT', messageRef: '1.000100' });
    await store.approve({ id: record.id, userId: 'U0REQUESTER', eligibleApprovers: ['*'] }).catch(() => undefined);
    await store.approve({ id: record.id, userId: 'U0ALICE', eligibleApprovers: SRE });
    await store.dispatch({ id: record.id, dispatcher: 'replica-a', expectedDigest: record.digest });
    await store.markRunning(record.id, 'session-1');
    await store.finish(record.id, 'succeeded', { exitCode: 0, bytes: 42, sha256: 'e'.repeat(64), redactions: 1 });
    await store.recordRejection({ requester: 'U0MALLORY', channel: 'C0INCIDENT', requestText: 'x', why: 'no rule' });
    streamIds = (await redis.xrange(keys(prefix).auditStream, '-', '+')).map(([id]) => id);
  });

  afterEach(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('reports an intact chain, through the CLI too', async () => {
    expect(await verifyAuditChain(store.auditReader())).toMatchObject({ ok: true, entries: 8 });
    const result = await cli(['audit', 'verify', '--prefix', prefix], { REDIS_URL: inject('redisUrl') });
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/audit chain intact: 8 entries/);
  });

  it('names an entry whose content was edited (here: who approved)', async () => {
    await rewriteStream(redis, keys(prefix).auditStream, (seq, fields) =>
      seq === 4 ? { ...fields, actor: 'U0SOMEONEELSE' } : fields,
    );
    const verification = await verifyAuditChain(store.auditReader());
    expect(verification).toMatchObject({ ok: false, entries: 3, problem: { kind: 'altered', seq: 4 } });
    const result = await cli(['audit', 'verify', `--prefix=${prefix}`], { REDIS_URL: inject('redisUrl') });
    expect(result.code).toBe(1);
    expect(result.out).toContain(`entry 4 (stream id ${streamIds[3]}) was altered`);
  });

  it('names an entry that was edited and re-hashed: its successor no longer links to it', async () => {
    await rewriteStream(redis, keys(prefix).auditStream, (seq, fields) => {
      if (seq !== 5) return fields;
      const forged = { ...fields, detail: JSON.stringify({ approvers: ['U0BOB'] }) };
      return { ...forged, hash: auditLinkHash(forged) };
    });
    expect(await verifyAuditChain(store.auditReader())).toMatchObject({
      ok: false,
      problem: { kind: 'rewritten', seq: 5, streamId: streamIds[4] },
    });
  });

  it('names a removed entry in the middle', async () => {
    await redis.xdel(keys(prefix).auditStream, streamIds[2] as string);
    const verification = await verifyAuditChain(store.auditReader());
    expect(verification).toMatchObject({ ok: false, problem: { kind: 'missing', seq: 3 } });
    const result = await cli(['audit', 'verify', '--prefix', prefix], { REDIS_URL: inject('redisUrl') });
    expect(result.code).toBe(1);
    expect(result.out).toContain('entry 3 is missing');
  });

  it('names removed entries at the end, using the chain head', async () => {
    await redis.xdel(keys(prefix).auditStream, streamIds[6] as string, streamIds[7] as string);
    expect(await verifyAuditChain(store.auditReader())).toMatchObject({
      ok: false,
      problem: { kind: 'missing', seq: 7, message: expect.stringContaining('entries 7-8 are missing at the end') },
    });
  });

  it('walks a chain longer than one read page', async () => {
    for (let i = 0; i < 600; i += 1) {
      await store.recordRejection({ requester: 'U0MALLORY', channel: 'C1', requestText: `try ${i}`, why: 'no rule' });
    }
    expect(await verifyAuditChain(store.auditReader())).toMatchObject({ ok: true, entries: 608 });
    const streamIdsNow = (await redis.xrange(keys(prefix).auditStream, '-', '+')).map(([id]) => id);
    await redis.xdel(keys(prefix).auditStream, streamIdsNow[550] as string);
    expect(await verifyAuditChain(store.auditReader())).toMatchObject({
      ok: false,
      problem: { kind: 'missing', seq: 551 },
    });
  });

  it('exports every entry as a JSON line with its hash, oldest first', async () => {
    const result = await cli(['audit', 'export', '--prefix', prefix], { REDIS_URL: inject('redisUrl') });
    expect(result.code).toBe(0);
    const lines = result.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line['action'])).toEqual([
      'create',
      'card',
      'approve',
      'approve',
      'dispatch',
      'running',
      'finish',
      'reject',
    ]);
    expect(lines[6]).toMatchObject({ to: 'succeeded', detail: { exitCode: 0, bytes: 42, redactions: 1 } });
    expect(lines.every((line) => typeof line['hash'] === 'string' && (line['hash'] as string).length === 64)).toBe(
      true,
    );
  });
});

describe('ecs-exec audit without a usable Redis', () => {
  it('says REDIS_URL is missing and exits 255', async () => {
    const result = await cli(['audit', 'verify'], {});
    expect(result.code).toBe(255);
    expect(result.err).toContain('REDIS_URL is not set');
  });

  it('says Redis cannot be reached, without hanging', async () => {
    const started = Date.now();
    const result = await cli(['audit', 'verify'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(result.code).toBe(255);
    expect(result.err).toContain('cannot read Redis at 127.0.0.1:1');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
