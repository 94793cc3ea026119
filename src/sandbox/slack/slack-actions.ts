import { SlackStandInError } from './errors.js';
import { isJsonObject } from './http-body.js';
import {
  appHomeOpenedPayload,
  blockActionsPayload,
  homeBlockActionsPayload,
  viewSubmissionPayload,
} from './payloads.js';
import { interactionBody, postToBot, slashCommandPayload } from './sign.js';
import type { SlackStandIn } from './stand-in.js';
import type { JsonObject, SocketEnvelopeType, StoredView } from './types.js';

/** How Slack reaches the bot: its HTTP receiver (signed requests) or a Socket Mode connection to the stand-in. */
export type BotEndpoint =
  | { kind: 'http'; url: string; signingSecret: string; ackTimeoutMs?: number }
  | { kind: 'socket'; ackTimeoutMs?: number };

/** What came of delivering one request to the bot. */
export interface Delivery {
  /** HTTP status of the bot's answer; 200 for a Socket Mode ack; 0 when it did not answer. */
  status: number;
  /** The answer: the HTTP response body (parsed when JSON) or the Socket Mode ack payload. */
  body: JsonObject | string | undefined;
  /** Set when Slack would report a failure: `operation_timeout`, `dispatch_failed`, `http_client_error`, `http_service_error`. */
  failure?: string;
}

/** Slack gives an app three seconds to acknowledge. */
const ACK_DEADLINE_MS = 3000;

/**
 * Plays Slack's part when a person acts: builds the request Slack would send (with this stand-in's response_url
 * and trigger id), delivers it to the bot, and applies the answer the way Slack does (an ack body shown to the
 * user, a modal closed, updated or kept open with errors).
 */
export class SlackUserActions {
  constructor(
    private readonly standIn: SlackStandIn,
    private readonly endpoint: BotEndpoint,
  ) {}

  /** A person types `/ecs-exec …` in a channel. */
  async slashCommand(input: { user: string; channel: string; text: string; command?: string }): Promise<Delivery> {
    const command = input.command ?? '/ecs-exec';
    const payload = slashCommandPayload({
      channel_id: input.channel,
      channel_name: this.standIn.channel(input.channel)?.name ?? input.channel.toLowerCase(),
      user_id: input.user,
      user_name: this.standIn.workspace.users.get(input.user)?.name ?? input.user.toLowerCase(),
      command,
      text: input.text,
      team_id: this.standIn.identity.teamId,
      api_app_id: this.standIn.identity.appId,
      response_url: this.standIn.createResponseUrl({ channel: input.channel, user: input.user }),
      trigger_id: this.standIn.createTriggerId(input.user),
    });
    const delivery =
      this.endpoint.kind === 'http'
        ? await this.overHttp(new URLSearchParams(payload).toString())
        : await this.overSocket('slash_commands', payload);
    const channel = this.standIn.workspace.resolveChannel(input.channel);
    if (!channel) return delivery;
    if (delivery.failure) {
      this.standIn.workspace.addEphemeral(
        channel,
        input.user,
        { text: `${command} failed with the error "${delivery.failure}"` },
        undefined,
        'slackbot',
      );
      return delivery;
    }
    // Slack shows a slash command's ack body to the user (or to the channel with response_type in_channel).
    const content = ackContent(delivery.body);
    if (content) {
      const inChannel = isJsonObject(delivery.body) && delivery.body['response_type'] === 'in_channel';
      if (inChannel) {
        // An in-channel answer shows the command the person typed above it.
        this.standIn.postUserMessage(channel.id, input.user, `${command} ${input.text}`.trim());
        this.standIn.workspace.postAsBot(channel, content, undefined, 'ack');
      } else this.standIn.workspace.addEphemeral(channel, input.user, content, undefined, 'ack');
    }
    return delivery;
  }

