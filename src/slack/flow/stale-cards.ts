import { type ApprovalRecord, isTerminal } from '../../approval/approval-port.js';
import { neutraliseSlackText } from '../../output/neutralise.js';
import type { ActionContext } from '../listeners/index.js';
import type { SlackMessage } from '../slack-port.js';
import type { FlowDeps } from './flow-deps.js';
import type { RequestCards } from './request-cards.js';
import { stateText } from './views.js';

/** How many recent requests a starting replica looks at, and how far back, when it brings final cards up to date. */
const START_RECONCILE_LIMIT = 25;
const START_RECONCILE_WINDOW_MS = 60 * 60_000;

/** What a card whose buttons can no longer do anything turns into: what happened, and no buttons. */
export function staleCardNotice(requestId: string, record: ApprovalRecord | undefined): SlackMessage {
  const id = neutraliseSlackText(requestId);
  const text = record
    ? `🗂 This card is out of date: request ${id} is ${stateText(record.state)}` +
      (record.cardMessageTs ? ' and is shown on its current card.' : '. Nothing will run from this card.')
    : `🗂 The bot does not know request ${id} (it may have been lost when the bot restarted without its store). ` +
      'Nothing will run from this card; send the request again if it is still needed.';
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

export interface StaleCards {
  /**
   * Handles a click on a card the store does not back: the request is unknown (a restart without persistence), or
   * the clicked message is not the request's card (its post's answer was lost, so the request was cancelled and
   * another card, or none, is the real one). The clicked message is updated to say so, with no buttons, and the
   * person is told. Returns true when the click was handled here. `onCard` is false for buttons that live on another
   * message of a known request (Stop, on the live tail), which only an unknown request makes stale.
   */
  onClick(
    requestId: string,
    record: ApprovalRecord | undefined,
    context: ActionContext,
    onCard?: boolean,
  ): Promise<boolean>;
  /**
   * Brings the cards of recently closed requests up to date once at start-up: a card whose last update was lost
   * (Slack down, the replica stopped in between) would otherwise keep buttons for a request that is over.
   */
  reconcileOnStart(): Promise<number>;
}

export function createStaleCards(
  deps: Pick<FlowDeps, 'store' | 'notifier' | 'clock' | 'logger'>,
  cards: RequestCards,
): StaleCards {
  return {
    async onClick(requestId, record, context, onCard = true) {
      const clicked = context.messageTs;
      if (!clicked || !context.channelId || (record && !onCard)) return false;
      const isItsCard =
        record !== undefined && record.cardMessageTs === clicked && record.channel === context.channelId;
      if (isItsCard) return false;
      // The button was on a message the bot posted for this request id, so replacing it can only retire that card.
      await deps.notifier
        .updateMessage(context.channelId, clicked, staleCardNotice(requestId, record))
        .catch((error: unknown) => deps.logger.warn({ err: error, requestId }, 'stale card not updated'));
      const id = neutraliseSlackText(requestId);
      await context.respond({
        text: record
          ? `:no_entry: That card is out of date: ${id} is ${stateText(record.state)}. Nothing was done.`
          : `:x: There is no request ${id}: the bot does not know it (it may have been lost in a restart). Nothing was done.`,
      });
      return true;
    },
    async reconcileOnStart() {
      const since = deps.clock.now() - START_RECONCILE_WINDOW_MS;
      const recent = await deps.store.recent(START_RECONCILE_LIMIT);
      const closed = recent.filter(
        (record) => isTerminal(record.state) && record.cardMessageTs !== '' && record.updatedAtMs >= since,
      );
      for (const record of closed) await cards.refresh(record).catch(() => {});
      return closed.length;
    },
  };
}
