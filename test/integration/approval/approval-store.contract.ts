import { beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalStore, CreateRequestInput } from '../../../src/approval/approval-port.js';
import { bindingDigest, currentBindingDigest } from '../../../src/approval/binding-digest.js';
import {
  AlreadyApprovedError,
  BreakGlassNotAllowedError,
  ClickContextMismatchError,
  DigestMismatchError,
  NotEligibleApproverError,
  ReasonRequiredError,
  RequestExpiredError,
  RequestNotFoundError,
  SelfApprovalError,
  VersionConflictError,
  WrongStateError,
} from '../../../src/approval/errors.js';
import { isRequestId } from '../../../src/approval/request-id.js';
import type { AuditEntry } from '../../../src/audit/audit-entry.js';
import { toAuditEntry } from '../../../src/audit/audit-entry.js';
import type { AuditReader } from '../../../src/audit/audit-port.js';
import { verifyAuditChain } from '../../../src/audit/verify-audit-chain.js';

/** A clock the test moves by hand, so expiry is checked without sleeping. */
export class ManualClock {
  constructor(public nowMs = Date.UTC(2026, 10, 27, 14, 0, 0)) {}
  now(): number {
    return this.nowMs;
  }
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** What the contract needs from a store under test. */
export interface ContractSubject {
  store: ApprovalStore & { auditReader(): AuditReader };
  cleanup(): Promise<void>;
}

export type SubjectFactory = (options: { clock: ManualClock; newId?: () => string }) => Promise<ContractSubject>;

const REQUESTER = 'U0REQUESTER';
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const MALLORY = 'U0MALLORY';
const SRE = [REQUESTER, ALICE, BOB];

/** A prod request as the policy would produce it: 1 of @sre, no self-approval, break-glass allowed. */
export function prodRequest(overrides: Partial<CreateRequestInput> = {}): CreateRequestInput {
  return {
    requester: REQUESTER,
    channel: 'C0INCIDENT',
    target: {
      clusterAlias: 'prod',
      cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod',
      taskArn: 'arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef0123456789abcdef',
      container: 'app',
    },
    command: 'rails runner "puts User.count"',
    reason: 'INC-42 user count looks wrong',
    ruleName: 'prod-with-approval',
    policyVersion: 'sha256:policy-v1',
    approval: { approverGroups: ['sre'], count: 1, selfApproval: false, breakGlassAllowed: true },
    ttlMs: 30 * 60_000,
    ...overrides,
  };
}

async function auditEntries(subject: ContractSubject): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for await (const raw of subject.store.auditReader().entries()) entries.push(toAuditEntry(raw));
  return entries;
}

