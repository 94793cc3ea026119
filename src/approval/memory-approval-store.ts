import { createHash, randomUUID } from 'node:crypto';
import type { AuditEntry } from '../audit/audit-entry.js';
import type { AuditReader, AuditSink } from '../audit/audit-port.js';
import { type Clock, systemClock } from '../shared/clock.js';
import type {
  ApprovalRecord,
  ApprovalStore,
  ApproveInput,
  BreakGlassInput,
  CancelInput,
  ClickContext,
  CreateRequestInput,
  DecisionInput,
  DenyInput,
  DispatchInput,
  FinishState,
  RejectionInput,
  RequestEventInput,
  RequestState,
  RunResult,
  TransitionResult,
} from './approval-port.js';
import {
  assertCreateInput,
  createAuditDetail,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  initialRecord,
  rejectionAuditDetail,
  staleResult,
  storedReason,
} from './create-request.js';
import { ApprovalErrorCode, toApprovalError } from './errors.js';
import { type CallContext, MemoryAuditChain } from './memory-audit-chain.js';
import { clickRefusal, isEligible } from './memory-click-guards.js';
import { MemoryReplies, type Reply } from './memory-replies.js';
import { byId, clone, newestFirstIn, pendingIn, waitingForDispatchIn } from './memory-request-reads.js';
import { newRequestId } from './request-id.js';
import { isTerminal } from './request-state.js';

/** Options for the in-process store. */
export interface MemoryApprovalStoreOptions {
  clock?: Clock;
  replicaId?: string;
  idempotencyTtlMs?: number;
  auditSink?: AuditSink;
  newId?: () => string;
}

const ENDINGS: Readonly<Partial<Record<RequestState, ReadonlySet<FinishState>>>> = {
  dispatched: new Set<FinishState>(['error', 'interrupted', 'cancelled']),
  running: new Set<FinishState>(['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted']),
};

/**
 * The embedded store used when `REDIS_URL` is unset: the same state machine, guards, idempotency and audit chain
 * as the Lua scripts, kept in this process. Suitable for a single replica only; state is lost on restart.
 * Every method does its work synchronously before its first `await`, which is what makes each call atomic here.
 */
export class MemoryApprovalStore implements ApprovalStore {
  private readonly records = new Map<string, ApprovalRecord>();
  /** Requests dispatched or running → ms of their last sign of progress (the Redis in-flight index). */
  private readonly inflight = new Map<string, number>();
  private readonly replies: MemoryReplies;
  private readonly audit = new MemoryAuditChain((id) => this.records.get(id)?.policyVersion);
  /** Markers of events recorded once, with the ms they lapse at. */
  private readonly markers = new Map<string, number>();
  private readonly clock: Clock;
  private readonly replicaId: string;
  private readonly auditSink: AuditSink | undefined;
  private readonly newId: () => string;

  constructor(options: MemoryApprovalStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.replicaId = options.replicaId ?? `replica-${randomUUID().slice(0, 8)}`;
    this.auditSink = options.auditSink;
    this.newId = options.newId ?? newRequestId;
    this.replies = new MemoryReplies(options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS);
  }

  /** Reads this store's audit chain. */
  auditReader(): AuditReader {
    return this.audit.reader();
  }

