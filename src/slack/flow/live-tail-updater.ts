import type { Logger } from '../../shared/logger.js';
import type { SlackMessage, SlackNotifier } from '../slack-port.js';
import * as views from './views.js';

export interface LiveTailOptions {
  notifier: SlackNotifier;
  channel: string;
  threadTs: string;
  requestId: string;
  /** The output as a terminal shows it now (redacted); read only when an update is due. */
  snapshot: () => string;
  intervalMs: number;
  logger: Logger;
}

export interface LiveTail {
  /** Posts the live-tail message once; later changes only update it by its `ts`. */
  start(): Promise<void>;
  /** Output arrived: an update will follow, at most one per interval. */
  changed(): void;
  /** Replaces the live tail with the final summary (no Stop button) after any update in flight. */
  finish(summary: SlackMessage): Promise<void>;
}

/**
 * One message per run that follows the output while it runs. Updates are coalesced: however fast output arrives,
 * Slack sees at most one `chat.update` per interval, always with the latest state, and a failed update is only
 * logged (the final status is posted separately and must not wait on it).
 */
export function createLiveTail(options: LiveTailOptions): LiveTail {
  let ts: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  let finished = false;
  let inFlight: Promise<void> = Promise.resolve();
  let lastSent = 0;

  const send = (message: SlackMessage): Promise<void> => {
    const target = ts;
    if (!target) return Promise.resolve();
    inFlight = inFlight
      .then(() => options.notifier.updateMessage(options.channel, target, message))
      .catch((error: unknown) =>
        options.logger.warn({ err: error, requestId: options.requestId }, 'live-tail update failed'),
      );
    return inFlight;
  };

  const flush = (): void => {
    timer = undefined;
    if (finished || !dirty) return;
    dirty = false;
    lastSent = Date.now();
    void send(views.liveTail(options.requestId, options.snapshot()));
  };

  return {
    async start() {
      const posted = await options.notifier.postMessage(
        options.channel,
        views.liveTail(options.requestId, ''),
        options.threadTs,
      );
      ts = posted.ts;
    },
    changed() {
      dirty = true;
      if (timer || finished) return;
      const wait = Math.max(0, lastSent + options.intervalMs - Date.now());
      timer = setTimeout(flush, wait);
      timer.unref();
    },
    async finish(summary) {
      finished = true;
      if (timer) clearTimeout(timer);
      await send(summary);
    },
  };
}
