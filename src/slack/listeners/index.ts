import type { App, BlockAction, ButtonAction, SlackViewAction } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { isBotError, toUserMessage } from '../../errors.js';
import type { Logger } from '../../shared/logger.js';
import { type AfterAckLane, createAfterAckLane } from '../after-ack-lane.js';
import { ACTION_IDS, type ActionId, CALLBACK_IDS, type CallbackId, COMMAND } from '../ids.js';
import { parseSlashCommand, type SlashCommand, USAGE } from '../parse-command.js';

/** An ephemeral reply to the person who typed or clicked, through the request's response_url. */
export type Respond = (message: { text: string; blocks?: KnownBlock[] }) => Promise<void>;

/** Who asked, where, and how to answer them; what every handler gets from the signed Slack payload. */
export interface InteractionContext {
  userId: string;
  userName: string;
  channelId: string;
  teamId: string;
  triggerId: string;
  respond: Respond;
  client: WebClient;
  /** What the person typed after the slash command, kept for the audit of a refusal; absent for clicks and modals. */
  typedText?: string;
}

export interface ActionContext extends InteractionContext {
  /** The message the button sits on, as Slack says it is; checked against what we stored. */
  messageTs: string | undefined;
  /** The button sits on the clicker's own Home tab (a view only the bot publishes), not on a message. */
  onHome?: boolean;
}

/** What a button does with its value (a request id, or a container choice). */
export type ActionHandler = (value: string, context: ActionContext) => Promise<void>;

/** What a submitted modal does; field errors keep the modal open with them shown. */
export type ViewHandler = (
  submission: { privateMetadata: string; values: Record<string, string | undefined> },
  context: InteractionContext,
) => Promise<{ errors?: Record<string, string> } | undefined>;

/** What the product does with each kind of Slack input: one handler per command, button and modal. */
export interface SlackHandlers {
  command(command: Exclude<SlashCommand, { kind: 'help' }>, context: InteractionContext): Promise<void>;
  /** A slash command that does not parse; the person has been answered already, this keeps the record. */
  malformed(typedText: string, why: string, context: InteractionContext): Promise<void>;
  actions: Partial<Record<ActionId, ActionHandler>>;
  views: Partial<Record<CallbackId, ViewHandler>>;
  /** The person opened the bot's Home tab: publish theirs. */
  homeOpened?(userId: string, client: WebClient): Promise<void>;
}

const ephemeral = (text: string) => ({ response_type: 'ephemeral' as const, text });

/** Said once to someone whose command waits behind many others, so the silence does not read as being ignored. */
const QUEUED_AFTER_ACK =
  ':hourglass_flowing_sand: Many requests reached the bot at once; yours is queued and will be looked at in a few ' +
  'seconds. Nothing to do: the answer follows here.';

/**
 * An ephemeral reply through the response_url, falling back to `chat.postEphemeral` with the bot token when the
 * URL is used up (five uses) or expired (30 minutes): the person still gets the answer.
 */
function withFallback(
  viaResponseUrl: (message: { text: string; blocks?: KnownBlock[] }) => Promise<unknown>,
  client: WebClient,
  channel: string,
  user: string,
  logger: Logger,
): Respond {
  return async (message) => {
    try {
      await viaResponseUrl(message);
    } catch (error) {
      logger.warn({ err: error }, 'response_url failed; replying with chat.postEphemeral');
      if (!channel) throw error;
      await client.chat.postEphemeral({
        channel,
        user,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
      });
    }
  };
}

/** Flattens Slack's nested view state into block_id → value (text inputs, selects, checkboxes). */
function viewValues(view: SlackViewAction['view']): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {};
  for (const [blockId, actions] of Object.entries(view.state.values)) {
    for (const action of Object.values(actions)) {
      values[blockId] =
        action.value ??
        action.selected_option?.value ??
        (action.selected_options ? action.selected_options.map((o) => o.value).join(',') : undefined) ??
        undefined;
    }
  }
  return values;
}

/**
 * Whether a click comes from the clicker's own Home tab: Slack says the container is a view of type `home`. Only the
 * app itself can publish a view with its buttons (views.publish takes the bot token), and Slack shows a user only
 * their own Home, so such a click cannot come from someone else's message.
 */
function isOwnHomeView(body: BlockAction<ButtonAction>): boolean {
  return body.container?.['type'] === 'view' && body.view?.type === 'home' && body.message === undefined;
}

/**
 * Registers the one slash command, the buttons and the modals. Every listener acknowledges first (Slack's 3-second
 * deadline), then does its work in the after-ack lane, behind the requests still waiting for their ack; every
 * failure reaches the user as an ephemeral message instead of vanishing into a log.
 */
