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
import { type ApprovalKeys, DEFAULT_KEY_PREFIX, keys } from './keys.js';
import { createRedisAuditReader } from './redis-audit-reader.js';
import type { RedisClient } from './redis-connection.js';
import { connectedReplicasOf, onSlotNode } from './redis-durability.js';
import { RedisRequestReads } from './redis-request-reads.js';
import { ApprovalScriptRunner, type ScriptArg, type ScriptReply } from './redis-script-runner.js';
import { fromStoredFields, toStoredFields } from './redis-stored-fields.js';
import { newRequestId } from './request-id.js';

/** Options for the Redis-backed store. */
export interface RedisApprovalStoreOptions {
  /** Key prefix; default `ecs-exec:`. */
  prefix?: string;
  clock?: Clock;
  /** Who is acting when no user is (dispatcher, sweeper), recorded in audit entries. */
  replicaId?: string;
  idempotencyTtlMs?: number;
  /** Receives every audit entry the store writes (JSON log lines, audit channel). */
  auditSink?: AuditSink;
  /** Makes request ids; tests pass a fixed sequence to force clashes. */
  newId?: () => string;
  /**
   * Replicas that must confirm a `dispatched` record (Redis `WAIT`) before `dispatch` returns, so a failover cannot
   * forget a claim after ExecuteCommand was called. 0 (default) relies on the primary's own AOF setting. `'auto'`
   * asks the primary at each claim (`INFO replication`) and waits for one replica whenever it has any.
   */
  dispatchReplicas?: number | 'auto';
  /** How long to wait for those replicas; default 500 ms. */
  dispatchWaitMs?: number;
}

/** Redis adapter for `ApprovalStore`: every transition is one Lua script (compare-and-set + audit entry). */
export class RedisApprovalStore implements ApprovalStore {
  private readonly keys: ApprovalKeys;
  private readonly clock: Clock;
  private readonly replicaId: string;
  private readonly idempotencyTtlMs: number;
  private readonly auditSink: AuditSink | undefined;
  private readonly newId: () => string;
  private readonly dispatchReplicas: number | 'auto';
  private readonly dispatchWaitMs: number;
  private readonly scripts: ApprovalScriptRunner;
  private readonly reads: RedisRequestReads;

  constructor(
    private readonly redis: RedisClient,
    options: RedisApprovalStoreOptions = {},
  ) {
    this.keys = keys(options.prefix ?? DEFAULT_KEY_PREFIX);
    this.clock = options.clock ?? systemClock;
    this.replicaId = options.replicaId ?? `replica-${randomUUID().slice(0, 8)}`;
    this.idempotencyTtlMs = options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
    this.auditSink = options.auditSink;
    this.newId = options.newId ?? newRequestId;
    this.dispatchReplicas = options.dispatchReplicas ?? 0;
    this.dispatchWaitMs = options.dispatchWaitMs ?? 500;
    this.scripts = new ApprovalScriptRunner(redis, this.keys, this.auditSink);
    this.reads = new RedisRequestReads(redis, this.keys, this.clock);
  }

  /** Reads this store's audit chain (for `verifyAuditChain` and export). */
  auditReader(): AuditReader {
    return createRedisAuditReader(this.redis, this.keys);
  }