/** Runs the same behavioural contract against any `ApprovalStore`. */
export function approvalStoreContract(name: string, factory: SubjectFactory): void {
  describe(`${name}: ApprovalStore contract`, () => {
    let clock: ManualClock;
    let subject: ContractSubject;
    let store: ContractSubject['store'];

    beforeEach(async () => {
      clock = new ManualClock();
      subject = await factory({ clock });
      store = subject.store;
      return async () => {
        await subject.cleanup();
      };
    });

    it('creates a pending request with a short id, its binding digest and a create audit entry', async () => {
      const input = prodRequest();
      const { record, audit } = await store.create(input);
      expect(isRequestId(record.id)).toBe(true);
      expect(record).toMatchObject({ state: 'pending_approval', version: 1, requester: REQUESTER, approvals: [] });
      expect(record.expiresAtMs).toBe(clock.nowMs + 30 * 60_000);
      expect(record.digest).toBe(
        bindingDigest({
          ...input.target,
          command: input.command,
          requester: REQUESTER,
          policyVersion: 'sha256:policy-v1',
        }),
      );
      expect(audit).toMatchObject({ action: 'create', actor: REQUESTER, from: 'requested', to: 'pending_approval' });
      expect(audit.detail).toMatchObject({ rule: 'prod-with-approval', digest: record.digest, command: input.command });
      expect(await store.get(record.id)).toEqual(record);
    });

    it('approves at once when the rule needs no approval', async () => {
      const { record } = await store.create(
        prodRequest({ approval: { approverGroups: [], count: 0, selfApproval: false, breakGlassAllowed: false } }),
      );
      expect(record.state).toBe('approved');
    });

    it('returns the same request when a create is retried with the same idempotency key', async () => {
      const first = await store.create(prodRequest({ idempotencyKey: 'slash-trigger-1' }));
      const second = await store.create(prodRequest({ idempotencyKey: 'slash-trigger-1' }));
      expect(second.record.id).toBe(first.record.id);
      expect(await store.recent(10)).toHaveLength(1);
    });

    it('counts distinct eligible approvers and approves when the count is reached', async () => {
      const { record } = await store.create(
        prodRequest({ approval: { approverGroups: ['sre'], count: 2, selfApproval: false, breakGlassAllowed: false } }),
      );
      const first = await store.approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE });
      expect(first.record.state).toBe('pending_approval');
      expect(first.record.approvals.map((approval) => approval.userId)).toEqual([ALICE]);
      await expect(store.approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE })).rejects.toBeInstanceOf(
        AlreadyApprovedError,
      );
      const second = await store.approve({ id: record.id, userId: BOB, eligibleApprovers: SRE });
      expect(second.record.state).toBe('approved');
      expect(second.record.approvals.map((approval) => approval.userId)).toEqual([ALICE, BOB]);
      expect(second.record.approvals[1]?.atMs).toBe(clock.nowMs);
      expect(second.audit.detail).toMatchObject({ approvers: [ALICE, BOB], needed: 2 });
    });

    it('refuses self-approval unless the rule allows it, and audits the attempt', async () => {
      const { record } = await store.create(prodRequest());
      const refusal = await store
        .approve({ id: record.id, userId: REQUESTER, eligibleApprovers: SRE })
        .catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(SelfApprovalError);
      expect((refusal as SelfApprovalError).record?.state).toBe('pending_approval');
      expect((await store.get(record.id))?.approvals).toEqual([]);
      const audit = await auditEntries(subject);
      expect(audit.at(-1)).toMatchObject({ action: 'approve', actor: REQUESTER, outcome: 'self_approval' });

      const allowed = await store.create(
        prodRequest({ approval: { approverGroups: ['sre'], count: 1, selfApproval: true, breakGlassAllowed: false } }),
      );
      const approved = await store.approve({ id: allowed.record.id, userId: REQUESTER, eligibleApprovers: SRE });
      expect(approved.record.state).toBe('approved');
    });

    it('refuses an approver who is not eligible at click time; "*" lets anyone approve', async () => {
      const { record } = await store.create(prodRequest());
      await expect(store.approve({ id: record.id, userId: MALLORY, eligibleApprovers: SRE })).rejects.toBeInstanceOf(
        NotEligibleApproverError,
      );
      // Removed from the group after the request was made: the fresh list decides.
      await expect(store.approve({ id: record.id, userId: ALICE, eligibleApprovers: [BOB] })).rejects.toBeInstanceOf(
        NotEligibleApproverError,
      );
      expect((await store.get(record.id))?.state).toBe('pending_approval');
      const approved = await store.approve({ id: record.id, userId: MALLORY, eligibleApprovers: ['*'] });
      expect(approved.record.state).toBe('approved');
    });

    it('denies with a reason, after which nothing else can decide', async () => {
      const { record } = await store.create(prodRequest());
      const denied = await store.deny({
        id: record.id,
        userId: BOB,
        eligibleApprovers: SRE,
        reason: 'not during peak',
      });
      expect(denied.record).toMatchObject({ state: 'denied', deniedBy: BOB, denyReason: 'not during peak' });
      const late = await store
        .approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE })
        .catch((error: unknown) => error);
      expect(late).toBeInstanceOf(WrongStateError);
      expect((late as WrongStateError).record?.deniedBy).toBe(BOB);
      await expect(store.deny({ id: record.id, userId: MALLORY, eligibleApprovers: SRE })).rejects.toBeInstanceOf(
        WrongStateError,
      );
    });

    it('refuses a deny from someone who could not approve', async () => {
      const { record } = await store.create(prodRequest());
      await expect(store.deny({ id: record.id, userId: MALLORY, eligibleApprovers: SRE })).rejects.toBeInstanceOf(
        NotEligibleApproverError,
      );
      expect((await store.get(record.id))?.state).toBe('pending_approval');
    });

    it('expires by the store clock: a late click is refused and closes the request as expired', async () => {
      const { record } = await store.create(prodRequest());
      clock.advance(30 * 60_000 - 1);
      expect((await store.expireDue()).map((result) => result.record.id)).toEqual([]);
      clock.advance(1);
      const late = await store
        .approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE })
        .catch((error: unknown) => error);
      expect(late).toBeInstanceOf(RequestExpiredError);
      expect((late as RequestExpiredError).record?.state).toBe('expired');
      expect((await store.get(record.id))?.state).toBe('expired');
      const audit = await auditEntries(subject);
      expect(audit.at(-1)).toMatchObject({
        action: 'approve',
        from: 'pending_approval',
        to: 'expired',
        outcome: 'expired',
      });
    });

    it('sweeps due requests (waiting for approval, or approved but never dispatched) and leaves the rest', async () => {
      const waiting = await store.create(prodRequest());
      const approvedUnused = await store.create(prodRequest({ ttlMs: 60_000 }));
      await store.approve({ id: approvedUnused.record.id, userId: ALICE, eligibleApprovers: SRE });
      const later = await store.create(prodRequest({ ttlMs: 2 * 60 * 60_000 }));
      const decided = await store.create(prodRequest({ ttlMs: 60_000 }));
      await store.deny({ id: decided.record.id, userId: ALICE, eligibleApprovers: SRE });
      clock.advance(31 * 60_000);
      const swept = await store.expireDue();
      expect(swept.map((result) => result.record.id).sort()).toEqual(
        [waiting.record.id, approvedUnused.record.id].sort(),
      );
      expect(swept.every((result) => result.record.state === 'expired' && result.audit.action === 'expire')).toBe(true);
      expect((await store.get(later.record.id))?.state).toBe('pending_approval');
      expect((await store.get(decided.record.id))?.state).toBe('denied');
      expect(await store.expireDue()).toEqual([]);
    });

    it('lists approved requests nobody started, oldest first, once they have waited long enough', async () => {
      const noApprovalNeeded = { approverGroups: [], count: 0, selfApproval: false, breakGlassAllowed: false };
      const first = await store.create(prodRequest({ approval: noApprovalNeeded }));
      clock.advance(1_000);
      const second = await store.create(prodRequest());
      await store.approve({ id: second.record.id, userId: ALICE, eligibleApprovers: SRE });
      const pending = await store.create(prodRequest());
      const started = await store.create(prodRequest({ approval: noApprovalNeeded }));
      await store.dispatch({ id: started.record.id, dispatcher: 'replica-a', expectedDigest: started.record.digest });
      const shortLived = await store.create(prodRequest({ approval: noApprovalNeeded, ttlMs: 10_000 }));

      expect(await store.listWaitingForDispatch(clock.nowMs - 30_000)).toEqual([]);
      const cutoff = clock.nowMs;
      clock.advance(30_000);
      const waiting = await store.listWaitingForDispatch(cutoff);
      // The short-lived one's approval ran out: it is the expiry sweep's, not a run to start.
      expect(waiting.map((record) => record.id)).toEqual([first.record.id, second.record.id]);
      expect(waiting[1]).toEqual(await store.get(second.record.id));
      expect(await store.listWaitingForDispatch(cutoff, 1)).toHaveLength(1);
      expect((await store.get(pending.record.id))?.state).toBe('pending_approval');
      expect((await store.get(shortLived.record.id))?.state).toBe('approved');
    });

    it('dispatches exactly once, only with the approved digest', async () => {
      const { record } = await store.create(prodRequest());
      await store.approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE });
      const changed = bindingDigest({
        ...record.target,
        command: `${record.command}; curl evil`,
        requester: REQUESTER,
        policyVersion: record.policyVersion,
      });
      await expect(
        store.dispatch({ id: record.id, dispatcher: 'replica-a', expectedDigest: changed }),
      ).rejects.toBeInstanceOf(DigestMismatchError);
      expect((await store.get(record.id))?.state).toBe('approved');
      const won = await store.dispatch({ id: record.id, dispatcher: 'replica-a', expectedDigest: record.digest });
      expect(won.record.state).toBe('dispatched');
      expect(won.audit.detail).toMatchObject({
        approvers: [ALICE],
        digest: record.digest,
        requester: REQUESTER,
        rule: 'prod-with-approval',
        taskArn: record.target.taskArn,
        container: 'app',
      });
      await expect(
        store.dispatch({ id: record.id, dispatcher: 'replica-b', expectedDigest: record.digest }),
      ).rejects.toBeInstanceOf(WrongStateError);
    });

    it('refuses to dispatch once the policy changed after approval', async () => {
      const { record } = await store.create(prodRequest({ timeoutMs: 120_000, noWrap: true }));
      expect(record).toMatchObject({ timeoutMs: 120_000, noWrap: true });
      await store.approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE });
      expect(currentBindingDigest(record, 'sha256:policy-v1')).toBe(record.digest);
      await expect(
        store.dispatch({
          id: record.id,
          dispatcher: 'replica-a',
          expectedDigest: currentBindingDigest(record, 'sha256:policy-v2'),
        }),
      ).rejects.toBeInstanceOf(DigestMismatchError);
      const stored = await store.get(record.id);
      expect(stored).toMatchObject({ state: 'approved', timeoutMs: 120_000, noWrap: true });
      const audit = await auditEntries(subject);
      expect(audit.at(-1)).toMatchObject({ action: 'dispatch', outcome: 'digest_mismatch' });
    });

    it('refuses to dispatch a request nobody approved', async () => {
      const { record } = await store.create(prodRequest());
      await expect(
        store.dispatch({ id: record.id, dispatcher: 'replica-a', expectedDigest: record.digest }),
      ).rejects.toBeInstanceOf(WrongStateError);
      await expect(
        store.dispatch({ id: 'r-zzzzzz', dispatcher: 'replica-a', expectedDigest: record.digest }),
      ).rejects.toBeInstanceOf(RequestNotFoundError);
    });

    it('refuses to dispatch an approval whose time ran out', async () => {
      const { record } = await store.create(prodRequest());
      await store.approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE });
      clock.advance(30 * 60_000);
      await expect(
        store.dispatch({ id: record.id, dispatcher: 'replica-a', expectedDigest: record.digest }),
      ).rejects.toBeInstanceOf(RequestExpiredError);
      expect((await store.get(record.id))?.state).toBe('expired');
    });

    it('accepts clicks only from the card it posted; a re-posted card retires the old one', async () => {
      const { record } = await store.create(prodRequest());
      const context = { conversation: 'C0INCIDENT', messageRef: '1764252000.000100' };
      await expect(
        store.approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE, context }),
      ).rejects.toBeInstanceOf(ClickContextMismatchError);
      await store.attachCard(record.id, context);
      await store.attachCard(record.id, { conversation: 'C0INCIDENT', messageRef: '1764252999.000200' });
      await expect(
        store.approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE, context }),
      ).rejects.toBeInstanceOf(ClickContextMismatchError);
      await expect(
        store.approve({
          id: record.id,
          userId: ALICE,
          eligibleApprovers: SRE,
          context: { conversation: 'C0OTHER', messageRef: '1764252999.000200' },
        }),
      ).rejects.toBeInstanceOf(ClickContextMismatchError);
      await expect(store.attachCard(record.id, { conversation: 'C0OTHER', messageRef: '1.1' })).rejects.toBeInstanceOf(
        ClickContextMismatchError,
      );
      const approved = await store.approve({
        id: record.id,
        userId: ALICE,
        eligibleApprovers: SRE,
        context: { conversation: 'C0INCIDENT', messageRef: '1764252999.000200' },
      });
      expect(approved.record).toMatchObject({ state: 'approved', cardRef: '1764252999.000200' });
    });

    it('takes a Home click on the binding it showed instead of a card, and audits where it came from', async () => {
      const { record } = await store.create(prodRequest());
      await store.attachCard(record.id, { conversation: 'C0INCIDENT', messageRef: '1764252000.000100' });
      const home = { conversation: '', messageRef: '', origin: 'home' as const };
      await expect(
        store.approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE, context: home }),
      ).rejects.toBeInstanceOf(ClickContextMismatchError);
      await expect(
        store.approve({
          id: record.id,
          userId: ALICE,
          eligibleApprovers: SRE,
          context: home,
          expectedDigest: 'f'.repeat(64),
        }),
      ).rejects.toBeInstanceOf(DigestMismatchError);
      await expect(
        store.approve({
          id: record.id,
          userId: REQUESTER,
          eligibleApprovers: SRE,
          context: home,
          expectedDigest: record.digest,
        }),
      ).rejects.toBeInstanceOf(SelfApprovalError);
      const approved = await store.approve({
        id: record.id,
        userId: ALICE,
        eligibleApprovers: SRE,
        context: home,
        expectedDigest: record.digest,
      });
      expect(approved.record).toMatchObject({ state: 'approved', cardRef: '1764252000.000100' });
      expect(approved.audit).toMatchObject({ action: 'approve', actor: ALICE, outcome: 'ok' });
      expect(approved.audit.detail).toMatchObject({ origin: 'home', approvers: [ALICE] });
      const refusals = (await auditEntries(subject)).filter((entry) => entry.outcome !== 'ok');
      expect(refusals.map((entry) => entry.detail['origin'])).toEqual(['home', 'home', 'home']);
    });

    it('refuses a click made on a stale view of the request (version) or a different binding (digest)', async () => {
      const { record } = await store.create(
        prodRequest({ approval: { approverGroups: ['sre'], count: 2, selfApproval: false, breakGlassAllowed: false } }),
      );
      await store.approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE, expectedVersion: 1 });
      await expect(
        store.approve({ id: record.id, userId: BOB, eligibleApprovers: SRE, expectedVersion: 1 }),
      ).rejects.toBeInstanceOf(VersionConflictError);
      await expect(
        store.approve({ id: record.id, userId: BOB, eligibleApprovers: SRE, expectedDigest: 'f'.repeat(64) }),
      ).rejects.toBeInstanceOf(DigestMismatchError);
      const approved = await store.approve({
        id: record.id,
        userId: BOB,
        eligibleApprovers: SRE,
        expectedVersion: 2,
        expectedDigest: record.digest,
      });
      expect(approved.record.state).toBe('approved');
    });

    it('stores and audits deny and break-glass reasons with pasted secrets redacted', async () => {
      const key = 'AKIAIOSFODNN7EXAMPLE';
      const denied = await store.create(prodRequest());
      const deny = await store.deny({
        id: denied.record.id,
        userId: ALICE,
        eligibleApprovers: SRE,
        reason: `rotate ${key} first`,
      });
      const broken = await store.create(prodRequest());
      const glass = await store.breakGlass({ id: broken.record.id, userId: REQUESTER, reason: `db down, key ${key}` });
      for (const seen of [deny.record, deny.audit, glass.record, glass.audit, await store.get(denied.record.id)]) {
        expect(JSON.stringify(seen)).not.toContain(key);
      }
      expect(deny.record.denyReason).toMatch(/^rotate \[REDACTED [a-z-]+\] first$/);
      expect(glass.audit.detail).toMatchObject({ reason: expect.stringMatching(/^db down, key \[REDACTED/) });
    });

    it('lets the requester break glass only where the rule allows it, with a reason', async () => {
      const { record } = await store.create(prodRequest());
      await expect(store.breakGlass({ id: record.id, userId: REQUESTER, reason: '   ' })).rejects.toBeInstanceOf(
        ReasonRequiredError,
      );
      await expect(store.breakGlass({ id: record.id, userId: ALICE, reason: 'db on fire' })).rejects.toBeInstanceOf(
        BreakGlassNotAllowedError,
      );
      const broken = await store.breakGlass({ id: record.id, userId: REQUESTER, reason: '  db on fire ' });
      expect(broken.record).toMatchObject({ state: 'approved', breakGlass: true, breakGlassReason: 'db on fire' });
      expect(broken.audit).toMatchObject({ action: 'break_glass', actor: REQUESTER, to: 'approved' });
      expect(broken.audit.detail).toMatchObject({ breakGlass: true, reason: 'db on fire' });

      const strict = await store.create(
        prodRequest({ approval: { approverGroups: ['sre'], count: 1, selfApproval: false, breakGlassAllowed: false } }),
      );
      await expect(
        store.breakGlass({ id: strict.record.id, userId: REQUESTER, reason: 'db on fire' }),
      ).rejects.toBeInstanceOf(BreakGlassNotAllowedError);
      expect((await store.get(strict.record.id))?.state).toBe('pending_approval');
    });

    it('cancels before dispatch by the requester or an approver, never by a bystander or after dispatch', async () => {
      const { record } = await store.create(prodRequest());
      await expect(store.cancel({ id: record.id, userId: MALLORY, eligibleApprovers: SRE })).rejects.toBeInstanceOf(
        NotEligibleApproverError,
      );
      const cancelled = await store.cancel({ id: record.id, userId: REQUESTER, eligibleApprovers: SRE });
      expect(cancelled.record).toMatchObject({ state: 'cancelled', cancelledBy: REQUESTER });

      const other = await store.create(prodRequest());
      await store.approve({ id: other.record.id, userId: ALICE, eligibleApprovers: SRE });
      await store.dispatch({ id: other.record.id, dispatcher: 'replica-a', expectedDigest: other.record.digest });
      await expect(
        store.cancel({ id: other.record.id, userId: REQUESTER, eligibleApprovers: SRE }),
      ).rejects.toBeInstanceOf(WrongStateError);
    });

    it('runs to a terminal state with the result summary, and refuses impossible endings', async () => {
      const { record } = await store.create(prodRequest());
      await expect(
        store.finish(record.id, 'succeeded', { exitCode: 0, bytes: 1, sha256: 'a', redactions: 0 }),
      ).rejects.toBeInstanceOf(WrongStateError);
      await store.approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE });
      await store.dispatch({ id: record.id, dispatcher: 'replica-a', expectedDigest: record.digest });
      await expect(
        store.finish(record.id, 'succeeded', { exitCode: 0, bytes: 1, sha256: 'a', redactions: 0 }),
      ).rejects.toBeInstanceOf(WrongStateError);
      const running = await store.markRunning(record.id, 'ecs-execute-command-0abc');
      expect(running.record).toMatchObject({ state: 'running', sessionId: 'ecs-execute-command-0abc' });
      const result = { exitCode: 2, bytes: 5120, sha256: 'c'.repeat(64), redactions: 3, durationMs: 4200 };
      const finished = await store.finish(record.id, 'failed', result);
      expect(finished.record).toMatchObject({ state: 'failed', result });
      expect(finished.audit).toMatchObject({ action: 'finish', from: 'running', to: 'failed' });
      expect(finished.audit.detail).toMatchObject({ exitCode: 2, bytes: 5120, sha256: 'c'.repeat(64), redactions: 3 });
      await expect(store.finish(record.id, 'succeeded', result)).rejects.toBeInstanceOf(WrongStateError);

      const refused = await store.create(prodRequest());
      await store.approve({ id: refused.record.id, userId: ALICE, eligibleApprovers: SRE });
      await store.dispatch({ id: refused.record.id, dispatcher: 'replica-a', expectedDigest: refused.record.digest });
      const error = await store.finish(refused.record.id, 'error', {
        bytes: 0,
        sha256: '',
        redactions: 0,
        detail: 'TargetNotConnectedException',
      });
      expect(error.record.state).toBe('error');
    });

    it('closes runs whose replica stopped reporting as interrupted, never re-running them', async () => {
      const approvedRequest = async () => {
        const { record } = await store.create(prodRequest());
        await store.approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE });
        await store.dispatch({ id: record.id, dispatcher: 'replica-a', expectedDigest: record.digest });
        return record.id;
      };
      const silent = await approvedRequest();
      const streaming = await approvedRequest();
      const refused = await approvedRequest();
      await store.markRunning(streaming, 'session-2');
      clock.advance(5 * 60_000);
      await store.reportProgress(streaming);
      await store.finish(refused, 'error', { bytes: 0, sha256: '', redactions: 0, detail: 'AccessDenied' });
      clock.advance(6 * 60_000);

      const closed = await store.interruptStale(10 * 60_000);
      expect(closed.map((result) => result.record.id)).toEqual([silent]);
      expect(closed[0]?.record.state).toBe('interrupted');
      expect(closed[0]?.record.result?.detail).toMatch(/may still have run.*not re-run/s);
      expect(closed[0]?.audit).toMatchObject({ action: 'finish', from: 'dispatched', to: 'interrupted' });
      await store.reportProgress(silent);
      expect(await store.interruptStale(10 * 60_000)).toEqual([]);
      await expect(
        store.dispatch({ id: silent, dispatcher: 'replica-b', expectedDigest: closed[0]?.record.digest ?? '' }),
      ).rejects.toBeInstanceOf(WrongStateError);

      clock.advance(5 * 60_000);
      expect((await store.interruptStale(10 * 60_000)).map((result) => result.record.id)).toEqual([streaming]);
      expect((await store.get(refused))?.state).toBe('error');
    });

    it('records who owns a run, and answers a retried final write with its first reply', async () => {
      const { record } = await store.create(prodRequest());
      await store.approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE });
      const dispatched = await store.dispatch({
        id: record.id,
        dispatcher: 'replica-a',
        expectedDigest: record.digest,
      });
      expect(dispatched.record.owner).toBe('replica-a');
      expect(await store.ownsRun(record.id, 'replica-a')).toBe(true);
      expect(await store.ownsRun(record.id, 'replica-b')).toBe(false);
      await store.markRunning(record.id, 'session-1');
      const result = { exitCode: 0, bytes: 3, sha256: 'a'.repeat(64), redactions: 0 };
      const first = await store.finish(record.id, 'succeeded', result, 'final:replica-a');
      const again = await store.finish(record.id, 'succeeded', result, 'final:replica-a');
      expect(again.record.version).toBe(first.record.version);
      expect(again.audit.seq).toBe(first.audit.seq);
      // Once ended, nobody holds it, and another ending is refused.
      expect(await store.ownsRun(record.id, 'replica-a')).toBe(false);
      await expect(store.finish(record.id, 'interrupted', result)).rejects.toBeInstanceOf(WrongStateError);
      expect(await store.ownsRun('r-unknown', 'replica-a')).toBe(false);
    });

    it('treats a repeated call with the same idempotency key as the first one', async () => {
      const { record } = await store.create(
        prodRequest({ approval: { approverGroups: ['sre'], count: 2, selfApproval: false, breakGlassAllowed: false } }),
      );
      const click = { id: record.id, userId: ALICE, eligibleApprovers: SRE, idempotencyKey: 'action-1764252000.1' };
      const first = await store.approve(click);
      const again = await store.approve(click);
      expect(again.record.version).toBe(first.record.version);
      expect(again.audit.seq).toBe(first.audit.seq);
      expect((await store.get(record.id))?.approvals).toHaveLength(1);
      const approvals = (await auditEntries(subject)).filter((entry) => entry.action === 'approve');
      expect(approvals).toHaveLength(1);
    });

    it('lets exactly one of many concurrent dispatchers win', async () => {
      const { record } = await store.create(prodRequest());
      await store.approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE });
      const attempts = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          store.dispatch({ id: record.id, dispatcher: `replica-${i}`, expectedDigest: record.digest }),
        ),
      );
      expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1);
      const losers = attempts.filter((attempt) => attempt.status === 'rejected');
      expect(losers.every((attempt) => attempt.reason instanceof WrongStateError)).toBe(true);
      expect((await auditEntries(subject)).filter((entry) => entry.action === 'dispatch')).toHaveLength(1);
    });

    it('records a policy rejection as an audit entry only, with a hash of the text and no secrets', async () => {
      const entry = await store.recordRejection({
        requester: MALLORY,
        channel: 'C0INCIDENT',
        requestText: 'prod/web -- curl -H "x: xoxb-1234567890-abcdef" http://169.254.170.2',
        why: 'no rule allows this',
      });
      expect(entry).toMatchObject({ action: 'reject', actor: MALLORY, to: 'rejected', requestId: '' });
      expect(entry.detail['requestSha256']).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(entry)).not.toContain('xoxb-1234567890');
      expect(await store.recent(10)).toEqual([]);
    });

    it('lists history newest first, per requester and overall', async () => {
      const first = await store.create(prodRequest());
      clock.advance(1000);
      const second = await store.create(prodRequest({ requester: ALICE }));
      clock.advance(1000);
      const third = await store.create(prodRequest());
      expect((await store.listByRequester(REQUESTER, 10)).map((record) => record.id)).toEqual([
        third.record.id,
        first.record.id,
      ]);
      expect((await store.recent(2)).map((record) => record.id)).toEqual([third.record.id, second.record.id]);
      expect(await store.recent(0)).toEqual([]);
      expect(await store.listByRequester(REQUESTER, 0)).toEqual([]);
      expect(await store.listByRequester('U0NOBODY', 5)).toEqual([]);
    });

    it('writes one audit entry per transition and per refused click, in a chain that verifies', async () => {
      const { record } = await store.create(prodRequest());
      await store.attachCard(record.id, { conversation: 'C0INCIDENT', messageRef: '1.000100' });
      await store.approve({ id: record.id, userId: REQUESTER, eligibleApprovers: SRE }).catch(() => undefined);
      await store.approve({ id: record.id, userId: ALICE, eligibleApprovers: SRE });
      await store.dispatch({ id: record.id, dispatcher: 'replica-a', expectedDigest: record.digest });
      await store.markRunning(record.id, 'session-1');
      await store.finish(record.id, 'succeeded', { exitCode: 0, bytes: 12, sha256: 'd'.repeat(64), redactions: 0 });
      const entries = (await auditEntries(subject)).filter((entry) => entry.requestId === record.id);
      expect(entries.map((entry) => `${entry.action}:${entry.outcome}:${entry.from}->${entry.to}`)).toEqual([
        'create:ok:requested->pending_approval',
        'card:ok:pending_approval->pending_approval',
        'approve:self_approval:pending_approval->pending_approval',
        'approve:ok:pending_approval->approved',
        'dispatch:ok:approved->dispatched',
        'running:ok:dispatched->running',
        'finish:ok:running->succeeded',
      ]);
      const versions = entries.filter((entry) => entry.outcome === 'ok').map((entry) => entry.version);
      expect(versions).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await verifyAuditChain(store.auditReader())).toMatchObject({ ok: true, entries: 7 });
    });

    it('picks a fresh id when a generated one is already taken', async () => {
      const ids = ['r-aaaaaa', 'r-aaaaaa', 'r-bbbbbb'];
      const clashing = await factory({ clock, newId: () => ids.shift() ?? 'r-cccccc' });
      try {
        const first = await clashing.store.create(prodRequest());
        const second = await clashing.store.create(prodRequest());
        expect([first.record.id, second.record.id]).toEqual(['r-aaaaaa', 'r-bbbbbb']);
      } finally {
        await clashing.cleanup();
      }
    });
  });
}
