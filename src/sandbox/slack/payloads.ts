import { randomUUID } from 'node:crypto';
import { isJsonObject } from './http-body.js';
import type { JsonObject } from './types.js';
import { DEFAULT_IDENTITY } from './workspace.js';

interface TeamFields {
  teamId?: string;
  teamDomain?: string;
  apiAppId?: string;
  /** The deprecated verification token Slack still sends. */
  token?: string;
}

/** A button click on a message, as the playground or a test describes it. */
export interface BlockActionsInput extends TeamFields {
  user: { id: string; name?: string };
  channel: { id: string; name?: string };
  /** The message the button sits on (a stored message works); its blocks supply the button's text and block id. */
  message: { ts: string; thread_ts?: string | undefined; text?: string | undefined; blocks?: unknown[] | undefined };
  /** Ephemeral messages are not echoed back in the payload, only their ts in `container`. */
  isEphemeral?: boolean;
  action: { action_id: string; value?: string; block_id?: string; type?: string };
  responseUrl: string;
  triggerId: string;
  state?: JsonObject;
  actionTs?: string;
}

/** A `block_actions` payload for a button click, shaped like Slack's. */
export function blockActionsPayload(input: BlockActionsInput): JsonObject {
  const teamId = input.teamId ?? DEFAULT_IDENTITY.teamId;
  const found = findElement(input.message.blocks, input.action.action_id);
  const action: JsonObject = {
    action_id: input.action.action_id,
    block_id: input.action.block_id ?? found?.blockId ?? 'block',
    type: input.action.type ?? (typeof found?.element['type'] === 'string' ? found.element['type'] : 'button'),
    action_ts: input.actionTs ?? (Date.now() / 1000).toFixed(6),
  };
  if (found?.element['text'] !== undefined) action['text'] = found.element['text'];
  const value =
    input.action.value ?? (typeof found?.element['value'] === 'string' ? found.element['value'] : undefined);
  if (value !== undefined) action['value'] = value;
  if (found?.element['style'] !== undefined) action['style'] = found.element['style'];

  const container: JsonObject = {
    type: 'message',
    message_ts: input.message.ts,
    channel_id: input.channel.id,
    is_ephemeral: input.isEphemeral ?? false,
  };
  if (input.message.thread_ts !== undefined) container['thread_ts'] = input.message.thread_ts;

  const payload: JsonObject = {
    type: 'block_actions',
    user: userObject(input.user, teamId),
    api_app_id: input.apiAppId ?? DEFAULT_IDENTITY.appId,
    token: input.token ?? 'sandbox-verification-token',
    container,
    trigger_id: input.triggerId,
    team: { id: teamId, domain: input.teamDomain ?? DEFAULT_IDENTITY.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channel.id, name: input.channel.name ?? input.channel.id.toLowerCase() },
    state: input.state ?? { values: {} },
    response_url: input.responseUrl,
    actions: [action],
  };
  if (!input.isEphemeral) {
    // Stored messages carry bookkeeping and file bytes that Slack's payload does not.
    const { source: _source, channel: _channel, files, ...message } = input.message as JsonObject;
    const fileSummaries = Array.isArray(files)
      ? files.map((file: unknown) => {
          if (!isJsonObject(file)) return file;
          const { content: _content, ...summary } = file;
          return summary;
        })
      : undefined;
    payload['message'] = { type: 'message', ...message, ...(fileSummaries ? { files: fileSummaries } : {}) };
  }
  return payload;
}

/** A modal submission, as the playground or a test describes it. */
export interface ViewSubmissionInput extends TeamFields {
  user: { id: string; name?: string };
  /** The view as `views.open` returned it (id, hash, callback_id, private_metadata, blocks). */
  view: JsonObject;
  /**
   * Input values by block id and action id: a string (typed text or chosen option value) or Slack's full state
   * object for that element.
   */
  values: Record<string, Record<string, string | JsonObject>>;
  triggerId: string;
  responseUrls?: JsonObject[];
}

