import { createHash, randomUUID } from 'node:crypto';
import { AUDIT_FIELDS, type AuditEntry, fieldsFromFlat, toAuditEntry } from '../audit/audit-entry.js';
import type { AuditReader, AuditSink } from '../audit/audit-port.js';
import { type Clock, systemClock } from '../shared/clock.js';
import type {
  Approval,
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
import { isTerminal } from './approval-port.js';
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
import type { RedisClient } from './redis-connection.js';
import { newRequestId } from './request-id.js';
import { type ApprovalScript, defineApprovalCommands } from './scripts/index.js';

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

interface ScriptReply {
  code: number;
  record: ApprovalRecord | undefined;
  audit: AuditEntry | undefined;
}

type ScriptArg = string | number;

type StoredFields = Readonly<Record<string, string>>;

/** What a script call is sent relative to: the token the script compares, and the fields the caller holds for it. */
interface Base {
  token: string;
  fields: StoredFields;
}

/** How many waiting requests one `listWaitingForDispatch` looks at; far more than are ever waiting at once. */
const WAITING_SCAN_LIMIT = 1_000;

/** How many requests' fields each store keeps so a transition's reply only has to carry what changed. */
const KNOWN_RECORDS_LIMIT = 10_000;

/** Redis adapter for `ApprovalStore`: every transition is one Lua script (compare-and-set + audit entry). */
export class RedisApprovalStore implements ApprovalStore {
  private readonly keys: ApprovalKeys;
  private readonly clock: Clock;
  private readonly replicaId: string;
  private readonly idempotencyTtlMs: number;
  private readonly auditSink: AuditSink | undefined;
  private readonly newId: () => string;
  private readonly scripts: ReadonlyMap<string, ApprovalScript>;
  private readonly dispatchReplicas: number | 'auto';
  private readonly dispatchWaitMs: number;
  /** The stored fields of requests this store recently created or moved, by id (least recently used first). */
  private readonly known = new Map<string, StoredFields>();

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
    this.scripts = defineApprovalCommands(redis);
    this.dispatchReplicas = options.dispatchReplicas ?? 0;
    this.dispatchWaitMs = options.dispatchWaitMs ?? 500;
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
      const reply = await this.run(
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
      return this.result(reply, record.id, 'be created');
    }
    throw toApprovalError(ApprovalErrorCode.IdTaken, { id: 'r-?', action: 'be created' });
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    const fields = await this.redis.hgetall(this.keys.request(id));
    return Object.keys(fields).length > 0 ? fromStoredFields(fields) : undefined;
  }

  async attachCard(id: string, context: ClickContext): Promise<TransitionResult> {
    const base = this.baseFor(id);
    const reply = await this.run(
      'attach-card',
      this.transitionKeys('card', id, randomUUID()),
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
    return this.result(reply, id, 'take a card');
  }

  async approve(input: ApproveInput): Promise<TransitionResult> {
    const reply = await this.click('approve', input, [JSON.stringify(input.eligibleApprovers)]);
    return this.result(reply, input.id, 'be approved');
  }

  async deny(input: DenyInput): Promise<TransitionResult> {
    const reply = await this.click('deny', input, [
      JSON.stringify(input.eligibleApprovers),
      storedReason(input.reason ?? ''),
    ]);
    return this.result(reply, input.id, 'be denied');
  }

  async cancel(input: CancelInput): Promise<TransitionResult> {
    const reply = await this.click('cancel', input, [JSON.stringify(input.eligibleApprovers)]);
    return this.result(reply, input.id, 'be cancelled');
  }

  async breakGlass(input: BreakGlassInput): Promise<TransitionResult> {
    const reply = await this.click('break-glass', input, [storedReason(input.reason)]);
    return this.result(reply, input.id, 'use break-glass');
  }

  async expireDue(limit = 100): Promise<TransitionResult[]> {
    const now = this.clock.now();
    const due = await this.redis.zrangebyscore(this.keys.expiryIndex, '-inf', now, 'LIMIT', 0, limit);
    const expired: TransitionResult[] = [];
    for (const id of due) {
      const base = this.baseFor(id);
      const reply = await this.run(
        'expire',
        this.transitionKeys('expire', id, randomUUID(), true),
        [now, this.idempotencyTtlMs, id, this.replicaId, base.token],
        base,
      );
      if (reply.code === 0 && reply.record && reply.audit) expired.push({ record: reply.record, audit: reply.audit });
    }
    return expired;
  }

  async dispatch(input: DispatchInput): Promise<TransitionResult> {
    const base = this.baseFor(input.id);
    const reply = await this.run(
      'dispatch',
      [
        ...this.transitionKeys('dispatch', input.id, input.idempotencyKey ?? randomUUID(), true),
        this.keys.inflightIndex,
      ],
      [this.clock.now(), this.idempotencyTtlMs, input.id, input.dispatcher, input.expectedDigest, base.token],
      base,
    );
    const claimed = this.result(reply, input.id, 'be dispatched');
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
    const base = this.baseFor(id);
    const reply = await this.run(
      'mark-running',
      [...this.transitionKeys('running', id, randomUUID()), this.keys.inflightIndex],
      [this.clock.now(), this.idempotencyTtlMs, id, this.replicaId, sessionId, base.token],
      base,
    );
    return this.result(reply, id, 'start running');
  }

  async finish(id: string, state: FinishState, result: RunResult, idempotencyKey?: string): Promise<TransitionResult> {
    const reply = await this.runFinish(id, state, result, '', idempotencyKey);
    return this.result(reply, id, `end as ${state}`);
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
      if (reply.code === 0) closed.push(this.result(reply, id, 'be interrupted'));
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
    const base = this.baseFor(id);
    return await this.run(
      'finish',
      [...this.transitionKeys('finish', id, idempotencyKey ?? randomUUID()), this.keys.inflightIndex],
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
    if (!(limit >= 1)) return [];
    // Requests leave the expiry index when dispatched or closed, so what is in it and not yet due is waiting:
    // pending approval (most of it, and few at any time) or approved. Their state and last change tell which.
    const waiting = await this.notYetDueIds();
    if (waiting.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of waiting) pipeline.hmget(this.keys.request(id), 'state', 'updatedAt');
    const replies = (await pipeline.exec()) ?? [];
    const stuck: Array<{ id: string; updatedAt: number }> = [];
    replies.forEach(([error, values], i) => {
      if (error) throw error;
      const [state, updatedAt] = values as [string | null, string | null];
      const id = waiting[i] as string;
      if (state === 'approved' && Number(updatedAt) <= approvedBeforeMs)
        stuck.push({ id, updatedAt: Number(updatedAt) });
    });
    stuck.sort((a, b) => a.updatedAt - b.updatedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const records = await this.loadMany(stuck.slice(0, Math.floor(limit)).map(({ id }) => id));
    return records.filter((record) => record.state === 'approved');
  }

  /** Ids still in the expiry index and not yet due: requests pending approval or approved and not started. */
  private async notYetDueIds(): Promise<string[]> {
    return await this.redis.zrangebyscore(
      this.keys.expiryIndex,
      `(${this.clock.now()}`,
      '+inf',
      'LIMIT',
      0,
      WAITING_SCAN_LIMIT,
    );
  }

  async listPending(limit = 100): Promise<ApprovalRecord[]> {
    if (!(limit >= 1)) return [];
    const waiting = await this.notYetDueIds();
    const records = await this.loadMany(waiting);
    return records
      .filter((record) => record.state === 'pending_approval')
      .sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, Math.floor(limit));
  }

  async recordEvent(input: RequestEventInput): Promise<AuditEntry | undefined> {
    const reply = await this.run(
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
    const reply = await this.run(
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
    return await this.newestFirst(this.keys.byRequester(requester), limit);
  }

  async recent(limit: number): Promise<ApprovalRecord[]> {
    return await this.newestFirst(this.keys.recentIndex, limit);
  }

  private async newestFirst(index: string, limit: number): Promise<ApprovalRecord[]> {
    // ZREVRANGE 0 -1 would mean "everything", so a zero limit must not reach Redis.
    if (!(limit >= 1)) return [];
    return await this.loadMany(await this.redis.zrevrange(index, 0, Math.floor(limit) - 1));
  }

  private async loadMany(ids: string[]): Promise<ApprovalRecord[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.request(id));
    const replies = (await pipeline.exec()) ?? [];
    const records: ApprovalRecord[] = [];
    for (const [error, fields] of replies) {
      if (error) throw error;
      const map = fields as Record<string, string>;
      if (Object.keys(map).length > 0) records.push(fromStoredFields(map));
    }
    return records;
  }

  private async click(verb: string, input: DecisionInput, extra: ScriptArg[]): Promise<ScriptReply> {
    const base = this.baseFor(input.id);
    return await this.run(
      verb,
      this.transitionKeys(verb, input.id, input.idempotencyKey ?? randomUUID(), true),
      [
        this.clock.now(),
        this.idempotencyTtlMs,
        input.id,
        input.userId,
        input.expectedVersion ?? '',
        input.expectedDigest ?? '',
        // '' only when the call is no click; a click is checked even when the chat sent no conversation or message.
        input.context ? `:${input.context.conversation}` : '',
        input.context?.messageRef ?? '',
        ...extra,
        base.token,
      ],
      base,
    );
  }

  /**
   * The revision of a request this store already holds ('' when none), sent so the reply carries only changes. The
   * scripts set `rev` to the hash of the audit entry of each write, so it names one exact content of the record.
   */
  private baseFor(id: string): Base {
    const fields = this.known.get(id);
    return fields ? { token: fields['rev'] ?? '', fields } : { token: '', fields: {} };
  }

  /** Keeps the fields of a request that can still change, dropping the least recently used beyond the limit. */
  private remember(fields: StoredFields): void {
    const id = fields['id'];
    if (id === undefined) return;
    const held = this.known.get(id);
    if (held && Number(held['version']) > Number(fields['version'])) return;
    this.known.delete(id);
    if (isTerminal(fields['state'] as RequestState)) return;
    this.known.set(id, fields);
    if (this.known.size > KNOWN_RECORDS_LIMIT) {
      const oldest = this.known.keys().next();
      if (!oldest.done) this.known.delete(oldest.value);
    }
  }

  private transitionKeys(verb: string, id: string, idempotencyKey: string, withExpiryIndex = false): string[] {
    const list = [
      this.keys.request(id),
      this.keys.idempotency(verb, id, idempotencyKey),
      this.keys.auditStream,
      this.keys.auditHead,
    ];
    if (withExpiryIndex) list.push(this.keys.expiryIndex);
    return list;
  }

  private result(reply: ScriptReply, id: string, action: string): TransitionResult {
    if (reply.audit) this.auditSink?.(reply.audit);
    if (reply.code < 0) throw toApprovalError(reply.code, { id, record: reply.record, action });
    if (!reply.record || !reply.audit) throw new Error(`script for ${id} returned no record or audit entry`);
    return { record: reply.record, audit: reply.audit };
  }

  /**
   * Runs one registered script. `defineCommand` adds methods ioredis cannot type, so this is the single place the
   * client is viewed as a bag of functions and the raw reply is narrowed.
   */
  private async run(verb: string, keyList: string[], args: ScriptArg[], base?: Base): Promise<ScriptReply> {
    const script = this.scripts.get(verb);
    if (!script) throw new Error(`no approval script for ${verb}`);
    const commands = this.redis as unknown as Record<string, (...values: ScriptArg[]) => Promise<unknown>>;
    const command = commands[script.commandName];
    if (!command) throw new Error(`approval script ${script.commandName} is not registered`);
    const raw = await command.call(this.redis, ...keyList, ...args);
    if (!Array.isArray(raw) || typeof raw[0] !== 'number' || typeof raw[1] !== 'string') {
      throw new Error('unexpected approval script reply');
    }
    const part = fieldsFromFlat(Array.isArray(raw[2]) ? (raw[2] as string[]) : []);
    let fields: StoredFields = part;
    if (raw[1] !== '') {
      // Only the changes came back: they apply to exactly the fields this call was sent with.
      if (!base || base.token !== raw[1]) throw new Error(`approval script ${verb} answered for an unknown base`);
      fields = { ...base.fields, ...part };
    }
    const hasRecord = fields['version'] !== undefined;
    if (hasRecord) this.remember(fields);
    return {
      code: raw[0],
      record: hasRecord ? fromStoredFields(fields) : undefined,
      audit: parseAuditValues(Array.isArray(raw[3]) ? (raw[3] as string[]) : []),
    };
  }
}

/** Audit values as the scripts return them: AUDIT_FIELDS in order, then hash and stream id. */
function parseAuditValues(values: readonly string[]): AuditEntry | undefined {
  if (values.length === 0) return undefined;
  const fields: Record<string, string> = {};
  AUDIT_FIELDS.forEach((name, i) => {
    fields[name] = values[i] ?? '';
  });
  fields['hash'] = values[AUDIT_FIELDS.length] ?? '';
  const streamId = values[AUDIT_FIELDS.length + 1];
  return toAuditEntry(streamId === undefined ? { fields } : { fields, streamId });
}

const flag = (value: boolean): string => (value ? '1' : '0');

/** The request as the scripts see it: a flat hash of strings. */
function toStoredFields(record: ApprovalRecord): Record<string, string> {
  return {
    id: record.id,
    state: record.state,
    requester: record.requester,
    channel: record.channel,
    card: record.cardRef,
    clusterAlias: record.target.clusterAlias,
    cluster: record.target.cluster,
    taskArn: record.target.taskArn,
    container: record.target.container,
    command: record.command,
    runbook: record.runbook ?? '',
    params: JSON.stringify(record.params),
    reason: record.reason,
    rule: record.ruleName,
    policyVersion: record.policyVersion,
    approverGroups: JSON.stringify(record.approval.approverGroups),
    requiredCount: String(record.approval.count),
    selfApproval: flag(record.approval.selfApproval),
    breakGlassAllowed: flag(record.approval.breakGlassAllowed),
    approvals: '[]',
    breakGlass: '0',
    expiresAt: String(record.expiresAtMs),
    digest: record.digest,
    timeoutMs: record.timeoutMs === undefined ? '' : String(record.timeoutMs),
    noWrap: flag(record.noWrap === true),
  };
}

function fromStoredFields(fields: Record<string, string>): ApprovalRecord {
  const text = (name: string): string => fields[name] ?? '';
  const json = <T>(name: string, fallback: T): T => {
    const value = fields[name];
    return value ? (JSON.parse(value) as T) : fallback;
  };
  // cjson writes an empty Lua table as `{}`; an approvals list is an array either way.
  const approvals = json<Approval[] | Record<string, never>>('approvals', []);
  const record: ApprovalRecord = {
    id: text('id'),
    state: text('state') as RequestState,
    version: Number(text('version')),
    requester: text('requester'),
    channel: text('channel'),
    // Records written before card references were opaque kept the same value under `cardTs`.
    cardRef: fields['card'] ?? text('cardTs'),
    target: {
      clusterAlias: text('clusterAlias'),
      cluster: text('cluster'),
      taskArn: text('taskArn'),
      container: text('container'),
    },
    command: text('command'),
    params: json<Record<string, string>>('params', {}),
    reason: text('reason'),
    ruleName: text('rule'),
    policyVersion: text('policyVersion'),
    approval: {
      approverGroups: json<string[]>('approverGroups', []),
      count: Number(text('requiredCount')),
      selfApproval: text('selfApproval') === '1',
      breakGlassAllowed: text('breakGlassAllowed') === '1',
    },
    approvals: Array.isArray(approvals) ? approvals.map(({ userId, atMs }) => ({ userId, atMs: Number(atMs) })) : [],
    breakGlass: text('breakGlass') === '1',
    createdAtMs: Number(text('createdAt')),
    expiresAtMs: Number(text('expiresAt')),
    updatedAtMs: Number(text('updatedAt')),
    digest: text('digest'),
  };
  if (fields['runbook']) record.runbook = text('runbook');
  if (fields['timeoutMs']) record.timeoutMs = Number(text('timeoutMs'));
  if (fields['noWrap'] === '1') record.noWrap = true;
  if (fields['breakGlassReason']) record.breakGlassReason = text('breakGlassReason');
  if (fields['deniedBy']) record.deniedBy = text('deniedBy');
  if (fields['denyReason']) record.denyReason = text('denyReason');
  if (fields['cancelledBy']) record.cancelledBy = text('cancelledBy');
  if (fields['sessionId']) record.sessionId = text('sessionId');
  if (fields['owner']) record.owner = text('owner');
  if (fields['result']) record.result = json<RunResult>('result', { bytes: 0, sha256: '', redactions: 0 });
  return record;
}

/** What protects a stored `dispatched` claim against a crash or failover, for a start-up check. */
export interface RedisDurability {
  appendonly: string;
  appendfsync: string;
  connectedReplicas: number;
  /** Plain-words problems; empty when writes are fsynced on every command or replicated. */
  warnings: string[];
}

/**
 * Whether a `dispatched` claim Redis acknowledged survives any crash: written to an AOF fsynced on every command, on
 * a primary with no replicas a failover could promote without it. Only then may an approved request that nobody
 * started be started by another replica (see `startOrphansAfterMs`): otherwise a lost claim could run a command twice.
 */
export function keepsEveryClaim(durability: RedisDurability | undefined): boolean {
  return (
    durability !== undefined &&
    durability.appendonly === 'yes' &&
    durability.appendfsync === 'always' &&
    durability.connectedReplicas === 0
  );
}

/**
 * Reads the server's persistence settings. Returns undefined when `CONFIG` is not allowed (a locked-down ACL user,
 * as recommended), in which case the operator has to vouch for the settings.
 */
export async function describeRedisDurability(
  redis: RedisClient,
  slotKey: string = keys(DEFAULT_KEY_PREFIX).auditHead,
): Promise<RedisDurability | undefined> {
  try {
    const [, appendonly = ''] = await onSlotNode(redis, slotKey, 'config', 'GET', 'appendonly');
    const [, appendfsync = ''] = await onSlotNode(redis, slotKey, 'config', 'GET', 'appendfsync');
    const connectedReplicas = connectedReplicasOf(await onSlotNode(redis, slotKey, 'info', 'replication'));
    const warnings: string[] = [];
    if (appendonly !== 'yes' && connectedReplicas === 0) {
      warnings.push('Redis has no AOF and no replica: a crash can forget that a request was already dispatched.');
    } else if (appendfsync !== 'always' && connectedReplicas === 0) {
      warnings.push(`Redis fsyncs the AOF "${appendfsync}": up to a second of approvals can be lost in a crash.`);
    }
    return { appendonly, appendfsync, connectedReplicas, warnings };
  } catch {
    return undefined;
  }
}

/** Replies of the keyless commands `onSlotNode` sends. */
interface SlotNodeReplies {
  info: string;
  wait: number;
  config: string[];
}

/**
 * Sends one keyless command to the node that holds `slotKey`. On a cluster a keyless command would go to any node,
 * but `WAIT` only counts replicas of the writes made on its own connection, and the persistence settings that
 * matter are those of the node holding our slot; a pipeline goes to the node of its keys, so an `EXISTS` on the
 * key steers it. On a single node the `EXISTS` only rides along in the same round trip.
 */
async function onSlotNode<C extends keyof SlotNodeReplies>(
  redis: RedisClient,
  slotKey: string,
  command: C,
  ...args: (string | number)[]
): Promise<SlotNodeReplies[C]> {
  const replies = await redis
    .pipeline()
    .exists(slotKey)
    .call(command, ...args)
    .exec();
  const [error, reply] = replies?.[1] ?? [new Error(`no reply to ${command}`), undefined];
  if (error) throw error;
  return reply as SlotNodeReplies[C];
}

/** `connected_slaves` from an `INFO replication` reply. */
function connectedReplicasOf(info: string): number {
  return Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
}

/** Reads an audit chain stored by the scripts: the stream in pages, and the chain head hash. */
export function createRedisAuditReader(
  redis: RedisClient,
  keySet: Pick<ApprovalKeys, 'auditStream' | 'auditHead'>,
): AuditReader {
  return {
    async *entries() {
      let start = '-';
      for (;;) {
        const page = await redis.xrange(keySet.auditStream, start, '+', 'COUNT', 500);
        for (const [streamId, flat] of page) yield { streamId, fields: fieldsFromFlat(flat) };
        if (page.length < 500) return;
        start = `(${page[page.length - 1]?.[0]}`;
      }
    },
    async head() {
      const head = await redis.hgetall(keySet.auditHead);
      if (!head['seq']) return undefined;
      return { seq: Number(head['seq']), hash: head['hash'] ?? '' };
    },
  };
}
