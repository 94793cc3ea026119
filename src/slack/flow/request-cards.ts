import type { ApprovalRecord } from '../../approval/approval-port.js';
import type { FlowDeps } from './flow-deps.js';
import * as views from './views.js';

/** Keeps each request's card in the channel in step with the stored request. */
export interface RequestCards {
  /**
   * Updates the card; resolves once this update (and the ones queued before it) reached Slack. A `note` is shown
   * under the card (what went wrong delivering the result).
   */
  refresh(record: ApprovalRecord, note?: string): Promise<void>;
}

/**
 * Updates of one card are queued, and each renders the record as stored when it is sent, so a slow update (say,
 * one waiting out a 429) can never land after a newer one and show an old state.
 */
export function createRequestCards(deps: Pick<FlowDeps, 'store' | 'notifier' | 'config' | 'clock'>): RequestCards {
  const queues = new Map<string, Promise<void>>();
  return {
    refresh(record, note) {
      if (!record.cardMessageTs) return Promise.resolve();
      const previous = queues.get(record.id) ?? Promise.resolve();
      const next = previous.then(async () => {
        const latest = (await deps.store.get(record.id)) ?? record;
        const card = views.requestCard(latest, deps.config.current().policy, deps.clock.now());
        if (note) {
          card.blocks = [...(card.blocks ?? []), { type: 'context', elements: [{ type: 'mrkdwn', text: note }] }];
          card.text = `${card.text}\n${note}`;
        }
        await deps.notifier.updateMessage(latest.channel, latest.cardMessageTs, card);
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
