import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryApprovalStore } from '../../../src/approval/memory-approval-store.js';
import {
  AUDIT_FIELDS,
  auditLinkHash,
  canonicalAuditBytes,
  GENESIS_HASH,
  type RawAuditEntry,
} from '../../../src/audit/audit-entry.js';
import type { AuditReader } from '../../../src/audit/audit-port.js';
import { verifyAuditChain } from '../../../src/audit/verify-audit-chain.js';

async function chainOf(count: number): Promise<RawAuditEntry[]> {
  const store = new MemoryApprovalStore({ clock: { now: () => 1_764_252_000_000 } });
  for (let i = 0; i < count; i += 1) {
    await store.recordRejection({ requester: `U${i}`, channel: 'C1', requestText: `attempt ${i}`, why: 'no rule' });
  }
  const entries: RawAuditEntry[] = [];
  // Stream-like ids so reports can be checked for naming the entry.
  for await (const entry of store.auditReader().entries())
    entries.push({ ...entry, streamId: `${1000 + entries.length}-0` });
  return entries;
}

function readerOf(entries: RawAuditEntry[], head?: { seq: number; hash: string }): AuditReader {
  const last = entries.at(-1);
  return {
    async *entries() {
      yield* entries;
    },
    head: async () => head ?? (last ? { seq: Number(last.fields['seq']), hash: last.fields['hash'] ?? '' } : undefined),
  };
}

describe('verifyAuditChain', () => {
  it('accepts an untouched chain and an empty one', async () => {
    const entries = await chainOf(5);
    expect(entries[0]?.fields['prev']).toBe(GENESIS_HASH);
    expect(await verifyAuditChain(readerOf(entries))).toEqual({
      ok: true,
      entries: 5,
      headHash: entries[4]?.fields['hash'],
    });
    expect(await verifyAuditChain(readerOf([]))).toEqual({ ok: true, entries: 0, headHash: GENESIS_HASH });
  });

  it('names an edited entry by sequence number and stream id', async () => {
    const entries = await chainOf(5);
    const target = entries[2] as RawAuditEntry;
    entries[2] = { ...target, fields: { ...target.fields, actor: 'U0FORGED' } };
    expect(await verifyAuditChain(readerOf(entries))).toMatchObject({
      ok: false,
      entries: 2,
      problem: { kind: 'altered', seq: 3, streamId: '1002-0' },
    });
  });

  it('names a removed entry, and a removed first entry', async () => {
    const entries = await chainOf(5);
    expect(await verifyAuditChain(readerOf([...entries.slice(0, 1), ...entries.slice(2)]))).toMatchObject({
      ok: false,
      problem: { kind: 'missing', seq: 2, message: 'entry 2 is missing (found entry 3 (stream id 1002-0) next)' },
    });
    expect(await verifyAuditChain(readerOf(entries.slice(1)))).toMatchObject({
      ok: false,
      problem: { kind: 'missing', seq: 1 },
    });
  });

  it('detects a tail cut by the recorded head, and entries played back out of order', async () => {
    const entries = await chainOf(5);
    const head = { seq: 5, hash: entries[4]?.fields['hash'] ?? '' };
    expect(await verifyAuditChain(readerOf(entries.slice(0, 3), head))).toMatchObject({
      ok: false,
      problem: { kind: 'missing', seq: 4 },
    });
    const swapped = [entries[0], entries[2], entries[1], entries[3]] as RawAuditEntry[];
    expect(await verifyAuditChain(readerOf(swapped))).toMatchObject({
      ok: false,
      problem: { kind: 'missing', seq: 2 },
    });
  });

  it('catches an entry rebuilt with a fresh hash through its successor', async () => {
    const entries = await chainOf(4);
    const forged = { ...(entries[1] as RawAuditEntry).fields, detail: '{"why":"allowed"}' };
    entries[1] = { fields: { ...forged, hash: auditLinkHash(forged) }, streamId: '1001-0' };
    expect(await verifyAuditChain(readerOf(entries))).toMatchObject({
      ok: false,
      problem: { kind: 'rewritten', seq: 2, streamId: '1001-0' },
    });
  });
});

describe('audit entry hashing', () => {
  it('length-prefixes values so shifting text between fields changes the hash', () => {
    const a = { seq: '1', actor: 'U1', from: 'x\nto=0:' };
    const b = { seq: '1', actor: 'U1', from: 'x', to: '0:' };
    expect(canonicalAuditBytes(a).equals(canonicalAuditBytes(b))).toBe(false);
    expect(auditLinkHash(a)).not.toBe(auditLinkHash(b));
  });

  it('uses the same field order as the Lua scripts that write the chain', () => {
    const lua = readFileSync(new URL('../../../src/approval/scripts/includes/common.lua', import.meta.url), 'utf8');
    const listed = /local AUDIT_FIELDS = \{([^}]*)\}/.exec(lua)?.[1] ?? '';
    expect([...listed.matchAll(/'([a-zA-Z]+)'/g)].map((match) => match[1])).toEqual([...AUDIT_FIELDS]);
  });
});

describe('chain version 3: the policy version in every entry', () => {
  const v2Fields = AUDIT_FIELDS.filter((name) => name !== 'policy');
  /** An entry as the bot wrote it under chain version 2 (no `policy` field), linked to `prev`. */
  function versionTwoEntry(seq: number, prev: string): RawAuditEntry {
    const fields: Record<string, string> = { chain: '2' };
    for (const name of v2Fields) fields[name] = '';
    Object.assign(fields, { seq: String(seq), prev, at: '1', action: 'reject', actor: 'U0OLD', detail: '{}' });
    const bytes = ['chain', ...v2Fields].map(
      (name) => `${name}=${Buffer.byteLength(fields[name] ?? '')}:${fields[name]}\n`,
    );
    fields['hash'] = createHash('sha256').update(bytes.join('')).digest('hex');
    return { fields };
  }

  it('records the policy that refused a request, hashed, and a chain begun under version 2 verifies whole', async () => {
    const older = [versionTwoEntry(1, GENESIS_HASH)];
    older.push(versionTwoEntry(2, older[0]?.fields['hash'] ?? ''));
    const store = new MemoryApprovalStore({ clock: { now: () => 1_764_252_000_000 } });
    const entry = await store.recordRejection({
      requester: 'U1',
      channel: 'C1',
      requestText: 'rm -rf /',
      why: 'no rule',
      policyVersion: 'sha256:abc',
    });
    expect(entry.policyVersion).toBe('sha256:abc');
    const [raw] = await Array.fromAsync(store.auditReader().entries());
    const fields = raw?.fields ?? {};
    expect(fields['chain']).toBe('3');
    expect(canonicalAuditBytes(fields).toString()).toContain('\npolicy=10:sha256:abc\n');
    // Re-linked after the two version-2 entries, as a chain that went on after an upgrade would be.
    const linked: Record<string, string> = { ...fields, seq: '3', prev: older[1]?.fields['hash'] ?? '' };
    linked['hash'] = auditLinkHash(linked);
    expect(await verifyAuditChain(readerOf([...older, { fields: linked }]))).toMatchObject({ ok: true, entries: 3 });
    // The policy version cannot be changed afterwards.
    const forged = { fields: { ...linked, policy: 'sha256:other' } };
    expect(await verifyAuditChain(readerOf([...older, forged]))).toMatchObject({
      ok: false,
      problem: { kind: 'altered', seq: 3 },
    });
  });
});
