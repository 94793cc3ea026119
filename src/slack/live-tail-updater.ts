import { type Clock, systemTimers } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { SlackMessage, SlackNotifier } from './slack-port.js';
import { createUpdateCoalescer, type TimerPort, type UpdateCoalescer } from './update-coalescer.js';

export interface LiveTailOptions {
  notifier: SlackNotifier;
  channel: string;
  threadTs: string;
  requestId: string;
  /** Renders the live-tail message for the output so far; called only when an update is actually sent. */
  render: () => SlackMessage;
  /** Asked-for time between updates; below Slack's one a second it is slowed down, never refused. */
  intervalMs: number;
  /** The live tail appears only for runs still going after this long; short runs post just their result. */
  delayMs: number;
  clock: Clock;
  /** Timers for the start delay and the update pacing (tests step them). */
  timers?: TimerPort;
  logger: Logger;
}

export interface LiveTail {
  /** Arms the live tail: it is posted once, after the delay, if the run is still going; later only updated. */
  start(): void;
  /** Output arrived: an update will follow, at most one per interval. */
  changed(): void;
  /**
   * Replaces the live tail (if one was posted) with the final summary, after any update in flight. Resolves true
   * when a posted live tail now shows the summary.
   */
  finish(summary: SlackMessage): Promise<boolean>;
  /** Whether the live tail message exists (its post was answered), so it can carry the result if need be. */
  posted(): boolean;
}

/**
 * One message per run that follows the output while it runs. It is posted only when a run outlasts `delayMs`, so a
 * burst of quick runs costs Slack two posts each (card and result), not three. Updates go through the coalescer:
 * however fast output arrives, Slack sees at most one `chat.update` per interval, always ending on the latest
 * state. States are rendered lazily, so a fast stream pays for one render per update, not one per chunk.
 */
export function createLiveTail(options: LiveTailOptions): LiveTail {
  let updates: UpdateCoalescer<() => SlackMessage> | undefined;
  let posting: Promise<void> | undefined;
  const timers = options.timers ?? systemTimers;
  let startTimer: unknown;
  let finished = false;
  let changedBeforePost = false;

  const post = async (): Promise<void> => {
    try {
      // The post shows the output so far; only what arrives while it is on its way needs an update after it.
      changedBeforePost = false;
      const { ts } = await options.notifier.postMessage(options.channel, options.render(), options.threadTs);
      updates = createUpdateCoalescer<() => SlackMessage>({
        clock: options.clock,
        timers,
        intervalMs: options.intervalMs,
        deliver: async (render) => {
          // WebSlackNotifier already waits out 429s, so nothing is left to report back here.
          await options.notifier.updateMessage(options.channel, ts, render());
          return undefined;
        },
        onError: (error) =>
          options.logger.warn({ err: error, requestId: options.requestId }, 'live-tail update failed'),
      });
      if (changedBeforePost && !finished) updates.offer(options.render);
    } catch (error) {
      options.logger.warn({ err: error, requestId: options.requestId }, 'live tail not posted');
    }
  };

  return {
    start() {
      startTimer = timers.setTimeout(() => {
        startTimer = undefined;
        if (!finished) posting = post();
      }, options.delayMs);
    },
    changed() {
      if (finished) return;
      if (updates) updates.offer(options.render);
      else changedBeforePost = true;
    },
    async finish(summary) {
      finished = true;
      if (startTimer !== undefined) timers.clearTimeout(startTimer);
      await posting;
      return (await updates?.close(() => summary)) ?? false;
    },
    posted: () => updates !== undefined,
  };
}
