import type { Asker } from '../../workflow/chat-port.js';
import type { SlackNotifier } from '../slack-port.js';
import * as views from '../views.js';
import type { ActionContext, InteractionContext } from './index.js';

/** What the deny form carries to its submission: the request and the card whose button opened it. */
export interface DenyFormMetadata {
  id: string;
  channel: string;
  messageTs: string;
  /** Set when the form was opened from the Home tab: the binding the view showed (there is no card). */
  homeBinding?: string;
}

/** What the runbook form carries to its submission. */
export interface RunbookFormMetadata {
  runbook: string;
  channel: string;
  given: Record<string, string>;
  reason: string;
}

/**
 * The workflow's view of one slash command or click: private answers through the response_url, choices as
 * ephemeral buttons, forms as modals opened with the interaction's trigger.
 */
export function askerFor(context: InteractionContext | ActionContext, notifier: SlackNotifier): Asker {
  const clicked = 'messageTs' in context ? context.messageTs : undefined;
  return {
    userId: context.userId,
    userName: context.userName,
    conversation: context.channelId,
    interactionId: context.triggerId,
    ...(context.typedText !== undefined ? { typedText: context.typedText } : {}),
    ...(clicked !== undefined ? { clickedMessage: clicked } : {}),
    reply: (text) => context.respond({ text }),
    async askForContainer(choices) {
      const picker = views.containerPicker(choices);
      if (!picker) return false;
      await context.respond(picker);
      return true;
    },
    async askForParameters(form) {
      if (!context.triggerId) return false;
      const metadata: RunbookFormMetadata = {
        runbook: form.runbook,
        channel: context.channelId,
        given: { ...form.given },
        reason: form.reason ?? '',
      };
      await notifier.openModal(
        context.triggerId,
        views.runbookModal(form.runbook, form.params, form.given, JSON.stringify(metadata)),
      );
      return true;
    },
    async askForDenyReason(record) {
      const metadata: DenyFormMetadata = { id: record.id, channel: context.channelId, messageTs: clicked ?? '' };
      await notifier.openModal(context.triggerId, views.denyModal(record, JSON.stringify(metadata)));
    },
  };
}

/**
 * The person who submitted a form, placed back in the conversation (and on the card) the form was opened from.
 * A submission has no response_url, so answers are ephemeral posts; no further form can be opened from it.
 */
export function formAsker(
  context: InteractionContext,
  where: { channel: string; messageTs?: string },
  notifier: SlackNotifier,
): Asker {
  const respond = (message: { text: string }) => notifier.postEphemeral(where.channel, context.userId, message);
  return {
    ...askerFor({ ...context, channelId: where.channel, triggerId: '', respond }, notifier),
    interactionId: context.triggerId,
    ...(where.messageTs !== undefined ? { clickedMessage: where.messageTs } : {}),
  };
}