  async create(input: CreateRequestInput): Promise<TransitionResult> {
    assertCreateInput(input);
    const idempotencyKey = `create:new:${input.idempotencyKey ?? randomUUID()}`;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const now = this.clock.now();
      const previous = this.replies.replayed(idempotencyKey, now);
      if (previous) return this.result(previous, previous.record?.id ?? '', 'be created');
      const record = initialRecord(this.newId(), input, now);
      if (this.records.has(record.id)) continue;
      this.records.set(record.id, record);
      const audit = this.audit.append(
        { id: record.id, actor: record.requester, action: 'create', now },
        { from: 'requested', to: record.state, version: 1, outcome: 'ok', detail: createAuditDetail(record) },
      );
      return this.result(
        this.replies.remember(idempotencyKey, now, { code: 0, record, audit }),
        record.id,
        'be created',
      );
    }
    throw toApprovalError(ApprovalErrorCode.IdTaken, { id: 'r-?', action: 'be created' });
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    const record = this.records.get(id);
    return record ? clone(record) : undefined;
  }

  async attachCard(id: string, context: ClickContext): Promise<TransitionResult> {
    const ctx = this.context(id, this.replicaId, 'card');
    const key = `card:${id}:${randomUUID()}`;
    const record = this.records.get(id);
    let reply: Reply;
    if (!record) reply = this.audit.refuse(ctx, record, ApprovalErrorCode.NotFound, false);
    else if (isTerminal(record.state)) reply = this.audit.refuse(ctx, record, ApprovalErrorCode.WrongState, false);
    else if (context.conversation !== record.channel) {
      reply = this.audit.refuse(ctx, record, ApprovalErrorCode.ContextMismatch, true, {
        conversation: context.conversation,
      });
    } else {
      record.cardRef = context.messageRef;
      record.version += 1;
      record.updatedAtMs = ctx.now;
      const audit = this.audit.append(ctx, {
        from: record.state,
        to: record.state,
        version: record.version,
        outcome: 'ok',
        detail: { conversation: context.conversation, messageRef: context.messageRef },
      });
      reply = { code: 0, record, audit };
    }
    return this.result(this.replies.remember(key, ctx.now, reply), id, 'take a card');
  }

  async approve(input: ApproveInput): Promise<TransitionResult> {
    const reply = this.click('approve', input, new Set(['pending_approval']), (ctx, record) => {
      if (ctx.actor === record.requester && !record.approval.selfApproval) {
        return this.audit.refuse(ctx, record, ApprovalErrorCode.SelfApproval, true);
      }
      if (!isEligible(input.eligibleApprovers, ctx.actor)) {
        return this.audit.refuse(ctx, record, ApprovalErrorCode.NotEligible, true);
      }
      if (record.approvals.some((approval) => approval.userId === ctx.actor)) {
        return this.audit.refuse(ctx, record, ApprovalErrorCode.AlreadyApproved, true);
      }
      const approvals = [...record.approvals, { userId: ctx.actor, atMs: ctx.now }];
      const reached = approvals.length >= record.approval.count;
      const detail = { approvers: approvals.map((approval) => approval.userId), needed: record.approval.count };
      return this.audit.commit(
        ctx,
        record,
        reached ? 'approved' : 'pending_approval',
        { approvals },
        detail,
        reached ? 0 : 1,
      );
    });
    return this.result(reply, input.id, 'be approved');
  }

  async deny(input: DenyInput): Promise<TransitionResult> {
    const reply = this.click('deny', input, new Set(['pending_approval']), (ctx, record) => {
      if (!isEligible(input.eligibleApprovers, ctx.actor)) {
        return this.audit.refuse(ctx, record, ApprovalErrorCode.NotEligible, true);
      }
      const reason = storedReason(input.reason ?? '');
      const changes: Partial<ApprovalRecord> = { deniedBy: ctx.actor };
      if (reason) changes.denyReason = reason;
      return this.audit.commit(ctx, record, 'denied', changes, { reason }, 0);
    });
    return this.result(reply, input.id, 'be denied');
  }

  async cancel(input: CancelInput): Promise<TransitionResult> {
    const reply = this.click('cancel', input, new Set(['pending_approval', 'approved']), (ctx, record) => {
      if (ctx.actor !== record.requester && !isEligible(input.eligibleApprovers, ctx.actor)) {
        return this.audit.refuse(ctx, record, ApprovalErrorCode.NotEligible, true);
      }
      return this.audit.commit(ctx, record, 'cancelled', { cancelledBy: ctx.actor }, {}, 0);
    });
    return this.result(reply, input.id, 'be cancelled');
  }

  async breakGlass(input: BreakGlassInput): Promise<TransitionResult> {
    const reply = this.click('break_glass', input, new Set(['pending_approval']), (ctx, record) => {
      if (ctx.actor !== record.requester || !record.approval.breakGlassAllowed) {
        return this.audit.refuse(ctx, record, ApprovalErrorCode.BreakGlassNotAllowed, true);
      }
      const reason = storedReason(input.reason.trim());
      if (!reason) return this.audit.refuse(ctx, record, ApprovalErrorCode.ReasonRequired, true);
      return this.audit.commit(
        ctx,
        record,
        'approved',
        { breakGlass: true, breakGlassReason: reason },
        { breakGlass: true, reason },
        0,
      );
    });
    return this.result(reply, input.id, 'use break-glass');
  }

  async expireDue(limit = 100): Promise<TransitionResult[]> {
    const now = this.clock.now();
    const due = [...this.records.values()]
      .filter(
        (record) => (record.state === 'pending_approval' || record.state === 'approved') && now >= record.expiresAtMs,
      )
      .sort((a, b) => a.expiresAtMs - b.expiresAtMs || byId(a.id, b.id))
      .slice(0, limit);
    return due.map((record) => {
      const ctx: CallContext = { id: record.id, actor: this.replicaId, action: 'expire', now };
      const reply = this.audit.commit(ctx, record, 'expired', {}, {}, 0);
      return this.result(reply, record.id, 'expire');
    });
  }

  async dispatch(input: DispatchInput): Promise<TransitionResult> {
    const ctx = this.context(input.id, input.dispatcher, 'dispatch');
    const key = `dispatch:${input.id}:${input.idempotencyKey ?? randomUUID()}`;
    const previous = this.replies.replayed(key, ctx.now);
    if (previous) return this.result(previous, input.id, 'be dispatched');
    const record = this.records.get(input.id);
    let reply: Reply;
    if (!record) reply = this.audit.refuse(ctx, record, ApprovalErrorCode.NotFound, false);
    else if (record.state !== 'approved') reply = this.audit.refuse(ctx, record, ApprovalErrorCode.WrongState, false);
    else if (input.expectedDigest !== record.digest) {
      reply = this.audit.refuse(ctx, record, ApprovalErrorCode.DigestMismatch, true, {
        presented: input.expectedDigest,
      });
    } else if (ctx.now >= record.expiresAtMs) reply = this.audit.expireNow(ctx, record);
    else {
      const detail: Record<string, unknown> = {
        digest: record.digest,
        breakGlass: record.breakGlass,
        requester: record.requester,
        rule: record.ruleName,
        cluster: record.target.cluster,
        taskArn: record.target.taskArn,
        container: record.target.container,
      };
      if (record.approvals.length > 0) detail['approvers'] = record.approvals.map((approval) => approval.userId);
      reply = this.audit.commit(ctx, record, 'dispatched', { owner: input.dispatcher }, detail, 0);
      this.inflight.set(record.id, ctx.now);
    }
    return this.result(this.replies.remember(key, ctx.now, reply), input.id, 'be dispatched');
  }

  async markRunning(id: string, sessionId: string): Promise<TransitionResult> {
    const ctx = this.context(id, this.replicaId, 'running');
    const record = this.records.get(id);
    let reply: Reply;
    if (!record) reply = this.audit.refuse(ctx, record, ApprovalErrorCode.NotFound, false);
    else if (record.state !== 'dispatched') reply = this.audit.refuse(ctx, record, ApprovalErrorCode.WrongState, true);
    else {
      reply = this.audit.commit(ctx, record, 'running', { sessionId }, { sessionId }, 0);
      this.inflight.set(id, ctx.now);
    }
    return this.result(reply, id, 'start running');
  }

  async finish(id: string, state: FinishState, result: RunResult, idempotencyKey?: string): Promise<TransitionResult> {
    const ctx = this.context(id, this.replicaId, 'finish');
    const key = `finish:${id}:${idempotencyKey ?? randomUUID()}`;
    const previous = this.replies.replayed(key, ctx.now);
    if (previous) return this.result(previous, id, `end as ${state}`);
    const record = this.records.get(id);
    let reply: Reply;
    if (!record) reply = this.audit.refuse(ctx, record, ApprovalErrorCode.NotFound, false);
    else if (!ENDINGS[record.state]?.has(state)) {
      reply = this.audit.refuse(ctx, record, ApprovalErrorCode.WrongState, true, { wanted: state });
    } else {
      reply = this.audit.commit(ctx, record, state, { result: clone(result) }, { ...result }, 0);
      this.inflight.delete(id);
    }
    return this.result(this.replies.remember(key, ctx.now, reply), id, `end as ${state}`);
  }

  async ownsRun(id: string, owner: string): Promise<boolean> {
    const record = this.records.get(id);
    return (
      record !== undefined && (record.state === 'dispatched' || record.state === 'running') && record.owner === owner
    );
  }

  async reportProgress(id: string): Promise<void> {
    if (this.inflight.has(id)) this.inflight.set(id, this.clock.now());
  }

  async interruptStale(idleForMs: number, limit = 100): Promise<TransitionResult[]> {
    const now = this.clock.now();
    const cutoff = now - idleForMs;
    const stale = [...this.inflight.entries()]
      .filter(([, lastProgress]) => lastProgress <= cutoff)
      .sort(([idA, a], [idB, b]) => a - b || byId(idA, idB))
      .slice(0, limit);
    const closed: TransitionResult[] = [];
    for (const [id] of stale) {
      const record = this.records.get(id);
      this.inflight.delete(id);
      if (!record || (record.state !== 'dispatched' && record.state !== 'running')) continue;
      const result = staleResult(idleForMs);
      const ctx: CallContext = { id, actor: this.replicaId, action: 'finish', now };
      closed.push(
        this.result(this.audit.commit(ctx, record, 'interrupted', { result }, { ...result }, 0), id, 'be interrupted'),
      );
    }
    return closed;
  }

  async recordRejection(input: RejectionInput): Promise<AuditEntry> {
    const sha256 = createHash('sha256').update(input.requestText, 'utf8').digest('hex');
    const audit = this.audit.append(
      { id: '', actor: input.requester, action: 'reject', now: this.clock.now(), policy: input.policyVersion ?? '' },
      { from: 'requested', to: 'rejected', version: 0, outcome: 'ok', detail: rejectionAuditDetail(input, sha256) },
    );
    this.auditSink?.(audit);
    return audit;
  }

  async listPending(limit = 100): Promise<ApprovalRecord[]> {
    return pendingIn(this.records.values(), this.clock.now(), limit);
  }

  async listWaitingForDispatch(approvedBeforeMs: number, limit = 100): Promise<ApprovalRecord[]> {
    return waitingForDispatchIn(this.records.values(), this.clock.now(), approvedBeforeMs, limit);
  }

  async listByRequester(requester: string, limit: number): Promise<ApprovalRecord[]> {
    return newestFirstIn(this.records.values(), (record) => record.requester === requester, limit);
  }

  async recent(limit: number): Promise<ApprovalRecord[]> {
    return newestFirstIn(this.records.values(), () => true, limit);
  }

  async recordEvent(input: RequestEventInput): Promise<AuditEntry | undefined> {
    const now = this.clock.now();
    if (input.once) {
      const until = this.markers.get(input.once.marker);
      if (until !== undefined && until > now) return undefined;
      this.markers.set(input.once.marker, now + Math.max(1, input.once.ttlMs));
      // Markers of long-decided requests are dropped as they lapse, so the map stays as small as what is pending.
      for (const [marker, expiresAt] of this.markers) if (expiresAt <= now) this.markers.delete(marker);
    }
    const { record } = input;
    const audit = this.audit.append(
      { id: record.id, actor: input.actor, action: input.action, now, policy: record.policyVersion ?? '' },
      {
        from: record.state,
        to: record.state,
        version: record.version,
        outcome: input.outcome,
        detail: { ...input.detail },
      },
    );
    this.auditSink?.(audit);
    return audit;
  }

  private context(id: string, actor: string, action: AuditEntry['action']): CallContext {
    return { id, actor, action, now: this.clock.now() };
  }

  /** The guards every click shares, in the same order as `clickGuards` in the Lua include. */
  private click(
    action: AuditEntry['action'],
    input: DecisionInput,
    allowedStates: ReadonlySet<RequestState>,
    decide: (ctx: CallContext, record: ApprovalRecord) => Reply,
  ): Reply {
    const ctx = this.context(input.id, input.userId, action);
    if (input.context?.origin) ctx.origin = input.context.origin;
    const key = `${action}:${input.id}:${input.idempotencyKey ?? randomUUID()}`;
    const previous = this.replies.replayed(key, ctx.now);
    if (previous) return previous;
    const record = this.records.get(input.id);
    const refusal = clickRefusal(input, record, allowedStates);
    let reply: Reply;
    if (refusal || !record) {
      const code = refusal?.code ?? ApprovalErrorCode.NotFound;
      reply = this.audit.refuse(ctx, record, code, true, refusal?.detail);
    } else if (ctx.now >= record.expiresAtMs) reply = this.audit.expireNow(ctx, record);
    else reply = decide(ctx, record);
    return this.replies.remember(key, ctx.now, reply);
  }

  private result(reply: Reply, id: string, action: string): TransitionResult {
    if (reply.audit) this.auditSink?.(reply.audit);
    if (reply.code < 0) throw toApprovalError(reply.code, { id, record: reply.record && clone(reply.record), action });
    if (!reply.record || !reply.audit) throw new Error(`no record or audit entry for ${id}`);
    return { record: clone(reply.record), audit: reply.audit };
  }
}
