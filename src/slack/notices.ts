import type { ApprovalRecord } from '../approval/approval-port.js';
import { type ApprovalError, RequestNotFoundError } from '../approval/errors.js';
import type { PolicyConfig } from '../config/schema.js';
import { toUserMessage } from '../errors.js';
import { formatDuration } from '../shared/duration.js';
import type { CardNote, ThreadNotice } from '../workflow/chat-port.js';
import type { SlackMessage } from './slack-port.js';
import { neutraliseSlackText, slackUserMention } from './slack-text.js';
import { stateText } from './views.js';

/** What a card whose buttons can no longer do anything turns into: what happened, and no buttons. */
export function staleCardNotice(requestId: string, record: ApprovalRecord | undefined): SlackMessage {
  const id = neutraliseSlackText(requestId);
  const text = record
    ? `🗂 This card is out of date: request ${id} is ${stateText(record.state)}` +
      (record.cardRef ? ' and is shown on its current card.' : '. Nothing will run from this card.')
    : `🗂 The bot does not know request ${id} (it may have been lost when the bot restarted without its store). ` +
      'Nothing will run from this card; send the request again if it is still needed.';
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** Slack mentions of the config groups: their user groups, else their listed users ("*" mentions nobody). */
export function groupMentions(policy: PolicyConfig, names: readonly string[]): string {
  const mentions = new Set<string>();
  for (const name of names) {
    const group = policy.groups[name];
    if (!group) continue;
    for (const id of group.usergroups) mentions.add(`<!subteam^${id}>`);
    if (group.usergroups.length === 0) {
      for (const user of group.users) if (user !== '*') mentions.add(`<@${user}>`);
    }
  }
  return mentions.size > 0 ? [...mentions].join(' ') : names.map((name) => neutraliseSlackText(name)).join(', ');
}

/** The thread message of a nudge. */
export function nudgeText(
  stage: 'remind' | 'escalate',
  record: ApprovalRecord,
  mentions: string,
  nowMs: number,
): string {
  const waited = formatDuration(nowMs - record.createdAtMs);
  const left = formatDuration(Math.max(0, record.expiresAtMs - nowMs));
  const id = neutraliseSlackText(record.id);
  return stage === 'remind'
    ? `:bell: ${mentions}: ${id} has waited ${waited} for approval and expires in ${left}. Approve or deny it on the card above.`
    : `:rotating_light: ${mentions}: ${id} is still waiting for approval after ${waited} and expires in ${left}. ` +
        'Escalated: please find an approver or decide on the card above.';
}

/** What the card's thread is told. */
export function threadNoticeText(record: ApprovalRecord, notice: ThreadNotice, policy: PolicyConfig): string {
  switch (notice.kind) {
    case 'not_started':
      return notice.startsLater
        ? `⏳ could not start ${record.id} yet: ${notice.why} Nothing ran yet; it starts on its own once ` +
            'that is fixed, while the approval lasts. Cancel it if it should not run.'
        : `🚫 could not start ${record.id}: ${notice.why} Nothing ran; ask again if it is still needed.`;
    case 'interrupted':
      return '⚠ interrupted: the bot replica running this stopped, and the command may still be running in the container.';
    case 'nudge':
      return nudgeText(notice.stage, record, groupMentions(policy, notice.groups), notice.nowMs);
  }
}

/** What the card says when the result could not be put in the thread. */
export function cardNoteText(record: ApprovalRecord, note: CardNote): string {
  const digest = record.result?.sha256 ? ` (output sha256 ${record.result.sha256.slice(0, 12)}…)` : '';
  return note === 'result_unconfirmed'
    ? `⚠ Slack did not confirm the result reply in the thread; it may be missing. Exit code and output digest${digest} are in the audit log.`
    : `⚠ The output could not be delivered to Slack. Exit code and output digest${digest} are in the audit log.`;
}

/** Why the store refused a decision; an unknown id points to where the person's own requests are listed. */
export function refusal(error: ApprovalError): string {
  const words = toUserMessage(error);
  return error instanceof RequestNotFoundError ? `${words} Check the id with /ecs-exec history.` : words;
}

/** "the requester (@riley), an approver (sre) or an admin (platform)", leaving out what does not apply. */
export function whoCanStop(record: Pick<ApprovalRecord, 'requester' | 'approval'>, admins: readonly string[]): string {
  const requester = slackUserMention(record.requester) ?? neutraliseSlackText(record.requester);
  const parts = [`the requester (${requester})`];
  if (record.approval.approverGroups.length > 0) {
    parts.push(`an approver of its rule (${record.approval.approverGroups.join(', ')})`);
  }
  if (admins.length > 0) parts.push(`an admin (${admins.join(', ')})`);
  return parts.length === 1 ? (parts[0] as string) : `${parts.slice(0, -1).join(', ')} or ${parts.at(-1)}`;
}
