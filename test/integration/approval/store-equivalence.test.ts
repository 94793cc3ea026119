import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type {
  ApprovalStore,
  FinishState,
  RequestState,
  TransitionResult,
} from '../../../src/approval/approval-port.js';
import { MemoryApprovalStore } from '../../../src/approval/memory-approval-store.js';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import type { AuditEntry } from '../../../src/audit/audit-entry.js';
import { toAuditEntry } from '../../../src/audit/audit-entry.js';
import type { AuditReader } from '../../../src/audit/audit-port.js';
import { verifyAuditChain } from '../../../src/audit/verify-audit-chain.js';
import { ManualClock, prodRequest } from './approval-store.contract.js';
import { deletePrefix } from './redis-test-helpers.js';

const USERS = ['U0REQUESTER', 'U0ALICE', 'U0BOB', 'U0MALLORY'] as const;
const ELIGIBLE = ['U0REQUESTER', 'U0ALICE', 'U0BOB'];
const ORDER: Readonly<Record<RequestState, number>> = {
  requested: 0,
  pending_approval: 1,
  approved: 2,
  dispatched: 3,
  running: 4,
  rejected: 9,
  succeeded: 9,
  failed: 9,
  timed_out: 9,
  cancelled: 9,
  interrupted: 9,
  denied: 9,
  expired: 9,
  error: 9,
};

/**
 * What a click says about the card it came from: nothing (a call that is no click), the request's own card, or a
 * signed payload with the channel or message missing, empty or naming another card.
 */
const CARD_CLICKS = ['none', 'same', 'noChannel', 'noMessage', 'neither', 'foreignChannel', 'foreignMessage'] as const;
type CardClick = (typeof CARD_CLICKS)[number];

type Op =
  | { kind: 'create'; count: 0 | 1 | 2; selfApproval: boolean; breakGlassAllowed: boolean; ttlMs: number }
  | { kind: 'approve' | 'deny' | 'cancel'; request: number; user: number; card: CardClick }
  | { kind: 'breakGlass'; request: number; user: number; reason: string }
  | { kind: 'dispatch'; request: number; digestOk: boolean }
  | { kind: 'markRunning'; request: number }
  | { kind: 'finish'; request: number; state: FinishState }
  | { kind: 'attachCard'; request: number; sameChannel: boolean }
  | { kind: 'advance'; ms: number }
  | { kind: 'expireDue' }
  | { kind: 'reportProgress'; request: number }
  | { kind: 'interruptStale'; idleForMs: number };

const request = fc.nat({ max: 3 });
const user = fc.nat({ max: USERS.length - 1 });
const create: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant('create' as const),
  count: fc.constantFrom(0 as const, 1 as const, 2 as const),
  selfApproval: fc.boolean(),
  breakGlassAllowed: fc.boolean(),
  ttlMs: fc.constantFrom(1_000, 60_000),
});
const click = (kind: 'approve' | 'deny' | 'cancel'): fc.Arbitrary<Op> =>
  fc.record({
    kind: fc.constant(kind),
    request,
    user,
    card: fc.constantFrom<CardClick>('none', 'none', 'same', 'same', ...CARD_CLICKS),
  });
// Weighted towards the calls that move requests forward, so sequences reach dispatch and the end states.
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: create, weight: 1 },
  { arbitrary: click('approve'), weight: 5 },
  { arbitrary: click('deny'), weight: 1 },
  { arbitrary: click('cancel'), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('breakGlass' as const),
      request,
      user,
      reason: fc.constantFrom('', 'db down'),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('dispatch' as const), request, digestOk: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('markRunning' as const), request }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('finish' as const),
      request,
      state: fc.constantFrom<FinishState>('succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted', 'error'),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('attachCard' as const), request, sameChannel: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(500, 30_000) }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'expireDue' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('reportProgress' as const), request }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('interruptStale' as const),
      idleForMs: fc.constantFrom(0, 1_000, 60_000),
    }),
    weight: 1,
  },
);
const scenario = fc
  .tuple(fc.array(create, { minLength: 1, maxLength: 3 }), fc.array(op, { minLength: 5, maxLength: 40 }))
  .map(([creates, rest]) => [...creates, ...rest]);

function describeAudit(entry: AuditEntry | undefined): unknown {
  if (!entry) return undefined;
  const { hash: _hash, prev: _prev, streamId: _streamId, ...rest } = entry;
  return rest;
}

function describeResult(result: TransitionResult): unknown {
  const { record, audit } = result;
  return { record, audit: describeAudit(audit) };
}

