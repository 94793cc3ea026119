import { beforeEach, describe, expect, it } from 'vitest';
import { toAuditEntry } from '../../../src/audit/audit-entry.js';
import { verifyAuditChain } from '../../../src/audit/verify-audit-chain.js';
import { type ContractSubject, ManualClock, prodRequest, type SubjectFactory } from './approval-store.contract.js';

/** Events that change nothing in a request (stops, reminders), and the pending list reminders walk. */
export function requestEventsContract(name: string, factory: SubjectFactory): void {
  describe(`${name}: request events and pending list`, () => {
    let clock: ManualClock;
    let subject: ContractSubject;

    beforeEach(async () => {
      clock = new ManualClock();
      subject = await factory({ clock });
      return async () => {
        await subject.cleanup();
      };
    });

    it('audits an event in the chain without changing the request', async () => {
      const { store } = subject;
      const { record } = await store.create(prodRequest());
      const audit = await store.recordEvent({
        record,
        action: 'stop',
        actor: 'U0MALLORY',
        outcome: 'refused',
        detail: { why: 'not the requester, an approver or an admin' },
      });
      expect(audit).toMatchObject({
        requestId: record.id,
        action: 'stop',
        actor: 'U0MALLORY',
        from: 'pending_approval',
        to: 'pending_approval',
        version: record.version,
        outcome: 'refused',
        detail: { why: 'not the requester, an approver or an admin' },
      });
      expect(await store.get(record.id)).toEqual(record);
      const raw = [];
      for await (const entry of store.auditReader().entries()) raw.push(entry);
      expect(raw.map((entry) => toAuditEntry(entry).action)).toEqual(['create', 'stop']);
      expect((await verifyAuditChain(store.auditReader())).ok).toBe(true);
    });

    it('records an event with a marker once, until the marker lapses', async () => {
      const { store } = subject;
      const { record } = await store.create(prodRequest());
      const once = { marker: `remind:${record.id}`, ttlMs: 60_000 };
      const event = { record, action: 'remind' as const, actor: 'replica-a', outcome: 'ok', once };
      const results = await Promise.all([store.recordEvent(event), store.recordEvent({ ...event, actor: 'b' })]);
      expect(results.filter((entry) => entry !== undefined)).toHaveLength(1);
      expect(await store.recordEvent(event)).toBeUndefined();
      clock.advance(60_001);
      // Redis lapses markers by its own clock; only the embedded store follows the test's.
      if (name.startsWith('Memory')) expect(await store.recordEvent(event)).toBeDefined();
    });

    it('lists requests waiting for approval, oldest first, without decided or expired ones', async () => {
      const { store } = subject;
      const first = (await store.create(prodRequest({ reason: 'first' }))).record;
      clock.advance(1_000);
      const second = (await store.create(prodRequest({ reason: 'second', ttlMs: 5_000 }))).record;
      clock.advance(1_000);
      const third = (await store.create(prodRequest({ reason: 'third' }))).record;
      await store.cancel({ id: third.id, userId: third.requester, eligibleApprovers: [] });
      expect((await store.listPending()).map((record) => record.id)).toEqual([first.id, second.id]);
      clock.advance(5_000);
      expect((await store.listPending()).map((record) => record.id)).toEqual([first.id]);
    });
  });
}
