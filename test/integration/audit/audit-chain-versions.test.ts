import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { keys } from '../../../src/approval/keys.js';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import { AUDIT_FIELDS, auditLinkHash, fieldsFromFlat, GENESIS_HASH } from '../../../src/audit/audit-entry.js';
import { verifyAuditChain } from '../../../src/audit/verify-audit-chain.js';
import { ManualClock, prodRequest } from '../approval/approval-store.contract.js';
import { deletePrefix } from '../approval/redis-test-helpers.js';

const SHA256_LUA = readFileSync(new URL('../../../src/approval/scripts/includes/sha256.lua', import.meta.url), 'utf8');

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

describe('SHA-256 in Redis Lua', () => {
  const luaSha256 = async (message: string | Buffer): Promise<string> =>
    String(await redis.eval(`${SHA256_LUA}\nreturn sha256hex(ARGV[1])`, 0, message));

  it.each([
    // FIPS 180-4 examples, then every padding edge around one 64-byte block, then several blocks.
    ['the empty message', ''],
    ['"abc"', 'abc'],
    ['the two-block FIPS example', 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'],
    ...[55, 56, 57, 63, 64, 65, 119, 120, 128, 1_000].map((n): [string, string] => [`${n} bytes`, 'a'.repeat(n)]),
    ['multi-byte UTF-8', 'é€😀\n='.repeat(50)],
  ])('agrees with Node for %s', async (_name, message) => {
    expect(await luaSha256(message)).toBe(createHash('sha256').update(message, 'utf8').digest('hex'));
  });

  it('agrees with Node for every byte value', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(await luaSha256(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});

describe('an audit chain that began with SHA-1 entries', () => {
  let prefix: string;

  beforeAll(async () => {
    prefix = `test:${randomUUID()}:`;
    const k = keys(prefix);
    // Two entries as the bot wrote them before version 2: no `chain` field, SHA-1 links.
    let prev = GENESIS_HASH;
    for (const seq of [1, 2]) {
      const fields: Record<string, string> = {};
      for (const name of AUDIT_FIELDS.filter((n) => n !== 'policy')) fields[name] = '';
      Object.assign(fields, { seq: String(seq), prev, at: String(seq), requestId: 'r-old', action: 'reject' });
      Object.assign(fields, { actor: 'U0OLD', outcome: 'no_rule', detail: '{}', version: '0' });
      const hash = createHash('sha1')
        .update(
          Object.entries(fields)
            .map(([n, v]) => `${n}=${Buffer.byteLength(v)}:${v}\n`)
            .join(''),
        )
        .digest('hex');
      expect(auditLinkHash(fields)).toBe(hash);
      await redis.xadd(k.auditStream, '*', ...Object.entries({ ...fields, hash }).flat());
      await redis.hset(k.auditHead, 'hash', hash, 'seq', String(seq));
      prev = hash;
    }
  });

  afterAll(async () => {
    await deletePrefix(redis, prefix);
  });

  it('goes on with SHA-256 entries that carry their version, and verifies whole', async () => {
    const store = new RedisApprovalStore(redis, { prefix, clock: new ManualClock() });
    const { record } = await store.create(prodRequest());
    await store.attachCard(record.id, { conversation: 'C0INCIDENT', messageRef: '1.000100' });
    const stored = (await redis.xrange(keys(prefix).auditStream, '-', '+')).map(([, flat]) => fieldsFromFlat(flat));
    expect(stored.map((fields) => [fields['chain'], fields['hash']?.length])).toEqual([
      [undefined, 40],
      [undefined, 40],
      ['3', 64],
      ['3', 64],
    ]);
    expect(stored[2]?.['prev']).toBe(stored[1]?.['hash']);
    expect(await verifyAuditChain(store.auditReader())).toMatchObject({ ok: true, entries: 4 });
  });

  it('notices a new entry passed off as an old one (its version removed)', async () => {
    const store = new RedisApprovalStore(redis, { prefix, clock: new ManualClock() });
    const stream = keys(prefix).auditStream;
    const entries = await redis.xrange(stream, '-', '+');
    await redis.del(stream);
    for (const [id, flat] of entries) {
      const { chain: _chain, ...fields } = fieldsFromFlat(flat);
      await redis.xadd(stream, id, ...Object.entries(fields).flat());
    }
    expect(await verifyAuditChain(store.auditReader())).toMatchObject({
      ok: false,
      problem: { kind: 'altered', seq: 3 },
    });
  });
});