export function registerListeners(
  app: App,
  handlers: SlackHandlers,
  logger: Logger,
  lane: AfterAckLane = createAfterAckLane(),
): void {
  app.command(COMMAND, async ({ command, ack, respond, client }) => {
    const parsed = parseSlashCommand(command.text);
    const context: InteractionContext = {
      userId: command.user_id,
      userName: command.user_name,
      channelId: command.channel_id,
      teamId: command.team_id,
      triggerId: command.trigger_id,
      client,
      respond: withFallback(
        (message) => respond({ response_type: 'ephemeral', ...message }),
        client,
        command.channel_id,
        command.user_id,
        logger,
      ),
      typedText: command.text,
    };
    if (!parsed.ok) {
      await ack(ephemeral(`:warning: ${parsed.error}.\nTry: ${parsed.hint}\n\n${USAGE}`));
      // The answer is out first: a store that cannot record the refusal must not hold it up or change it.
      await lane
        .run(() => handlers.malformed(command.text, parsed.error, context))
        .catch((error: unknown) => logger.error({ err: error }, 'could not audit a malformed command'));
      return;
    }
    if (parsed.value.kind === 'help') {
      await ack(ephemeral(USAGE));
      return;
    }
    await ack();
    const request = parsed.value;
    const tellQueued = (): void => {
      void context.respond({ text: QUEUED_AFTER_ACK }).catch(() => {});
    };
    try {
      await lane.run(() => handlers.command(request, context), tellQueued);
    } catch (error) {
      logger.error({ err: error, command: request.kind }, 'slash command failed');
      // A command fails before anything is dispatched (runs start separately), so "nothing ran" is always true here.
      const text = isBotError(error)
        ? `:x: ${toUserMessage(error)}`
        : ':x: The bot could not handle this right now (its state store or Slack did not answer); nothing was run. Try again in a minute.';
      await context.respond({ text }).catch(() => {});
    }
  });

  for (const actionId of Object.values(ACTION_IDS)) {
    const handler = handlers.actions[actionId];
    if (!handler) continue;
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, respond, client }) => {
      await ack();
      const context: ActionContext = {
        userId: body.user.id,
        userName: body.user.name ?? body.user.username ?? body.user.id,
        channelId: body.channel?.id ?? String(body.container?.['channel_id'] ?? ''),
        teamId: body.team?.id ?? '',
        triggerId: body.trigger_id,
        messageTs: body.message?.ts ?? (body.container?.['message_ts'] as string | undefined),
        onHome: isOwnHomeView(body),
        client,
        respond: withFallback(
          (message) => respond({ response_type: 'ephemeral', replace_original: false, ...message }),
          client,
          body.channel?.id ?? '',
          body.user.id,
          logger,
        ),
      };
      try {
        await lane.run(() => handler(action.value ?? '', context));
      } catch (error) {
        logger.error({ err: error, actionId }, 'button action failed');
        // Anything but our own errors means Redis or Slack did not answer (a failover, an outage): the click may not
        // have been recorded, and clicking again is safe because every transition is applied at most once.
        const text = isBotError(error)
          ? `:x: ${toUserMessage(error)}`
          : ':x: The bot could not handle this click right now (its state store or Slack did not answer). Try again in a minute.';
        await context.respond({ text }).catch(() => {});
      }
    });
  }

  const homeOpened = handlers.homeOpened?.bind(handlers);
  app.event('app_home_opened', async ({ event, client }) => {
    // The Messages tab opens the same event; only the Home tab has a view to publish.
    if (event.tab !== 'home' || !homeOpened) return;
    try {
      await homeOpened(event.user, client);
    } catch (error) {
      logger.error({ err: error }, 'could not publish the Home tab');
    }
  });

  for (const callbackId of Object.values(CALLBACK_IDS)) {
    const handler = handlers.views[callbackId];
    if (!handler) continue;
    app.view<SlackViewAction>(callbackId, async ({ ack, body, view, client }) => {
      const context: InteractionContext = {
        userId: body.user.id,
        userName: body.user.name,
        channelId: '',
        teamId: body.team?.id ?? '',
        triggerId: 'trigger_id' in body ? String(body.trigger_id) : '',
        client,
        respond: async () => {},
      };
      const submission = { privateMetadata: view.private_metadata, values: viewValues(view) };
      // Only a form that can be refused field by field (the runbook parameters, checked without any I/O) waits for
      // its answer before the ack; every other modal is acknowledged at once and answers in the channel later.
      const answersWithErrors = callbackId === CALLBACK_IDS.runbookParams;
      if (!answersWithErrors) await ack();
      try {
        const outcome = await handler(submission, context);
        if (!answersWithErrors) return;
        if (outcome?.errors) await ack({ response_action: 'errors', errors: outcome.errors });
        else await ack();
      } catch (error) {
        logger.error({ err: error, callbackId }, 'modal submission failed');
        if (answersWithErrors) {
          await ack({ response_action: 'errors', errors: { _: toUserMessage(error) } }).catch(() => {});
        }
      }
    });
  }
}
