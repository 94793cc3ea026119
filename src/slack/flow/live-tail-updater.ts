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
  /** The live tail appears only for runs still going after this long; short runs post just their result. */
  delayMs: number;
  logger: Logger;
}

export interface LiveTail {
  /** Arms the live tail: it is posted once, after the delay, if the run is still going; later only updated. */
  start(): void;
  /** Output arrived: an update will follow, at most one per interval. */
  changed(): void;
  /** Replaces the live tail (if one was posted) with the final summary, after any update in flight. */
  finish(summary: SlackMessage): Promise<void>;
}

/**
 * One message per run that follows the output while it runs. It is posted only when a run outlasts `delayMs`, so a
 * burst of quick runs costs Slack two posts each (card and result), not three. Updates are coalesced: however fast
 * output arrives, Slack sees at most one `chat.update` per interval, always with the latest state, and a failed
 * update is only logged (the final status is posted separately and must not wait on it).
 */
export function createLiveTail(options: LiveTailOptions): LiveTail {
  let ts: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  let finished = false;
  let inFlight: Promise<void> = Promise.resolve();
  let lastSent = 0;
  let posting: Promise<void> | undefined;
  let startTimer: NodeJS.Timeout | undefined;

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
    start() {
      startTimer = setTimeout(() => {
        startTimer = undefined;
        if (finished) return;
        posting = options.notifier
          .postMessage(options.channel, views.liveTail(options.requestId, options.snapshot()), options.threadTs)
          .then(
            (posted) => {
              ts = posted.ts;
              lastSent = Date.now();
              if (dirty && !finished) this.changed();
            },
            (error: unknown) =>
              options.logger.warn({ err: error, requestId: options.requestId }, 'live tail not posted'),
          );
      }, options.delayMs);
      startTimer.unref();
    },
    changed() {
      dirty = true;
      if (timer || finished || !ts) return;
      const wait = Math.max(0, lastSent + options.intervalMs - Date.now());
      timer = setTimeout(flush, wait);
      timer.unref();
    },
    async finish(summary) {
      finished = true;
      if (timer) clearTimeout(timer);
      if (startTimer) clearTimeout(startTimer);
      await posting;
      await send(summary);
    },
  };
}
