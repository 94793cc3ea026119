import type { Logger } from '../shared/logger.js';
import type { ResultDelivery } from '../workflow/chat-port.js';
import type { LiveTail } from './live-tail-updater.js';
import { type SlackMessage, type SlackNotifier, SlackPostUnconfirmedError } from './slack-port.js';

/** A notifier whose thread writes wait for `mayWrite`: a replica that lost the run writes nothing about it. */
export function fencedNotifier(notifier: SlackNotifier, mayWrite: () => Promise<void>): SlackNotifier {
  return {
    postMessage: async (channel, message, threadTs) => {
      await mayWrite();
      return await notifier.postMessage(channel, message, threadTs);
    },
    updateMessage: async (channel, ts, message) => {
      await mayWrite();
      await notifier.updateMessage(channel, ts, message);
    },
    uploadFile: async (input) => {
      await mayWrite();
      await notifier.uploadFile(input);
    },
    postEphemeral: (channel, user, message) => notifier.postEphemeral(channel, user, message),
    openModal: (triggerId, view) => notifier.openModal(triggerId, view),
  };
}

/** A file that goes into a request's thread under its result. */
export type ThreadFile = Omit<Parameters<SlackNotifier['uploadFile']>[0], 'channel' | 'threadTs'>;

/** What `deliverInThread` delivers, and where. */
export interface ThreadDelivery {
  channel: string;
  /** The request card's ts: the thread the result goes into. */
  threadTs: string;
  requestId: string;
  /** The result message. */
  message: SlackMessage;
  /** The file to upload once the result is in the thread, if any (built only then). */
  file?: () => ThreadFile | undefined;
  /** Log lines for a result that did not reach the thread and a file that was not uploaded. */
  logs: { notPosted: string; notUploaded: string };
}

/**
 * Puts a result into its request's thread: into the live-tail message when one was posted (an update by its ts, which
 * may be retried freely), else as a new reply (sent again only when Slack's answer proves nothing was posted, so a
 * lost answer makes it `unconfirmed`, never a duplicate). The file follows only a result that landed, so it never
 * stands in the thread without the message it belongs to; a failed upload is logged, the result still counts.
 */
export async function deliverInThread(
  deps: { notifier: SlackNotifier; logger: Logger },
  tail: LiveTail,
  delivery: ThreadDelivery,
): Promise<ResultDelivery> {
  const { notifier, logger } = deps;
  const { channel, threadTs, requestId, message, logs } = delivery;
  let delivered = tail.posted() && (await tail.finish(message));
  let unconfirmed = false;
  if (!delivered) {
    try {
      await notifier.postMessage(channel, message, threadTs);
      delivered = true;
    } catch (error) {
      unconfirmed = error instanceof SlackPostUnconfirmedError;
      logger.error({ err: error, requestId }, logs.notPosted);
    }
  }
  const file = delivered ? delivery.file?.() : undefined;
  if (file) {
    await notifier
      .uploadFile({ channel, threadTs, ...file })
      .catch((error: unknown) => logger.error({ err: error, requestId }, logs.notUploaded));
  }
  return delivered ? 'delivered' : unconfirmed ? 'unconfirmed' : 'failed';
}
