/** A JSON object as Slack sends and receives it (Block Kit, views, payloads). */
export type JsonObject = { [key: string]: unknown };

/** A workspace member the stand-in knows; `users.info` answers from these. */
export interface SeedUser {
  id: string;
  name: string;
  real_name?: string;
  is_bot?: boolean;
  deleted?: boolean;
  /** Multi-channel guest. */
  is_restricted?: boolean;
  /** Single-channel guest. */
  is_ultra_restricted?: boolean;
  is_admin?: boolean;
  tz?: string;
  team_id?: string;
}

/** A user group (`@sre-leads`); `usergroups.users.list` answers with its `users`. */
export interface SeedUserGroup {
  id: string;
  handle: string;
  name?: string;
  users: string[];
}

/** A conversation the stand-in knows; `conversations.info` answers from these. */
export interface SeedChannel {
  id: string;
  name: string;
  is_private?: boolean;
}

/** A file shared in a channel or thread, with its bytes so a page can offer it for download. */
export interface StoredFile {
  id: string;
  name: string;
  title: string;
  filetype: string;
  mimetype: string;
  size: number;
  /** Declared with `files.getUploadURLExternal` (Slack needs it up front). */
  declaredLength: number;
  content: Buffer;
  user: string;
  created: number;
  /** Where this server serves the bytes (`url_private` in Slack's file object). */
  url: string;
  channels: string[];
  thread_ts?: string;
}

/** A message in a channel as Slack stores it, with edits applied in place. */
export interface StoredMessage {
  type: 'message';
  channel: string;
  ts: string;
  thread_ts?: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  files?: StoredFile[];
  edited?: { user: string; ts: string };
  /** Which way it came in: a Web API call, a `response_url` post, an ack body, a file share or a person. */
  source: 'chat.postMessage' | 'response_url' | 'ack' | 'file_share' | 'user';
}

/** A message only one user sees (`chat.postEphemeral` or an ephemeral `response_url` post). */
export interface StoredEphemeral {
  channel: string;
  /** Slack reports this as `message_ts`; it identifies the ephemeral for `replace_original`. */
  ts: string;
  thread_ts?: string;
  /** The only user who sees it. */
  user: string;
  bot_id?: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  /** `slackbot` is Slack itself reporting that the app failed (`operation_timeout`, `dispatch_failed`). */
  source: 'chat.postEphemeral' | 'response_url' | 'ack' | 'slackbot';
}

/** A modal opened with `views.open` (or pushed), with Slack's view id and hash. */
export interface StoredView {
  id: string;
  /** The user the trigger belonged to, when the trigger came from this stand-in. */
  user: string | undefined;
  trigger_id: string;
  external_id?: string;
  hash: string;
  root_view_id: string;
  previous_view_id?: string;
  state: 'open' | 'closed';
  /** Per-block errors from a submission acked with `response_action: 'errors'`, shown under the inputs. */
  errors?: Record<string, string>;
  /** The view as Slack echoes it: the app's definition plus id, hash, state and app/bot ids. */
  view: JsonObject;
}

/** One channel's visible history. */
export interface ChannelState {
  id: string;
  name: string;
  is_private: boolean;
  messages: StoredMessage[];
  ephemerals: StoredEphemeral[];
}

/** What a UI renders, pushed on `change`. */
export type StandInChange =
  | { kind: 'message_posted' | 'message_updated' | 'message_deleted'; channel: string; message: StoredMessage }
  | {
      kind: 'ephemeral_posted' | 'ephemeral_updated' | 'ephemeral_deleted';
      channel: string;
      ephemeral: StoredEphemeral;
    }
  | { kind: 'view_opened' | 'view_updated' | 'view_pushed' | 'view_closed' | 'home_published'; view: StoredView }
  | { kind: 'file_shared'; file: StoredFile };

/** Every request the stand-in answered, in arrival order. */
export interface RecordedCall {
  /** A Web API method (`chat.postMessage`), or `upload` for the upload POST, or `response_url` for a response_url post. */
  method: string;
  /** Parsed arguments (JSON-looking form fields such as `blocks` or `view` are decoded). */
  args: JsonObject;
  /** Bearer token or `token` field, if any. */
  token: string | undefined;
  /** Epoch milliseconds when the request arrived. */
  at: number;
  response: { status: number; body: JsonObject | string; headers: Record<string, string> };
}

/** A frame the app sent back on the Socket Mode connection for an envelope. */
export interface SocketAck {
  envelope_id: string;
  /** What the app passed to `ack()`: `{}` for a bare ack, or the response payload. */
  payload: JsonObject;
}

export type SocketEnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** Reasons Slack gives in a `disconnect` frame. */
export type SocketDisconnectReason = 'refresh_requested' | 'warning' | 'link_disabled' | 'too_many_websockets';

/** A scripted misbehaviour for the next matching call(s). */
export type FaultSpec = {
  /** Web API method name, `upload`, `response_url`, or `*` for any. */
  method: string;
  /** How many matching calls it affects; default 1. `Number.POSITIVE_INFINITY` keeps it on. */
  times?: number;
  /** Only calls whose parsed args pass this are affected. */
  match?: (args: JsonObject) => boolean;
} & (
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  | { kind: 'error'; error: string; extra?: JsonObject }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'http_error'; status: number }
  /** The call takes effect, then the connection is cut before the response: the client sees a network error. */
  | { kind: 'lost_response' }
);

/** A registered fault; `remaining` counts down as calls hit it. */
export interface FaultHandle {
  readonly spec: FaultSpec;
  readonly remaining: number;
  /** Calls it has affected so far. */
  readonly hits: number;
  clear(): void;
}

/** Where a `response_url` posts land, as the invocation that produced it would have them land. */
export interface ResponseUrlContext {
  channel: string;
  /** The invoking user: ephemeral posts are shown to them. */
  user: string;
  /** The message a button was clicked on, which `replace_original`/`delete_original` act on. */
  message_ts?: string;
  /** Whether that message is an ephemeral (then replace/delete act on the ephemeral). */
  message_is_ephemeral?: boolean;
  /** Thread the invocation happened in; replies default there. */
  thread_ts?: string;
}
