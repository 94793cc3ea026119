import type { ApprovalRecord } from '../approval/approval-port.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { FleetReport, FleetReportOptions, ResultDelivery } from '../workflow/chat-port.js';
import { fleetOutputFile, fleetProgressMessage, fleetResultMessage } from './blocks/fleet-result.js';
import { createLiveTail } from './live-tail-updater.js';
import type { SlackNotifier } from './slack-port.js';
import { deliverInThread, fencedNotifier } from './thread-delivery.js';

/**
 * One fan-out in the card's thread: one message that follows the progress (posted once the fan-out outlasts the
 * delay, then only updated, at most once per interval however many tasks end), then the grouped result in that
 * message (or posted, for a quick one) and the whole output as one file with a section per task.
 */
export function createSlackFleetReport(
  deps: { notifier: SlackNotifier; clock: Clock; logger: Logger },
  record: ApprovalRecord,
  options: FleetReportOptions,
): FleetReport {
  const { logger } = deps;
  const notifier = fencedNotifier(deps.notifier, options.mayWrite);
  const tail = createLiveTail({
    notifier,
    channel: record.channel,
    threadTs: record.cardRef,
    requestId: record.id,
    render: () => fleetProgressMessage(options.view()),
    intervalMs: options.intervalMs,
    delayMs: options.delayMs,
    clock: deps.clock,
    logger,
  });
  return {
    start: () => tail.start(),
    changed: () => tail.changed(),
    async finish(finished, result, note): Promise<ResultDelivery> {
      return await deliverInThread({ notifier, logger }, tail, {
        channel: finished.channel,
        threadTs: finished.cardRef,
        requestId: finished.id,
        message: fleetResultMessage(finished, result, note),
        file: () => (result.results.length > 0 ? fleetOutputFile(finished, result) : undefined),
        logs: { notPosted: 'fan-out result not posted in the thread', notUploaded: 'fan-out output not uploaded' },
      });
    },
    async abandon() {
      await tail.finish(fleetProgressMessage(options.view(), 'the card shows how'));
    },
  };
}
