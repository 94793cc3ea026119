import type { AuditEntry } from '../audit/audit-entry.js';
import { fieldsFromFlat } from '../audit/audit-entry.js';
import type { AuditSink } from '../audit/audit-port.js';
import { type ApprovalRecord, isTerminal, type RequestState, type TransitionResult } from './approval-port.js';
import { toApprovalError } from './errors.js';
import type { ApprovalKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';
import { fromStoredFields, parseAuditValues, type StoredFields } from './redis-stored-fields.js';
import { type ApprovalScript, defineApprovalCommands } from './scripts/index.js';

/** A script's answer, decoded. */
export interface ScriptReply {
  code: number;
  record: ApprovalRecord | undefined;
  audit: AuditEntry | undefined;
}

export type ScriptArg = string | number;

/** What a script call is sent relative to: the token the script compares, and the fields the caller holds for it. */
export interface Base {
  token: string;
  fields: StoredFields;
}

/** How many requests' fields each store keeps so a transition's reply only has to carry what changed. */
const KNOWN_RECORDS_LIMIT = 10_000;

/**
 * Calls the approval scripts for one store: their keys, the base each call is sent relative to (the fields of the
 * requests this store recently created or moved), and the decoding of their replies into records, audit entries and
 * errors.
 */
export class ApprovalScriptRunner {
  private readonly scripts: ReadonlyMap<string, ApprovalScript>;
  /** The stored fields of requests this store recently created or moved, by id (least recently used first). */
  private readonly known = new Map<string, StoredFields>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: ApprovalKeys,
    private readonly auditSink: AuditSink | undefined,
  ) {
    this.scripts = defineApprovalCommands(redis);
  }

  /**
   * The revision of a request this store already holds ('' when none), sent so the reply carries only changes. The
   * scripts set `rev` to the hash of the audit entry of each write, so it names one exact content of the record.
   */
  baseFor(id: string): Base {
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

  transitionKeys(verb: string, id: string, idempotencyKey: string, withExpiryIndex = false): string[] {
    const list = [
      this.keys.request(id),
      this.keys.idempotency(verb, id, idempotencyKey),
      this.keys.auditStream,
      this.keys.auditHead,
    ];
    if (withExpiryIndex) list.push(this.keys.expiryIndex);
    return list;
  }

  result(reply: ScriptReply, id: string, action: string): TransitionResult {
    if (reply.audit) this.auditSink?.(reply.audit);
    if (reply.code < 0) throw toApprovalError(reply.code, { id, record: reply.record, action });
    if (!reply.record || !reply.audit) throw new Error(`script for ${id} returned no record or audit entry`);
    return { record: reply.record, audit: reply.audit };
  }

  /**
   * Runs one registered script. `defineCommand` adds methods ioredis cannot type, so this is the single place the
   * client is viewed as a bag of functions and the raw reply is narrowed.
   */
  async run(verb: string, keyList: string[], args: ScriptArg[], base?: Base): Promise<ScriptReply> {
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
