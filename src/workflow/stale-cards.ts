import { type ApprovalRecord, isTerminal } from '../approval/approval-port.js';
import type { Asker } from './chat-port.js';
import type { RequestCards } from './request-cards.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** How many recent requests a starting replica looks at, and how far back, when it brings final cards up to date. */
const START_RECONCILE_LIMIT = 25;
const START_RECONCILE_WINDOW_MS = 60 * 60_000;

export interface StaleCards {
  /**
   * Handles a click on a card the store does not back: the request is unknown (a restart without persistence), or
   * the clicked message is not the request's card (its post's answer was lost, so the request was cancelled and
   * another card, or none, is the real one). The clicked message is updated to say so, with no buttons, and the
   * person is told. Returns true when the click was handled here. `onCard` is false for buttons that live on another
   * message of a known request (Stop, on the live tail), which only an unknown request makes stale.
   */
  onClick(requestId: string, record: ApprovalRecord | undefined, asker: Asker, onCard?: boolean): Promise<boolean>;
  /**
   * Brings the cards of recently closed requests up to date once at start-up: a card whose last update was lost
   * (the chat down, the replica stopped in between) would otherwise keep buttons for a request that is over.
   */
  reconcileOnStart(): Promise<number>;
}

export function createStaleCards(
  deps: Pick<WorkflowDeps, 'store' | 'chat' | 'clock' | 'logger'>,
  cards: RequestCards,
): StaleCards {
  const { chat } = deps;
  return {
    async onClick(requestId, record, asker, onCard = true) {
      const clicked = asker.clickedMessage;
      if (!clicked || !asker.conversation || (record && !onCard)) return false;
      const isItsCard = record !== undefined && record.cardRef === clicked && record.channel === asker.conversation;
      if (isItsCard) return false;
      // The button was on a message the bot posted for this request id, so replacing it can only retire that card.
      await chat
        .retireCard(asker.conversation, clicked, requestId, record)
        .catch((error: unknown) => deps.logger.warn({ err: error, requestId }, 'stale card not updated'));
      const id = chat.plain(requestId);
      await asker.reply(
        record
          ? `:no_entry: That card is out of date: ${id} is ${chat.words.state(record.state)}. Nothing was done.`
          : `:x: There is no request ${id}: the bot does not know it (it may have been lost in a restart). Nothing was done.`,
      );
      return true;
    },
    async reconcileOnStart() {
      const since = deps.clock.now() - START_RECONCILE_WINDOW_MS;
      const recent = await deps.store.recent(START_RECONCILE_LIMIT);
      const closed = recent.filter(
        (record) => isTerminal(record.state) && record.cardRef !== '' && record.updatedAtMs >= since,
      );
      for (const record of closed) await cards.refresh(record).catch(() => {});
      return closed.length;
    },
  };
}