  async create(input: CreateRequestInput): Promise<TransitionResult> {
    assertCreateInput(input);
    const idempotencyKey = input.idempotencyKey ?? randomUUID();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const now = this.clock.now();
      const record = initialRecord(this.newId(), input, now);
      const fields = toStoredFields(record);
      const reply = await this.scripts.run(
        'create',
        [
          this.keys.request(record.id),
          this.keys.idempotency('create', 'new', idempotencyKey),
          this.keys.auditStream,
          this.keys.auditHead,
          this.keys.expiryIndex,
          this.keys.byRequester(record.requester),
          this.keys.recentIndex,
        ],
        [
          now,
          this.idempotencyTtlMs,
          record.id,
          record.requester,
          JSON.stringify(createAuditDetail(record)),
          record.id,
          JSON.stringify(fields),
        ],
        { token: record.id, fields },
      );
      if (reply.code === ApprovalErrorCode.IdTaken) continue;
      return this.scripts.result(reply, record.id, 'be created');
    }
    throw toApprovalError(ApprovalErrorCode.IdTaken, { id: 'r-?', action: 'be created' });
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    const fields = await this.redis.hgetall(this.keys.request(id));
    return Object.keys(fields).length > 0 ? fromStoredFields(fields) : undefined;
  }

  async attachCard(id: string, context: ClickContext): Promise<TransitionResult> {
    const base = this.scripts.baseFor(id);
    const reply = await this.scripts.run(
      'attach-card',
      this.scripts.transitionKeys('card', id, randomUUID()),
      [
        this.clock.now(),
        this.idempotencyTtlMs,
        id,
        this.replicaId,
        context.conversation,
        context.messageRef,
        base.token,
      ],
      base,
    );
    return this.scripts.result(reply, id, 'take a card');
  }

  async approve(input: ApproveInput): Promise<TransitionResult> {
    const reply = await this.click('approve', input, [JSON.stringify(input.eligibleApprovers)]);
    return this.scripts.result(reply, input.id, 'be approved');
  }

  async deny(input: DenyInput): Promise<TransitionResult> {
    const reply = await this.click('deny', input, [
      JSON.stringify(input.eligibleApprovers),
      storedReason(input.reason ?? ''),
    ]);
    return this.scripts.result(reply, input.id, 'be denied');
  }

  async cancel(input: CancelInput): Promise<TransitionResult> {
    const reply = await this.click('cancel', input, [JSON.stringify(input.eligibleApprovers)]);
    return this.scripts.result(reply, input.id, 'be cancelled');
  }

  async breakGlass(input: BreakGlassInput): Promise<TransitionResult> {
    const reply = await this.click('break-glass', input, [storedReason(input.reason)]);
    return this.scripts.result(reply, input.id, 'use break-glass');
  }

  async expireDue(limit = 100): Promise<TransitionResult[]> {
    const now = this.clock.now();
    const due = await this.redis.zrangebyscore(this.keys.expiryIndex, '-inf', now, 'LIMIT', 0, limit);
    const expired: TransitionResult[] = [];
    for (const id of due) {
      const base = this.scripts.baseFor(id);
      const reply = await this.scripts.run(
        'expire',
        this.scripts.transitionKeys('expire', id, randomUUID(), true),
        [now, this.idempotencyTtlMs, id, this.replicaId, base.token],
        base,
      );
      if (reply.code === 0 && reply.record && reply.audit) expired.push({ record: reply.record, audit: reply.audit });
    }
    return expired;
  }

  async dispatch(input: DispatchInput): Promise<TransitionResult> {
    const base = this.scripts.baseFor(input.id);
    const reply = await this.scripts.run(
      'dispatch',
      [
        ...this.scripts.transitionKeys('dispatch', input.id, input.idempotencyKey ?? randomUUID(), true),
        this.keys.inflightIndex,
      ],
      [this.clock.now(), this.idempotencyTtlMs, input.id, input.dispatcher, input.expectedDigest, base.token],
      base,
    );
    const claimed = this.scripts.result(reply, input.id, 'be dispatched');
    const slotKey = this.keys.request(input.id);
    const needed =
      this.dispatchReplicas === 'auto'
        ? Math.min(1, connectedReplicasOf(await onSlotNode(this.redis, slotKey, 'info', 'replication')))
        : this.dispatchReplicas;
    if (needed > 0) {
      const confirmed = await onSlotNode(this.redis, slotKey, 'wait', needed, this.dispatchWaitMs);
      if (confirmed < needed) {
        // The claim may not survive a failover, so nothing may run on it: close it as an error, audited, and say so.
        const closed = await this.finish(input.id, 'error', {
          bytes: 0,
          sha256: '',
          redactions: 0,
          detail:
            `dispatch confirmed by ${confirmed} of ${needed} Redis replicas within ${this.dispatchWaitMs} ms ` +
            '(WAIT); nothing ran',
        });
        throw toApprovalError(ApprovalErrorCode.NotDurable, { id: input.id, record: closed.record, action: 'run' });
      }
    }
    return claimed;
  }

  async markRunning(id: string, sessionId: string): Promise<TransitionResult> {
    const base = this.scripts.baseFor(id);
    const reply = await this.scripts.run(
      'mark-running',
      [...this.scripts.transitionKeys('running', id, randomUUID()), this.keys.inflightIndex],
      [this.clock.now(), this.idempotencyTtlMs, id, this.replicaId, sessionId, base.token],
      base,
    );
    return this.scripts.result(reply, id, 'start running');
  }

  async finish(id: string, state: FinishState, result: RunResult, idempotencyKey?: string): Promise<TransitionResult> {
    const reply = await this.runFinish(id, state, result, '', idempotencyKey);
    return this.scripts.result(reply, id, `end as ${state}`);
  }

  async ownsRun(id: string, owner: string): Promise<boolean> {
    const [state, holder] = await this.redis.hmget(this.keys.request(id), 'state', 'owner');
    return (state === 'dispatched' || state === 'running') && holder === owner;
  }

  async reportProgress(id: string): Promise<void> {
    // XX: only requests still in flight; a late report never resurrects a finished one.
    await this.redis.zadd(this.keys.inflightIndex, 'XX', this.clock.now(), id);
  }

  async interruptStale(idleForMs: number, limit = 100): Promise<TransitionResult[]> {
    const cutoff = this.clock.now() - idleForMs;
    const stale = await this.redis.zrangebyscore(this.keys.inflightIndex, '-inf', cutoff, 'LIMIT', 0, limit);
    const closed: TransitionResult[] = [];
    for (const id of stale) {
      const reply = await this.runFinish(id, 'interrupted', staleResult(idleForMs), cutoff);
      if (reply.code === 0) closed.push(this.scripts.result(reply, id, 'be interrupted'));
    }
    return closed;
  }

  private async runFinish(
    id: string,
    state: FinishState,
    result: RunResult,
    idleSince: number | '',
    idempotencyKey?: string,
  ): Promise<ScriptReply> {
    const base = this.scripts.baseFor(id);
    return await this.scripts.run(
      'finish',
      [...this.scripts.transitionKeys('finish', id, idempotencyKey ?? randomUUID()), this.keys.inflightIndex],
      [
        this.clock.now(),
        this.idempotencyTtlMs,
        id,
        this.replicaId,
        state,
        JSON.stringify(result),
        idleSince,
        base.token,
      ],
      base,
    );
  }

  async listWaitingForDispatch(approvedBeforeMs: number, limit = 100): Promise<ApprovalRecord[]> {
    return await this.reads.waitingForDispatch(approvedBeforeMs, limit);
  }

  async listPending(limit = 100): Promise<ApprovalRecord[]> {
    return await this.reads.pending(limit);
  }

  async recordEvent(input: RequestEventInput): Promise<AuditEntry | undefined> {
    const reply = await this.scripts.run(
      'note',
      [this.keys.marker(input.once?.marker ?? 'none'), this.keys.auditStream, this.keys.auditHead],
      [
        this.clock.now(),
        input.once ? Math.max(1, Math.floor(input.once.ttlMs)) : '',
        input.record.id,
        input.action,
        input.actor,
        input.record.state,
        input.record.version,
        input.outcome,
        JSON.stringify(input.detail ?? {}),
        input.record.policyVersion ?? '',
      ],
    );
    if (reply.code !== 0 || !reply.audit) return undefined;
    this.auditSink?.(reply.audit);
    return reply.audit;
  }

  async recordRejection(input: RejectionInput): Promise<AuditEntry> {
    const sha256 = createHash('sha256').update(input.requestText, 'utf8').digest('hex');
    const reply = await this.scripts.run(
      'reject',
      [this.keys.idempotency('reject', 'new', randomUUID()), this.keys.auditStream, this.keys.auditHead],
      [
        this.clock.now(),
        this.idempotencyTtlMs,
        input.requester,
        JSON.stringify(rejectionAuditDetail(input, sha256)),
        input.policyVersion ?? '',
      ],
    );
    if (!reply.audit) throw new Error('reject script returned no audit entry');
    this.auditSink?.(reply.audit);
    return reply.audit;
  }

  async listByRequester(requester: string, limit: number): Promise<ApprovalRecord[]> {
    return await this.reads.byRequester(requester, limit);
  }

  async recent(limit: number): Promise<ApprovalRecord[]> {
    return await this.reads.recent(limit);
  }

  private async click(verb: string, input: DecisionInput, extra: ScriptArg[]): Promise<ScriptReply> {
    const base = this.scripts.baseFor(input.id);
    return await this.scripts.run(
      verb,
      this.scripts.transitionKeys(verb, input.id, input.idempotencyKey ?? randomUUID(), true),
      [
        this.clock.now(),
        this.idempotencyTtlMs,
        input.id,
        input.userId,
        input.expectedVersion ?? '',
        input.expectedDigest ?? '',
        // '' only when the call is no click; a click is checked even when the chat sent no conversation or message.
        // 'home:' is a click on the person's Home view (see ClickContext.origin).
        input.context?.origin === 'home' ? 'home:' : input.context ? `:${input.context.conversation}` : '',
        input.context?.messageRef ?? '',
        ...extra,
        base.token,
      ],
      base,
    );
  }
}