  /** A person clicks a button on a channel message or on an ephemeral shown to them. */
  async clickButton(input: {
    user: string;
    channel: string;
    messageTs: string;
    actionId: string;
    value?: string;
  }): Promise<Delivery> {
    const channelMessage = this.standIn.message(input.channel, input.messageTs);
    const ephemeral = channelMessage
      ? undefined
      : this.standIn.ephemeralsFor(input.user, input.channel).find((candidate) => candidate.ts === input.messageTs);
    const message = channelMessage ?? ephemeral;
    if (!message) {
      throw new SlackStandInError(
        'sandbox.slack.message_not_found',
        `No message ${input.messageTs} in ${input.channel}`,
      );
    }
    const context = {
      channel: input.channel,
      user: input.user,
      message_ts: message.ts,
      message_is_ephemeral: ephemeral !== undefined,
      ...(message.thread_ts !== undefined ? { thread_ts: message.thread_ts } : {}),
    };
    const action: { action_id: string; value?: string } = { action_id: input.actionId };
    if (input.value !== undefined) action.value = input.value;
    const payload = blockActionsPayload({
      user: { id: input.user, name: this.standIn.workspace.users.get(input.user)?.name ?? input.user.toLowerCase() },
      channel: { id: input.channel, name: this.standIn.channel(input.channel)?.name ?? input.channel.toLowerCase() },
      message,
      isEphemeral: ephemeral !== undefined,
      action,
      responseUrl: this.standIn.createResponseUrl(context),
      triggerId: this.standIn.createTriggerId(input.user),
      teamId: this.standIn.identity.teamId,
      apiAppId: this.standIn.identity.appId,
    });
    return this.endpoint.kind === 'http'
      ? await this.overHttp(interactionBody(payload))
      : await this.overSocket('interactive', payload, false);
  }

  /** A person opens the app's Home tab: Slack sends `app_home_opened` (with the view last published, if any). */
  async openHome(input: { user: string }): Promise<Delivery> {
    const home = this.standIn.homeView(input.user);
    const payload = appHomeOpenedPayload({
      user: input.user,
      // Slack names the app's DM with the person; the stand-in has no DMs, so a stable id in its shape.
      channel: `D${input.user.slice(1)}`,
      ...(home ? { view: home.view } : {}),
      teamId: this.standIn.identity.teamId,
      apiAppId: this.standIn.identity.appId,
    });
    return this.endpoint.kind === 'http'
      ? await this.overHttp(JSON.stringify(payload))
      : await this.overSocket('events_api', payload, false);
  }

  /** A person clicks a button on their Home tab; `value` picks the row when several buttons share the action id. */
  async clickHomeButton(input: { user: string; actionId: string; value?: string }): Promise<Delivery> {
    const home = this.standIn.homeView(input.user);
    if (!home) {
      throw new SlackStandInError('sandbox.slack.view_not_open', `No Home tab was published for ${input.user}`);
    }
    const payload = homeBlockActionsPayload({
      user: { id: input.user, name: this.standIn.workspace.users.get(input.user)?.name ?? input.user.toLowerCase() },
      view: home.view,
      action: { action_id: input.actionId, ...(input.value !== undefined ? { value: input.value } : {}) },
      triggerId: this.standIn.createTriggerId(input.user),
      teamId: this.standIn.identity.teamId,
      apiAppId: this.standIn.identity.appId,
    });
    return this.endpoint.kind === 'http'
      ? await this.overHttp(interactionBody(payload))
      : await this.overSocket('interactive', payload, false);
  }