/** A `view_submission` payload, with `view.state.values` in Slack's per-element shape. */
export function viewSubmissionPayload(input: ViewSubmissionInput): JsonObject {
  const teamId = input.teamId ?? DEFAULT_IDENTITY.teamId;
  const blocks = Array.isArray(input.view['blocks']) ? input.view['blocks'] : [];
  const values: Record<string, Record<string, JsonObject>> = {};
  for (const [blockId, byAction] of Object.entries(input.values)) {
    const block = blocks.find((candidate) => isJsonObject(candidate) && candidate['block_id'] === blockId);
    const element = isJsonObject(block) && isJsonObject(block['element']) ? block['element'] : undefined;
    values[blockId] = {};
    for (const [actionId, value] of Object.entries(byAction)) {
      (values[blockId] as Record<string, JsonObject>)[actionId] =
        typeof value === 'string' ? elementState(element, value) : value;
    }
  }
  return {
    type: 'view_submission',
    team: { id: teamId, domain: input.teamDomain ?? DEFAULT_IDENTITY.teamDomain },
    user: userObject(input.user, teamId),
    api_app_id: input.apiAppId ?? DEFAULT_IDENTITY.appId,
    token: input.token ?? 'sandbox-verification-token',
    trigger_id: input.triggerId,
    view: { ...input.view, state: { values } },
    response_urls: input.responseUrls ?? [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

function elementState(element: JsonObject | undefined, value: string): JsonObject {
  const type = typeof element?.['type'] === 'string' ? element['type'] : 'plain_text_input';
  if (type === 'static_select' || type === 'radio_buttons') {
    const options = Array.isArray(element?.['options']) ? element['options'] : [];
    const option = options.find((candidate) => isJsonObject(candidate) && candidate['value'] === value);
    return {
      type,
      selected_option: isJsonObject(option) ? option : { text: { type: 'plain_text', text: value }, value },
    };
  }
  if (type === 'number_input') return { type, value };
  return { type: 'plain_text_input', value };
}

function userObject(user: { id: string; name?: string }, teamId: string): JsonObject {
  const name = user.name ?? user.id.toLowerCase();
  return { id: user.id, username: name, name, team_id: teamId };
}

/** The interactive element with this action id in a message's blocks, and its block id. */
export function findElement(
  blocks: unknown[] | undefined,
  actionId: string,
  /** When several buttons share the action id (one per row), the one with this value. */
  value?: string,
): { blockId: string | undefined; element: JsonObject } | undefined {
  for (const block of blocks ?? []) {
    if (!isJsonObject(block)) continue;
    const elements = Array.isArray(block['elements'])
      ? block['elements']
      : isJsonObject(block['accessory'])
        ? [block['accessory']]
        : [];
    for (const element of elements) {
      if (
        isJsonObject(element) &&
        element['action_id'] === actionId &&
        (value === undefined || element['value'] === value)
      ) {
        return { blockId: typeof block['block_id'] === 'string' ? block['block_id'] : undefined, element };
      }
    }
  }
  return undefined;
}

/** A click on a button of a user's Home tab: no channel, no message, no response_url; the view is echoed. */
export function homeBlockActionsPayload(input: {
  user: { id: string; name?: string };
  view: JsonObject;
  action: { action_id: string; value?: string };
  triggerId: string;
  teamId?: string;
  apiAppId?: string;
}): JsonObject {
  const teamId = input.teamId ?? DEFAULT_IDENTITY.teamId;
  const blocks = Array.isArray(input.view['blocks']) ? input.view['blocks'] : undefined;
  const found = findElement(blocks, input.action.action_id, input.action.value);
  const action: JsonObject = {
    action_id: input.action.action_id,
    block_id: found?.blockId ?? 'block',
    type: typeof found?.element['type'] === 'string' ? found.element['type'] : 'button',
    action_ts: (Date.now() / 1000).toFixed(6),
  };
  if (found?.element['text'] !== undefined) action['text'] = found.element['text'];
  const value =
    input.action.value ?? (typeof found?.element['value'] === 'string' ? found.element['value'] : undefined);
  if (value !== undefined) action['value'] = value;
  return {
    type: 'block_actions',
    user: userObject(input.user, teamId),
    api_app_id: input.apiAppId ?? DEFAULT_IDENTITY.appId,
    token: 'sandbox-verification-token',
    container: { type: 'view', view_id: input.view['id'] ?? '' },
    trigger_id: input.triggerId,
    team: { id: teamId, domain: DEFAULT_IDENTITY.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    view: input.view,
    actions: [action],
  };
}

/** The `event_callback` body of `app_home_opened`, as the Events API posts it and Socket Mode wraps it. */
export function appHomeOpenedPayload(input: {
  user: string;
  channel: string;
  view?: JsonObject;
  teamId?: string;
  apiAppId?: string;
}): JsonObject {
  const now = Date.now() / 1000;
  const event: JsonObject = {
    type: 'app_home_opened',
    user: input.user,
    channel: input.channel,
    tab: 'home',
    event_ts: now.toFixed(6),
  };
  if (input.view) event['view'] = input.view;
  return {
    token: 'sandbox-verification-token',
    team_id: input.teamId ?? DEFAULT_IDENTITY.teamId,
    api_app_id: input.apiAppId ?? DEFAULT_IDENTITY.appId,
    event,
    type: 'event_callback',
    event_id: `Ev${randomUUID().replaceAll('-', '').slice(0, 10).toUpperCase()}`,
    event_time: Math.floor(now),
    authorizations: [
      {
        enterprise_id: null,
        team_id: input.teamId ?? DEFAULT_IDENTITY.teamId,
        user_id: DEFAULT_IDENTITY.botUserId,
        is_bot: true,
      },
    ],
  };
}
