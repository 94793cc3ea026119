/**
 * A Slack-compatible server on 127.0.0.1 for tests and the local playground: the Web API methods the bot calls
 * (point `slackApiUrl`/`SLACK_API_URL` at `standIn.apiUrl`), file uploads, `response_url`s, Socket Mode, recorded
 * calls, fault injection and live `change` events; plus helpers that sign requests to the bot as Slack does.
 */
export { SLACK_LIMITS } from './block-limits.js';
export { SlackStandInError } from './errors.js';
export {
  type BlockActionsInput,
  blockActionsPayload,
  type ViewSubmissionInput,
  viewSubmissionPayload,
} from './payloads.js';
export { type MethodRateLimit, SLACK_RATE_LIMITS } from './rate-limits.js';
export { RESPONSE_URL_LIMITS } from './response-urls.js';
export {
  type BotResponse,
  interactionBody,
  type PostToBotOptions,
  postToBot,
  randomTriggerId,
  type SlackSignatureHeaders,
  type SlashCommandFields,
  signSlackRequest,
  slashCommandBody,
  slashCommandPayload,
} from './sign.js';
export { type BotEndpoint, type Delivery, SlackUserActions } from './slack-actions.js';
export type { EnvelopeOptions, SocketConnectionRecord } from './socket-mode.js';
export {
  BOT_SCOPES,
  type FileSummary,
  type MessageSnapshot,
  SlackStandIn,
  type SlackStandInOptions,
  startSlackStandIn,
  type WorkspaceSnapshot,
} from './stand-in.js';
export type * from './types.js';
export { DEFAULT_IDENTITY, type StandInIdentity } from './workspace.js';
