import type { Clock } from '../shared/clock.js';
import type { ApprovalRecord } from './approval-port.js';
import type { ApprovalKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';
import { fromStoredFields } from './redis-stored-fields.js';

/** How many waiting requests one `waitingForDispatch` looks at; far more than are ever waiting at once. */
const WAITING_SCAN_LIMIT = 1_000;

/** The store's listings: requests read through their indexes, never changed. */
export class RedisRequestReads {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: ApprovalKeys,
    private readonly clock: Clock,
  ) {}

  async waitingForDispatch(approvedBeforeMs: number, limit = 100): Promise<ApprovalRecord[]> {
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

  async pending(limit = 100): Promise<ApprovalRecord[]> {
    if (!(limit >= 1)) return [];
    const waiting = await this.notYetDueIds();
    const records = await this.loadMany(waiting);
    return records
      .filter((record) => record.state === 'pending_approval')
      .sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, Math.floor(limit));
  }

  async byRequester(requester: string, limit: number): Promise<ApprovalRecord[]> {
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
}
