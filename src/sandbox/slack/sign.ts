import { createHmac, randomBytes } from 'node:crypto';
import type { JsonObject } from './types.js';
import { DEFAULT_IDENTITY } from './workspace.js';

export {
  type BlockActionsInput,
  blockActionsPayload,
  type ViewSubmissionInput,
  viewSubmissionPayload,
} from './payloads.js';

/** The two headers Slack adds to every request it sends an app. */
export interface SlackSignatureHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
}

/** Signs a body as Slack does: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret. */
export function signSlackRequest(
  signingSecret: string,
  rawBody: string | Buffer,
  timestampSeconds: number = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestampSeconds}:`);
  hmac.update(rawBody);
  return {
    'x-slack-signature': `v0=${hmac.digest('hex')}`,
    'x-slack-request-timestamp': String(timestampSeconds),
  };
}

/** The fields of a slash-command request; the ones left out get plausible sandbox values. */
export interface SlashCommandFields {
  channel_id: string;
  user_id: string;
  text?: string;
  command?: string;
  user_name?: string;
  channel_name?: string;
  team_id?: string;
  team_domain?: string;
  enterprise_id?: string;
  api_app_id?: string;
  response_url?: string;
  trigger_id?: string;
  /** The deprecated verification token Slack still sends. */
  token?: string;
}

/** A slash command's fields as Slack sends them (form fields over HTTP, the envelope payload in Socket Mode). */
export function slashCommandPayload(fields: SlashCommandFields): Record<string, string> {
  const payload: Record<string, string> = {
    token: fields.token ?? 'sandbox-verification-token',
    team_id: fields.team_id ?? DEFAULT_IDENTITY.teamId,
    team_domain: fields.team_domain ?? DEFAULT_IDENTITY.teamDomain,
  };
  if (fields.enterprise_id !== undefined) payload['enterprise_id'] = fields.enterprise_id;
  Object.assign(payload, {
    channel_id: fields.channel_id,
    channel_name: fields.channel_name ?? fields.channel_id.toLowerCase(),
    user_id: fields.user_id,
    user_name: fields.user_name ?? fields.user_id.toLowerCase(),
    command: fields.command ?? '/ecs-exec',
    text: fields.text ?? '',
    api_app_id: fields.api_app_id ?? DEFAULT_IDENTITY.appId,
    is_enterprise_install: 'false',
    response_url:
      fields.response_url ?? `https://hooks.slack.com/commands/T0SANDBOX/0/${randomBytes(12).toString('hex')}`,
    trigger_id: fields.trigger_id ?? randomTriggerId(),
  });
  return payload;
}

/** A slash-command body, form-encoded in the field order Slack uses. */
export function slashCommandBody(fields: SlashCommandFields): string {
  return new URLSearchParams(slashCommandPayload(fields)).toString();
}

/** An interaction body: the JSON payload in one `payload` form field, as Slack posts it. */
export function interactionBody(payload: JsonObject): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** A trigger id in Slack's shape, for requests that do not come through a stand-in. */
export function randomTriggerId(): string {
  return `${Math.floor(Date.now() / 1000)}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;
}

export interface PostToBotOptions {
  /** Defaults to now; pass a stale one to test the replay window. */
  timestampSeconds?: number;
  /** Defaults to form-encoded, or JSON when the body starts with `{` (Events API). */
  contentType?: string;
  /** Replaces the computed signature, to test tampering. */
  signature?: string;
  /** Sends no signature headers at all. */
  unsigned?: boolean;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** What the bot answered. */
export interface BotResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
}

/** POSTs a signed body to the bot's HTTP receiver the way Slack does and returns what came back. */
export async function postToBot(
  botUrl: string,
  signingSecret: string,
  body: string,
  options: PostToBotOptions = {},
): Promise<BotResponse> {
  const contentType =
    options.contentType ??
    (body.trimStart().startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded');
  const headers: Record<string, string> = {
    'content-type': contentType,
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    ...options.headers,
  };
  if (!options.unsigned) {
    const signed = signSlackRequest(signingSecret, body, options.timestampSeconds);
    headers['x-slack-request-timestamp'] = signed['x-slack-request-timestamp'];
    headers['x-slack-signature'] = options.signature ?? signed['x-slack-signature'];
  }
  const response = await fetch(botUrl, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: Object.fromEntries(response.headers.entries()), body: text, json };
}
