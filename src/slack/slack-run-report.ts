import type { ApprovalRecord } from '../approval/approval-port.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { ResultDelivery, RunReport, RunReportOptions } from '../workflow/chat-port.js';
import { createLiveTail } from './live-tail-updater.js';
import type { SlackNotifier } from './slack-port.js';
import { deliverInThread, fencedNotifier } from './thread-delivery.js';
import * as views from './views.js';

/**
 * One run in the card's thread: a live tail once the run outlasts the delay, then the result. Each message is posted
 * once and afterwards only updated by its ts: a run with a live tail gets its result in that message (an update,
 * which may be retried freely); a quick run posts its result, which the notifier sends again only when Slack's
 * answer proves nothing was posted.
 */
export function createSlackRunReport(
  deps: { notifier: SlackNotifier; clock: Clock; logger: Logger },
  record: ApprovalRecord,
  options: RunReportOptions,
): RunReport {
  const { logger } = deps;
  const notifier = fencedNotifier(deps.notifier, options.mayWrite);
  const tail = createLiveTail({
    notifier,
    channel: record.channel,
    threadTs: record.cardRef,
    requestId: record.id,
    render: () => views.liveTail(options.progress()),
    intervalMs: options.intervalMs,
    delayMs: options.delayMs,
    clock: deps.clock,
    logger,
  });
  let hadTail = false;
  let closing: (() => Promise<unknown>) | undefined;
  return {
    start: () => tail.start(),
    changed: () => tail.changed(),
    async finish(finished, output, snapshot): Promise<ResultDelivery> {
      const message = views.resultMessage(finished, output, options.previewLines);
      hadTail = tail.posted();
      const delivery = await deliverInThread({ notifier, logger }, tail, {
        channel: finished.channel,
        threadTs: finished.cardRef,
        requestId: finished.id,
        message,
        file: () => message.upload,
        logs: { notPosted: 'result not posted in the thread', notUploaded: 'output file not uploaded' },
      });
      if (!hadTail) closing = () => tail.finish(views.liveTailDone(finished, snapshot));
      return delivery;
    },
    async close() {
      await closing?.();
    },
    async abandon(progress) {
      // The tail only loses its Stop button, with no outcome of its own.
      await tail.finish(views.liveTail({ ...progress, finalStatus: 'the card shows how' }));
    },
  };
}