async function apply(store: ApprovalStore, step: Op, ids: string[], digests: Map<string, string>): Promise<unknown> {
  const id = (index: number): string => ids[index % Math.max(ids.length, 1)] ?? 'r-zzzzzz';
  const context = (index: number, card: CardClick) => {
    const own = { conversation: 'C0INCIDENT', messageRef: `card-${id(index)}` };
    switch (card) {
      case 'none':
        return undefined;
      case 'same':
        return own;
      case 'noChannel':
        return { ...own, conversation: '' };
      case 'noMessage':
        return { ...own, messageRef: '' };
      case 'neither':
        return { conversation: '', messageRef: '' };
      case 'foreignChannel':
        return { ...own, conversation: 'C0ELSEWHERE' };
      case 'foreignMessage':
        return { ...own, messageRef: 'card-someone-else' };
    }
  };
  try {
    switch (step.kind) {
      case 'create': {
        const result = await store.create(
          prodRequest({
            ttlMs: step.ttlMs,
            approval: {
              approverGroups: step.count === 0 ? [] : ['sre'],
              count: step.count,
              selfApproval: step.selfApproval,
              breakGlassAllowed: step.breakGlassAllowed,
            },
          }),
        );
        ids.push(result.record.id);
        digests.set(result.record.id, result.record.digest);
        return describeResult(result);
      }
      case 'approve':
      case 'deny':
      case 'cancel': {
        const clicked = context(step.request, step.card);
        const input = {
          id: id(step.request),
          userId: USERS[step.user] as string,
          eligibleApprovers: ELIGIBLE,
          ...(clicked ? { context: clicked } : {}),
        };
        return describeResult(await store[step.kind](input));
      }
      case 'breakGlass':
        return describeResult(
          await store.breakGlass({ id: id(step.request), userId: USERS[step.user] as string, reason: step.reason }),
        );
      case 'dispatch': {
        const digest = step.digestOk ? (digests.get(id(step.request)) ?? '') : 'f'.repeat(64);
        return describeResult(
          await store.dispatch({ id: id(step.request), dispatcher: 'replica', expectedDigest: digest }),
        );
      }
      case 'markRunning':
        return describeResult(await store.markRunning(id(step.request), 'session'));
      case 'finish':
        return describeResult(
          await store.finish(id(step.request), step.state, { exitCode: 1, bytes: 2, sha256: 'a', redactions: 0 }),
        );
      case 'attachCard': {
        const channel = step.sameChannel ? 'C0INCIDENT' : 'C0ELSEWHERE';
        return describeResult(
          await store.attachCard(id(step.request), { conversation: channel, messageRef: `card-${id(step.request)}` }),
        );
      }
      case 'expireDue':
        return (await store.expireDue()).map(describeResult);
      case 'reportProgress':
        await store.reportProgress(id(step.request));
        return 'reported';
      case 'interruptStale':
        return (await store.interruptStale(step.idleForMs)).map(describeResult);
      case 'advance':
        return 'advanced';
    }
  } catch (error) {
    const refusal = error as { name: string; record?: unknown };
    return { refused: refusal.name, record: refusal.record };
  }
}

async function audit(reader: AuditReader): Promise<unknown[]> {
  const entries: unknown[] = [];
  for await (const raw of reader.entries()) entries.push(describeAudit(toAuditEntry(raw)));
  return entries;
}

let redis: Redis;
const prefixes: string[] = [];
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  for (const prefix of prefixes) await deletePrefix(redis, prefix);
  redis.disconnect();
});

it('behaves exactly like the embedded store for any sequence of calls, and keeps the invariants', async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async (ops) => {
      const clock = new ManualClock();
      const counter = { memory: 0, redis: 0 };
      const nextId = (which: 'memory' | 'redis') => () => `r-${String(++counter[which]).padStart(6, 'a')}`;
      const prefix = `test:${randomUUID()}:`;
      prefixes.push(prefix);
      const memory = new MemoryApprovalStore({ clock, newId: nextId('memory'), replicaId: 'replica' });
      const inRedis = new RedisApprovalStore(redis, { prefix, clock, newId: nextId('redis'), replicaId: 'replica' });
      const ids = { memory: [] as string[], redis: [] as string[] };
      const digests = new Map<string, string>();
      const lastState = new Map<string, { state: RequestState; version: number }>();
      const dispatched = new Set<string>();

      for (const step of ops) {
        if (step.kind === 'advance') clock.advance(step.ms);
        const fromMemory = await apply(memory, step, ids.memory, digests);
        const fromRedis = await apply(inRedis, step, ids.redis, digests);
        expect(fromRedis, JSON.stringify(step)).toEqual(fromMemory);
        if (step.kind === 'dispatch' && !('refused' in (fromRedis as object))) {
          const won = (fromRedis as { record: { id: string } }).record.id;
          expect(dispatched.has(won), `${won} dispatched twice`).toBe(false);
          dispatched.add(won);
        }
        for (const record of await inRedis.recent(10)) {
          const before = lastState.get(record.id);
          if (before) {
            expect(ORDER[record.state]).toBeGreaterThanOrEqual(ORDER[before.state]);
            expect(record.version).toBeGreaterThanOrEqual(before.version);
            if (ORDER[before.state] === 9) expect(record.state).toBe(before.state);
          }
          lastState.set(record.id, { state: record.state, version: record.version });
        }
      }
      expect(await audit(inRedis.auditReader())).toEqual(await audit(memory.auditReader()));
      expect(await verifyAuditChain(inRedis.auditReader())).toMatchObject({ ok: true });
      expect(await verifyAuditChain(memory.auditReader())).toMatchObject({ ok: true });
    }),
    { numRuns: 100 },
  );
}, 120_000);
