import type { ApprovalRecord } from '../approval/approval-port.js';
import type { PolicyConfig } from '../config/schema.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type {
  CardNote,
  ChatPort,
  ChatWording,
  FleetReport,
  FleetReportOptions,
  MessageRef,
  RunReport,
  RunReportOptions,
  ThreadNotice,
} from '../workflow/chat-port.js';
import { cardNoteText, refusal, staleCardNotice, threadNoticeText, whoCanStop } from './notices.js';
import { createSlackFleetReport } from './slack-fleet-report.js';
import type { SlackNotifier } from './slack-port.js';
import { createSlackRunReport } from './slack-run-report.js';
import { neutraliseSlackText, slackUserMention } from './slack-text.js';
import * as views from './views.js';

/** The workflow's words in Slack's markup. */
export const slackWording: ChatWording = {
  state: views.stateText,
  denied: views.denied,
  explanation: views.explanation,
  status: views.statusLine,
  history: views.history,
  runbooks: views.runbookList,
  doctor: views.doctor,
  alreadyDecided: views.alreadyDecided,
  refusal,
  whoCanStop,
};

/**
 * The chat port over Slack's Web API: cards and results as Block Kit, a request's card identified by its message
 * ts within the request's channel.
 */
export class SlackChat implements ChatPort {
  readonly words = slackWording;

  constructor(
    private readonly notifier: SlackNotifier,
    private readonly deps: { clock: Clock; logger: Logger },
  ) {}

  async showRequest(record: ApprovalRecord, policy: PolicyConfig): Promise<MessageRef> {
    const card = views.requestCard(record, policy, this.deps.clock.now());
    return (await this.notifier.postMessage(record.channel, card)).ts;
  }

  async updateRequest(record: ApprovalRecord, policy: PolicyConfig, note?: CardNote): Promise<void> {
    const card = views.requestCard(record, policy, this.deps.clock.now());
    if (note) {
      const text = cardNoteText(record, note);
      card.blocks = [...(card.blocks ?? []), { type: 'context', elements: [{ type: 'mrkdwn', text }] }];
      card.text = `${card.text}\n${text}`;
    }
    await this.notifier.updateMessage(record.channel, record.cardRef, card);
  }

  async retireCard(
    conversation: string,
    message: MessageRef,
    requestId: string,
    record: ApprovalRecord | undefined,
  ): Promise<void> {
    await this.notifier.updateMessage(conversation, message, staleCardNotice(requestId, record));
  }

  async tellThread(record: ApprovalRecord, notice: ThreadNotice, policy: PolicyConfig): Promise<void> {
    const text = threadNoticeText(record, notice, policy);
    await this.notifier.postMessage(record.channel, { text }, record.cardRef);
  }

  async replyPrivately(conversation: string, userId: string, text: string): Promise<void> {
    await this.notifier.postEphemeral(conversation, userId, { text });
  }

  reportRun(record: ApprovalRecord, options: RunReportOptions): RunReport {
    return createSlackRunReport({ notifier: this.notifier, ...this.deps }, record, options);
  }

  reportFleet(record: ApprovalRecord, options: FleetReportOptions): FleetReport {
    return createSlackFleetReport({ notifier: this.notifier, ...this.deps }, record, options);
  }

  plain(text: string): string {
    return neutraliseSlackText(text);
  }

  person(userId: string): string {
    return slackUserMention(userId) ?? `\`${neutraliseSlackText(userId)}\``;
  }
}
