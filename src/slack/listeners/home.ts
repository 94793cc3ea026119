import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../shared/logger.js';
import type { Asker } from '../../workflow/chat-port.js';
import type { Workflow } from '../../workflow/workflow.js';
import { homeView, parseHomeDecisionValue } from '../blocks/home-view.js';
import type { SlackNotifier } from '../slack-port.js';
import * as views from '../views.js';
import { askerFor, type DenyFormMetadata } from './askers.js';
import type { ActionContext, ActionHandler, InteractionContext } from './index.js';

/**
 * The Home tab: published for one person when they open it, and again after each thing they do on it, with the
 * answer to that thing on top (a Home view has no response_url, so there is no other private place for it).
 */
export interface HomeTab {
  publish(userId: string, client: WebClient, notice?: string): Promise<void>;
  approve: ActionHandler;
  askToDeny: ActionHandler;
  runRunbook: ActionHandler;
  /** The deny form opened from the Home tab came back. */
  deny(meta: DenyFormMetadata, reason: string | undefined, context: InteractionContext): Promise<void>;
}

export function createHomeTab(workflow: Workflow, notifier: SlackNotifier, logger: Logger): HomeTab {
  async function publish(userId: string, client: WebClient, notice?: string): Promise<void> {
    const page = await workflow.homePage(userId);
    // A link to each recent request's card (its thread is under it); one that Slack will not give is left out.
    const links = new Map<string, string>();
    await Promise.all(
      page.recent
        .filter((record) => record.cardRef !== '')
        .map(async (record) => {
          const answer = await client.chat
            .getPermalink({ channel: record.channel, message_ts: record.cardRef })
            .catch(() => undefined);
          if (answer?.permalink) links.set(record.id, answer.permalink);
        }),
    );
    await client.views.publish({ user_id: userId, view: homeView(page, notice, links) });
  }

  /**
   * The workflow's view of a click on the Home tab: replies are collected for the refreshed view, and the decision
   * carries the binding the view showed instead of a message.
   */
  function homeAsker(context: InteractionContext, binding: string | undefined, replies: string[]): Asker {
    const asker = askerFor({ ...context, respond: async ({ text }) => void replies.push(text) }, notifier);
    delete asker.clickedMessage;
    return {
      ...asker,
      ...(binding ? { clickedHome: { binding } } : {}),
      async askForDenyReason(record) {
        const metadata: DenyFormMetadata = { id: record.id, channel: '', messageTs: '', homeBinding: binding ?? '' };
        await notifier.openModal(context.triggerId, views.denyModal(record, JSON.stringify(metadata)));
      },
    };
  }

  /** Runs what the click asked for, then shows the person their Home again with the answer on top. */
  async function onHome(
    context: ActionContext | InteractionContext,
    binding: string | undefined,
    act: (asker: Asker) => Promise<void>,
  ): Promise<void> {
    const replies: string[] = [];
    try {
      await act(homeAsker(context, binding, replies));
    } finally {
      await publish(context.userId, context.client, replies.join('\n') || undefined).catch((error: unknown) =>
        logger.warn({ err: error }, 'could not refresh the Home tab'),
      );
    }
  }

  /** A decision button: only from the person's own Home tab, and only with the value the bot put there. */
  const decision =
    (decide: (requestId: string, asker: Asker) => Promise<void>): ActionHandler =>
    async (value, context) => {
      const carried = parseHomeDecisionValue(value);
      if (!context.onHome || !carried) {
        await context.respond({ text: ':no_entry: This button only works on your Home tab. Nothing was done.' });
        return;
      }
      await onHome(context, carried.binding, (asker) => decide(carried.requestId, asker));
    };

  return {
    publish,
    approve: decision((requestId, asker) => workflow.approve(requestId, asker)),
    askToDeny: decision((requestId, asker) => workflow.askToDeny(requestId, asker)),
    async runRunbook(runbook, context) {
      const page = await workflow.homePage(context.userId);
      const conversation = page.runbooks.find((entry) => entry.name === runbook)?.conversation;
      await onHome({ ...context, channelId: conversation ?? '' }, undefined, async (asker) => {
        if (!conversation) {
          await asker.reply(`:x: Type \`/ecs-exec run ${runbook}\` in the channel where it should run.`);
          return;
        }
        await workflow.runRunbook({ runbook, params: {}, breakGlass: false }, asker);
      });
    },
    async deny(meta, reason, context) {
      await onHome(context, meta.homeBinding, (asker) => workflow.deny(meta.id, asker, reason));
    },
  };
}
