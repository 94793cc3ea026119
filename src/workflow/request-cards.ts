import type { ApprovalRecord } from '../approval/approval-port.js';
import type { CardNote } from './chat-port.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** Keeps each request's card in the conversation in step with the stored request. */
export interface RequestCards {
  /**
   * Updates the card; resolves once this update (and the ones queued before it) reached the chat. A `note` is shown
   * under the card (what went wrong delivering the result).
   */
  refresh(record: ApprovalRecord, note?: CardNote): Promise<void>;
}

/**
 * Updates of one card are queued, and each renders the record as stored when it is sent, so a slow update (say,
 * one waiting out a rate limit) can never land after a newer one and show an old state.
 */
export function createRequestCards(deps: Pick<WorkflowDeps, 'store' | 'chat' | 'config'>): RequestCards {
  const queues = new Map<string, Promise<void>>();
  return {
    refresh(record, note) {
      if (!record.cardRef) return Promise.resolve();
      const previous = queues.get(record.id) ?? Promise.resolve();
      const next = previous.then(async () => {
        const latest = (await deps.store.get(record.id)) ?? record;
        await deps.chat.updateRequest(latest, deps.config.current().policy, note);
      });
      const settled = next.catch(() => {});
      queues.set(record.id, settled);
      void settled.then(() => {
        if (queues.get(record.id) === settled) queues.delete(record.id);
      });
      return next;
    },
  };
}