  /** A person submits an open modal with these input values (by block id, then action id). */
  async submitView(input: {
    user: string;
    viewId: string;
    values: Record<string, Record<string, string | JsonObject>>;
  }): Promise<Delivery> {
    const view = this.standIn.workspace.views.get(input.viewId);
    if (view?.state !== 'open') {
      throw new SlackStandInError('sandbox.slack.view_not_open', `Modal ${input.viewId} is not open`);
    }
    const payload = viewSubmissionPayload({
      user: { id: input.user, name: this.standIn.workspace.users.get(input.user)?.name ?? input.user.toLowerCase() },
      view: view.view,
      values: input.values,
      triggerId: this.standIn.createTriggerId(input.user),
      teamId: this.standIn.identity.teamId,
      apiAppId: this.standIn.identity.appId,
    });
    const delivery =
      this.endpoint.kind === 'http'
        ? await this.overHttp(interactionBody(payload))
        : await this.overSocket('interactive', payload, true);
    // A failed submission leaves the modal open, as Slack does (it shows a connection error in the modal).
    if (!delivery.failure) this.applyViewResponse(view, delivery.body);
    return delivery;
  }

  private applyViewResponse(view: StoredView, body: JsonObject | string | undefined): void {
    const workspace = this.standIn.workspace;
    const action = isJsonObject(body) ? body['response_action'] : undefined;
    if (action === 'errors' && isJsonObject(body) && isJsonObject(body['errors'])) {
      const errors = Object.fromEntries(Object.entries(body['errors']).map(([block, text]) => [block, String(text)]));
      workspace.setViewErrors(view.id, errors);
      return;
    }
    if (action === 'update' && isJsonObject(body) && isJsonObject(body['view'])) {
      workspace.replaceView(view.id, body['view']);
      return;
    }
    if (action === 'push' && isJsonObject(body) && isJsonObject(body['view'])) {
      workspace.pushViewOver(view.id, body['view']);
      return;
    }
    if (action === 'clear') {
      for (const stacked of workspace.views.values()) {
        if (stacked.root_view_id === view.root_view_id) workspace.closeView(stacked.id);
      }
      return;
    }
    workspace.closeView(view.id);
  }

  private async overHttp(body: string): Promise<Delivery> {
    if (this.endpoint.kind !== 'http') throw new Error('unreachable: not an HTTP endpoint');
    try {
      const response = await postToBot(this.endpoint.url, this.endpoint.signingSecret, body, {
        timeoutMs: this.endpoint.ackTimeoutMs ?? ACK_DEADLINE_MS,
      });
      const parsed = isJsonObject(response.json) ? response.json : response.body === '' ? undefined : response.body;
      if (response.status >= 500) return { status: response.status, body: parsed, failure: 'http_service_error' };
      if (response.status !== 200) return { status: response.status, body: parsed, failure: 'http_client_error' };
      return { status: 200, body: parsed };
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      return { status: 0, body: undefined, failure: timedOut ? 'operation_timeout' : 'dispatch_failed' };
    }
  }

  private async overSocket(
    type: SocketEnvelopeType,
    payload: JsonObject,
    acceptsResponsePayload = true,
  ): Promise<Delivery> {
    try {
      const ack = await this.standIn.sendSocketEnvelope(type, payload, {
        acceptsResponsePayload,
        ackTimeoutMs: this.endpoint.ackTimeoutMs ?? ACK_DEADLINE_MS,
      });
      return { status: 200, body: Object.keys(ack.payload).length > 0 ? ack.payload : undefined };
    } catch (error) {
      const timedOut = error instanceof SlackStandInError && error.code === 'sandbox.slack.ack_timeout';
      return { status: 0, body: undefined, failure: timedOut ? 'operation_timeout' : 'dispatch_failed' };
    }
  }
}

function ackContent(body: JsonObject | string | undefined): { text?: string; blocks?: unknown[] } | undefined {
  if (typeof body === 'string') return body.trim() === '' ? undefined : { text: body };
  if (!isJsonObject(body)) return undefined;
  const content: { text?: string; blocks?: unknown[] } = {};
  if (typeof body['text'] === 'string' && body['text'] !== '') content.text = body['text'];
  if (Array.isArray(body['blocks'])) content.blocks = body['blocks'];
  return content.text !== undefined || content.blocks !== undefined ? content : undefined;
}
