import { randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import { blockProblems, blocksTextLength, SLACK_LIMITS } from './block-limits.js';
import { isJsonObject } from './http-body.js';
import type {
  ChannelState,
  JsonObject,
  SeedChannel,
  SeedUser,
  SeedUserGroup,
  StandInChange,
  StoredEphemeral,
  StoredFile,
  StoredMessage,
  StoredView,
} from './types.js';

/** Who the bot is in the stand-in workspace; `auth.test` reports these. */
export interface StandInIdentity {
  teamId: string;
  teamName: string;
  teamDomain: string;
  botUserId: string;
  botId: string;
  appId: string;
  botName: string;
}

export const DEFAULT_IDENTITY: StandInIdentity = {
  teamId: 'T0SANDBOX',
  teamName: 'Sandbox',
  teamDomain: 'sandbox',
  botUserId: 'U0ECSEXEC',
  botId: 'B0ECSEXEC',
  appId: 'A0ECSEXEC',
  botName: 'ecs-exec',
};

/** A Web API method's answer: Slack's JSON body (`ok` true or false). */
export type MethodResult = JsonObject & { ok: boolean };

interface PendingUpload {
  fileId: string;
  filename: string;
  length: number;
  snippetType: string | undefined;
  content: Buffer | undefined;
}

interface Trigger {
  user: string;
  expiresAt: number;
}

export interface WorkspaceOptions {
  identity: StandInIdentity;
  clock: Clock;
  /** Base URL of the server, known only once it listens. */
  baseUrl: () => string;
  /** When true, posting to a channel that was never seeded fails with `channel_not_found` as in Slack. */
  strictChannels: boolean;
  /** When true, `views.open` refuses trigger ids this stand-in did not issue. */
  strictTriggers: boolean;
  /** How long a trigger id stays usable (Slack: 3 s). */
  triggerTtlMs: number;
  emit: (change: StandInChange) => void;
}

const MIME_BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain',
  log: 'text/plain',
  json: 'application/json',
  csv: 'text/csv',
  html: 'text/html',
  png: 'image/png',
  gz: 'application/gzip',
};

/** The workspace the stand-in serves: channels, messages, users, groups, views and files, changed by Web API calls. */
export class SlackWorkspace {
  readonly channels = new Map<string, ChannelState>();
  readonly users = new Map<string, SeedUser>();
  readonly usergroups = new Map<string, SeedUserGroup>();
  readonly views = new Map<string, StoredView>();
  readonly files = new Map<string, StoredFile>();
  private readonly uploadsByToken = new Map<string, PendingUpload>();
  private readonly uploadsById = new Map<string, PendingUpload>();
  private readonly triggers = new Map<string, Trigger>();
  private lastTsMicros = 0;
  private idCounter = 0;

  constructor(private readonly options: WorkspaceOptions) {}

  get identity(): StandInIdentity {
    return this.options.identity;
  }

  /** Adds or replaces a user. */
  seedUser(user: SeedUser): void {
    this.users.set(user.id, user);
  }

  /** Adds or replaces a user group. */
  seedUserGroup(group: SeedUserGroup): void {
    this.usergroups.set(group.id, { ...group, users: [...group.users] });
  }

  /** Adds a channel (keeps its history if it exists). */
  seedChannel(channel: SeedChannel): ChannelState {
    const existing = this.channels.get(channel.id);
    if (existing) {
      existing.name = channel.name;
      existing.is_private = channel.is_private ?? false;
      return existing;
    }
    const state: ChannelState = {
      id: channel.id,
      name: channel.name,
      is_private: channel.is_private ?? false,
      messages: [],
      ephemerals: [],
    };
    this.channels.set(channel.id, state);
    return state;
  }

  /** A trigger id as Slack hands out with a command or click, tied to the user for `views.open`. */
  createTriggerId(user: string): string {
    const now = this.options.clock.now();
    const id = `${Math.floor(now / 1000)}.${this.nextNumber()}.${randomBytes(16).toString('hex')}`;
    this.triggers.set(id, { user, expiresAt: now + this.options.triggerTtlMs });
    return id;
  }

  /** A message typed by a person (the playground's composer), so a UI shows the conversation around the bot. */
  postUserMessage(channel: string, user: string, text: string, threadTs?: string): StoredMessage {
    const state = this.channels.get(channel) ?? this.seedChannel({ id: channel, name: channel.toLowerCase() });
    const message: StoredMessage = { type: 'message', channel, ts: this.nextTs(), user, text, source: 'user' };
    if (threadTs !== undefined) message.thread_ts = threadTs;
    state.messages.push(message);
    this.options.emit({ kind: 'message_posted', channel, message });
    return message;
  }

  /** Slack's message timestamp: seconds with microseconds, unique and increasing across the workspace. */
  nextTs(): string {
    const micros = Math.max(this.options.clock.now() * 1000, this.lastTsMicros + 1);
    this.lastTsMicros = micros;
    return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  /** Runs one Web API method (authentication already checked). */
  call(method: string, args: JsonObject): MethodResult {
    switch (method) {
      case 'api.test':
        return { ok: true, args };
      case 'auth.test':
        return this.authTest();
      case 'chat.postMessage':
        return this.postMessage(args);
      case 'chat.update':
        return this.updateMessage(args);
      case 'chat.postEphemeral':
        return this.postEphemeral(args);
      case 'chat.delete':
        return this.deleteMessage(args);
      case 'chat.getPermalink':
        return this.getPermalink(args);
      case 'views.open':
        return this.openView(args, 'views.open');
      case 'views.push':
        return this.openView(args, 'views.push');
      case 'views.update':
        return this.updateView(args);
      case 'users.info':
        return this.usersInfo(args);
      case 'usergroups.users.list':
        return this.usergroupUsers(args);
      case 'usergroups.list':
        return this.usergroupsList(args);
      case 'conversations.info':
        return this.conversationsInfo(args);
      case 'files.getUploadURLExternal':
        return this.getUploadUrl(args);
      case 'files.completeUploadExternal':
        return this.completeUpload(args);
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  /** Stores the bytes POSTed to an upload URL; false when the URL is unknown or already used. */
  receiveUpload(uploadToken: string, content: Buffer): boolean {
    const pending = this.uploadsByToken.get(uploadToken);
    if (!pending || pending.content !== undefined) return false;
    pending.content = content;
    return true;
  }

  private authTest(): MethodResult {
    const id = this.options.identity;
    return {
      ok: true,
      url: `https://${id.teamDomain}.slack.com/`,
      team: id.teamName,
      user: id.botName,
      team_id: id.teamId,
      user_id: id.botUserId,
      bot_id: id.botId,
      is_enterprise_install: false,
    };
  }

  private postMessage(args: JsonObject): MethodResult {
    const channel = this.resolveChannel(args['channel']);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const content = this.messageContent(args, SLACK_LIMITS.messageText);
    if ('error' in content) return content.error;
    if (!content.text && content.blocks === undefined && content.attachments === undefined) {
      return { ok: false, error: 'no_text' };
    }
    const message = this.postAsBot(
      channel,
      content,
      stringArg(args['thread_ts']),
      'chat.postMessage',
      args['metadata'],
    );
    return {
      ok: true,
      channel: channel.id,
      ts: message.ts,
      message: this.publicMessage(message),
      ...content.warning,
    };
  }

  private updateMessage(args: JsonObject): MethodResult {
    const channel = this.channels.get(stringArg(args['channel']) ?? '');
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const ts = stringArg(args['ts']);
    const message = channel.messages.find((candidate) => candidate.ts === ts);
    if (!message) return { ok: false, error: 'message_not_found' };
    if (message.bot_id !== this.options.identity.botId) return { ok: false, error: 'cant_update_message' };
    const text = stringArg(args['text']);
    if (text !== undefined && text.length > SLACK_LIMITS.updateText) return { ok: false, error: 'msg_too_long' };
    const content = this.messageContent(args, SLACK_LIMITS.updateText);
    if ('error' in content) return content.error;
    if (content.text !== undefined) message.text = content.text;
    if (content.blocks !== undefined) message.blocks = content.blocks;
    if (content.attachments !== undefined) message.attachments = content.attachments;
    if (args['metadata'] !== undefined) message.metadata = args['metadata'];
    message.edited = { user: this.options.identity.botUserId, ts: this.nextTs() };
    this.options.emit({ kind: 'message_updated', channel: channel.id, message });
    return { ok: true, channel: channel.id, ts: message.ts, text: message.text, message: this.publicMessage(message) };
  }

  private postEphemeral(args: JsonObject): MethodResult {
    const channel = this.resolveChannel(args['channel']);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const user = stringArg(args['user']);
    if (!user) return { ok: false, error: 'user_not_found' };
    if (this.users.size > 0 && !this.users.has(user)) return { ok: false, error: 'user_not_found' };
    const content = this.messageContent(args, SLACK_LIMITS.messageText);
    if ('error' in content) return content.error;
    if (!content.text && content.blocks === undefined && content.attachments === undefined) {
      return { ok: false, error: 'no_text' };
    }
    const ephemeral = this.addEphemeral(channel, user, content, stringArg(args['thread_ts']), 'chat.postEphemeral');
    return { ok: true, message_ts: ephemeral.ts };
  }

  /** Posts a message as the app: `chat.postMessage`, an in-channel ack body or a `response_url` post. */
  postAsBot(
    channel: ChannelState,
    content: { text?: string | undefined; blocks?: unknown[] | undefined; attachments?: unknown[] | undefined },
    threadTs: string | undefined,
    source: StoredMessage['source'],
    metadata?: unknown,
  ): StoredMessage {
    const id = this.options.identity;
    const message: StoredMessage = {
      type: 'message',
      channel: channel.id,
      ts: this.nextTs(),
      user: id.botUserId,
      bot_id: id.botId,
      app_id: id.appId,
      text: content.text ?? '',
      source,
    };
    if (content.blocks !== undefined) message.blocks = content.blocks;
    if (content.attachments !== undefined) message.attachments = content.attachments;
    if (threadTs) message.thread_ts = threadTs;
    if (metadata !== undefined) message.metadata = metadata;
    channel.messages.push(message);
    this.options.emit({ kind: 'message_posted', channel: channel.id, message });
    return message;
  }

  /** Records an ephemeral for one user; shared by `chat.postEphemeral` and `response_url` posts. */
  addEphemeral(
    channel: ChannelState,
    user: string,
    content: { text?: string | undefined; blocks?: unknown[] | undefined; attachments?: unknown[] | undefined },
    threadTs: string | undefined,
    source: StoredEphemeral['source'],
  ): StoredEphemeral {
    const ephemeral: StoredEphemeral = {
      channel: channel.id,
      ts: this.nextTs(),
      user,
      text: content.text ?? '',
      source,
    };
    if (source !== 'slackbot') ephemeral.bot_id = this.options.identity.botId;
    if (content.blocks !== undefined) ephemeral.blocks = content.blocks;
    if (content.attachments !== undefined) ephemeral.attachments = content.attachments;
    if (threadTs) ephemeral.thread_ts = threadTs;
    channel.ephemerals.push(ephemeral);
    this.options.emit({ kind: 'ephemeral_posted', channel: channel.id, ephemeral });
    return ephemeral;
  }

  private deleteMessage(args: JsonObject): MethodResult {
    const channel = this.channels.get(stringArg(args['channel']) ?? '');
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const ts = stringArg(args['ts']);
    const index = channel.messages.findIndex((candidate) => candidate.ts === ts);
    const message = channel.messages[index];
    if (!message) return { ok: false, error: 'message_not_found' };
    if (message.bot_id !== this.options.identity.botId) return { ok: false, error: 'cant_delete_message' };
    channel.messages.splice(index, 1);
    this.options.emit({ kind: 'message_deleted', channel: channel.id, message });
    return { ok: true, channel: channel.id, ts: message.ts };
  }

  private getPermalink(args: JsonObject): MethodResult {
    const channel = this.channels.get(stringArg(args['channel']) ?? '');
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const ts = stringArg(args['message_ts']);
    if (!ts || !channel.messages.some((message) => message.ts === ts)) return { ok: false, error: 'message_not_found' };
    return {
      ok: true,
      channel: channel.id,
      permalink: `${this.options.baseUrl()}/archives/${channel.id}/p${ts.replace('.', '')}`,
    };
  }

  private openView(args: JsonObject, method: 'views.open' | 'views.push'): MethodResult {
    const triggerId = stringArg(args['trigger_id']);
    if (!triggerId) return { ok: false, error: 'invalid_arguments' };
    const trigger = this.triggers.get(triggerId);
    if (!trigger && this.options.strictTriggers) return { ok: false, error: 'invalid_trigger_id' };
    if (trigger && trigger.expiresAt < this.options.clock.now()) return { ok: false, error: 'expired_trigger_id' };
    const definition = args['view'];
    const problems = viewProblems(definition);
    if (problems.length > 0) return invalidArguments(problems);
    const user = trigger?.user;
    let previous: StoredView | undefined;
    if (method === 'views.push') {
      previous = [...this.views.values()].reverse().find((view) => view.state === 'open' && view.user === user);
      if (!previous) return { ok: false, error: 'not_found' };
    }
    const id = `V${this.nextId()}`;
    const stored: StoredView = {
      id,
      user,
      trigger_id: triggerId,
      hash: this.newHash(),
      root_view_id: previous?.root_view_id ?? id,
      state: 'open',
      view: {},
    };
    if (previous) stored.previous_view_id = previous.id;
    const externalId = isJsonObject(definition) ? stringArg(definition['external_id']) : undefined;
    if (externalId) stored.external_id = externalId;
    stored.view = this.echoView(stored, definition as JsonObject);
    this.views.set(id, stored);
    this.options.emit({ kind: method === 'views.open' ? 'view_opened' : 'view_pushed', view: stored });
    return { ok: true, view: stored.view };
  }

  private updateView(args: JsonObject): MethodResult {
    const viewId = stringArg(args['view_id']);
    const externalId = stringArg(args['external_id']);
    if (!viewId && !externalId) return { ok: false, error: 'invalid_arguments' };
    const stored = viewId
      ? this.views.get(viewId)
      : [...this.views.values()].find((view) => view.external_id === externalId);
    if (!stored) return { ok: false, error: 'not_found' };
    const hash = stringArg(args['hash']);
    if (hash !== undefined && hash !== stored.hash) return { ok: false, error: 'hash_conflict' };
    const problems = viewProblems(args['view']);
    if (problems.length > 0) return invalidArguments(problems);
    stored.hash = this.newHash();
    stored.view = this.echoView(stored, args['view'] as JsonObject);
    this.options.emit({ kind: 'view_updated', view: stored });
    return { ok: true, view: stored.view };
  }

  /** Replaces an open modal's content as a `response_action: 'update'` ack does. */
  replaceView(viewId: string, definition: JsonObject): StoredView | undefined {
    const stored = this.views.get(viewId);
    if (!stored || viewProblems(definition).length > 0) return undefined;
    stored.hash = this.newHash();
    delete stored.errors;
    stored.view = this.echoView(stored, definition);
    this.options.emit({ kind: 'view_updated', view: stored });
    return stored;
  }

  /** Shows per-block errors on an open modal as a `response_action: 'errors'` ack does. */
  setViewErrors(viewId: string, errors: Record<string, string>): StoredView | undefined {
    const stored = this.views.get(viewId);
    if (!stored) return undefined;
    stored.errors = { ...errors };
    this.options.emit({ kind: 'view_updated', view: stored });
    return stored;
  }

  /** Opens a modal on top of another, as a `response_action: 'push'` ack does. */
  pushViewOver(viewId: string, definition: JsonObject): StoredView | undefined {
    const previous = this.views.get(viewId);
    if (!previous || viewProblems(definition).length > 0) return undefined;
    const id = `V${this.nextId()}`;
    const stored: StoredView = {
      id,
      user: previous.user,
      trigger_id: previous.trigger_id,
      hash: this.newHash(),
      root_view_id: previous.root_view_id,
      previous_view_id: previous.id,
      state: 'open',
      view: {},
    };
    stored.view = this.echoView(stored, definition);
    this.views.set(id, stored);
    this.options.emit({ kind: 'view_pushed', view: stored });
    return stored;
  }

  /** Marks a modal closed (the user submitted or dismissed it). */
  closeView(viewId: string): StoredView | undefined {
    const stored = this.views.get(viewId);
    if (!stored || stored.state === 'closed') return stored;
    stored.state = 'closed';
    this.options.emit({ kind: 'view_closed', view: stored });
    return stored;
  }

  private echoView(stored: StoredView, definition: JsonObject): JsonObject {
    const id = this.options.identity;
    return {
      id: stored.id,
      team_id: id.teamId,
      type: definition['type'],
      blocks: definition['blocks'] ?? [],
      private_metadata: definition['private_metadata'] ?? '',
      callback_id: definition['callback_id'] ?? '',
      state: { values: {} },
      hash: stored.hash,
      title: definition['title'],
      clear_on_close: definition['clear_on_close'] ?? false,
      notify_on_close: definition['notify_on_close'] ?? false,
      close: definition['close'] ?? null,
      submit: definition['submit'] ?? null,
      previous_view_id: stored.previous_view_id ?? null,
      root_view_id: stored.root_view_id,
      app_id: id.appId,
      external_id: stored.external_id ?? '',
      app_installed_team_id: id.teamId,
      bot_id: id.botId,
    };
  }

  private usersInfo(args: JsonObject): MethodResult {
    const id = stringArg(args['user']);
    const user = id === undefined ? undefined : this.users.get(id);
    if (!user) return { ok: false, error: 'user_not_found' };
    const realName = user.real_name ?? user.name;
    return {
      ok: true,
      user: {
        id: user.id,
        team_id: user.team_id ?? this.options.identity.teamId,
        name: user.name,
        deleted: user.deleted ?? false,
        real_name: realName,
        tz: user.tz ?? 'Europe/London',
        profile: { real_name: realName, display_name: user.name, real_name_normalized: realName },
        is_admin: user.is_admin ?? false,
        is_owner: false,
        is_bot: user.is_bot ?? false,
        is_restricted: user.is_restricted ?? false,
        is_ultra_restricted: user.is_ultra_restricted ?? false,
        is_app_user: false,
        updated: Math.floor(this.options.clock.now() / 1000),
      },
    };
  }

  private usergroupUsers(args: JsonObject): MethodResult {
    const id = stringArg(args['usergroup']);
    const group = id === undefined ? undefined : this.usergroups.get(id);
    if (!group) return { ok: false, error: 'no_such_subteam' };
    return { ok: true, users: [...group.users] };
  }

  private usergroupsList(args: JsonObject): MethodResult {
    const includeUsers = args['include_users'] === true || args['include_users'] === 'true';
    return {
      ok: true,
      usergroups: [...this.usergroups.values()].map((group) => ({
        id: group.id,
        team_id: this.options.identity.teamId,
        is_usergroup: true,
        name: group.name ?? group.handle,
        handle: group.handle,
        description: '',
        user_count: group.users.length,
        ...(includeUsers ? { users: [...group.users] } : {}),
      })),
    };
  }

  private conversationsInfo(args: JsonObject): MethodResult {
    const channel = this.channels.get(stringArg(args['channel']) ?? '');
    if (!channel) return { ok: false, error: 'channel_not_found' };
    return {
      ok: true,
      channel: {
        id: channel.id,
        name: channel.name,
        is_channel: !channel.is_private,
        is_group: channel.is_private,
        is_im: false,
        is_private: channel.is_private,
        is_archived: false,
        is_member: true,
        created: 1_700_000_000,
      },
    };
  }

  private getUploadUrl(args: JsonObject): MethodResult {
    const filename = stringArg(args['filename']);
    const length = Number(args['length']);
    if (!filename || args['length'] === undefined || !Number.isInteger(length) || length < 0) {
      return { ok: false, error: 'invalid_arguments' };
    }
    const snippetType = stringArg(args['snippet_type']);
    // Slack refuses snippets above 1 MB; plain files may be much larger.
    if (snippetType && length > 1_000_000) return { ok: false, error: 'snippet_too_large' };
    const fileId = `F${this.nextId()}`;
    const token = randomBytes(12).toString('hex');
    const pending: PendingUpload = { fileId, filename, length, snippetType, content: undefined };
    this.uploadsByToken.set(token, pending);
    this.uploadsById.set(fileId, pending);
    return { ok: true, upload_url: `${this.options.baseUrl()}/upload/v1/${token}`, file_id: fileId };
  }

  private completeUpload(args: JsonObject): MethodResult {
    const requested = args['files'];
    if (!Array.isArray(requested) || requested.length === 0) return { ok: false, error: 'invalid_arguments' };
    const channelIds = [
      ...new Set(
        [stringArg(args['channel_id']), ...(stringArg(args['channels'])?.split(',') ?? [])]
          .map((id) => id?.trim())
          .filter((id): id is string => Boolean(id)),
      ),
    ];
    const channels: ChannelState[] = [];
    for (const id of channelIds) {
      const channel = this.resolveChannel(id);
      if (!channel) return { ok: false, error: 'channel_not_found' };
      channels.push(channel);
    }
    const threadTs = stringArg(args['thread_ts']);
    if (threadTs && channels.length === 0) return { ok: false, error: 'invalid_arguments' };
    const pendings: Array<{ pending: PendingUpload; title: string }> = [];
    for (const entry of requested) {
      const fileId = isJsonObject(entry) ? stringArg(entry['id']) : undefined;
      const pending = fileId === undefined ? undefined : this.uploadsById.get(fileId);
      if (!pending || pending.content === undefined) return { ok: false, error: 'file_not_found' };
      const title = (isJsonObject(entry) ? stringArg(entry['title']) : undefined) ?? pending.filename;
      pendings.push({ pending, title });
    }
    const now = this.options.clock.now();
    const stored: StoredFile[] = pendings.map(({ pending, title }) => {
      this.uploadsById.delete(pending.fileId);
      const extension = pending.filename.includes('.') ? (pending.filename.split('.').pop() ?? '') : '';
      const file: StoredFile = {
        id: pending.fileId,
        name: pending.filename,
        title,
        filetype: pending.snippetType ?? (extension || 'text'),
        mimetype: MIME_BY_EXTENSION[extension.toLowerCase()] ?? 'text/plain',
        size: pending.content?.length ?? 0,
        declaredLength: pending.length,
        content: pending.content ?? Buffer.alloc(0),
        user: this.options.identity.botUserId,
        created: Math.floor(now / 1000),
        url: `${this.options.baseUrl()}/files/${pending.fileId}/${encodeURIComponent(pending.filename)}`,
        channels: channels.map((channel) => channel.id),
      };
      if (threadTs) file.thread_ts = threadTs;
      this.files.set(file.id, file);
      this.options.emit({ kind: 'file_shared', file });
      return file;
    });
    const comment = stringArg(args['initial_comment']) ?? '';
    for (const channel of channels) {
      const id = this.options.identity;
      const message: StoredMessage = {
        type: 'message',
        channel: channel.id,
        ts: this.nextTs(),
        user: id.botUserId,
        bot_id: id.botId,
        app_id: id.appId,
        text: comment,
        files: stored,
        source: 'file_share',
      };
      if (threadTs) message.thread_ts = threadTs;
      const blocks = args['blocks'];
      if (Array.isArray(blocks)) message.blocks = blocks;
      channel.messages.push(message);
      this.options.emit({ kind: 'message_posted', channel: channel.id, message });
    }
    return { ok: true, files: stored.map((file) => this.publicFile(file)) };
  }

  /** Slack's file object for a stored file. */
  publicFile(file: StoredFile): JsonObject {
    return {
      id: file.id,
      created: file.created,
      timestamp: file.created,
      name: file.name,
      title: file.title,
      mimetype: file.mimetype,
      filetype: file.filetype,
      pretty_type: file.filetype,
      user: file.user,
      user_team: this.options.identity.teamId,
      editable: false,
      size: file.size,
      mode: 'hosted',
      is_external: false,
      external_type: '',
      is_public: file.channels.length > 0,
      public_url_shared: false,
      url_private: file.url,
      url_private_download: `${file.url}?download=1`,
      permalink: file.url,
      channels: [...file.channels],
    };
  }

  /** Slack's message object (as returned by `chat.postMessage`), without the stand-in's bookkeeping. */
  publicMessage(message: StoredMessage): JsonObject {
    const id = this.options.identity;
    const { source: _source, channel: _channel, files, ...rest } = message;
    const result: JsonObject = { ...rest, team: id.teamId };
    if (files) result['files'] = files.map((file) => this.publicFile(file));
    if (message.bot_id) {
      result['bot_profile'] = { id: id.botId, app_id: id.appId, name: id.botName, team_id: id.teamId, deleted: false };
    }
    return result;
  }

  /** Finds a channel; unknown ids are created unless the stand-in is strict about channels. */
  resolveChannel(value: unknown): ChannelState | undefined {
    const id = stringArg(value);
    if (!id) return undefined;
    const existing = this.channels.get(id);
    if (existing) return existing;
    if (this.options.strictChannels) return undefined;
    return this.seedChannel({ id, name: id.toLowerCase() });
  }

  /** Shared text/blocks/attachments validation of chat methods and `response_url` posts. */
  messageContent(
    args: JsonObject,
    maxText: number,
  ): { text?: string; blocks?: unknown[]; attachments?: unknown[]; warning?: JsonObject } | { error: MethodResult } {
    const result: { text?: string; blocks?: unknown[]; attachments?: unknown[]; warning?: JsonObject } = {};
    const text = args['text'];
    if (text !== undefined && text !== null) {
      const asString = String(text);
      if (asString.length > maxText) {
        result.text = asString.slice(0, maxText);
        result.warning = {
          warning: 'message_truncated',
          response_metadata: { warnings: ['message_truncated'] },
        };
      } else {
        result.text = asString;
      }
    }
    const blocks = args['blocks'];
    if (blocks !== undefined && blocks !== null && blocks !== '') {
      const problems = blockProblems(blocks);
      if (problems.length > 0) {
        return { error: { ok: false, error: 'invalid_blocks', response_metadata: { messages: problems } } };
      }
      if (blocksTextLength(blocks) > SLACK_LIMITS.blocksText)
        return { error: { ok: false, error: 'msg_blocks_too_long' } };
      result.blocks = blocks as unknown[];
    }
    const attachments = args['attachments'];
    if (Array.isArray(attachments)) result.attachments = attachments;
    return result;
  }

  private nextNumber(): number {
    this.idCounter += 1;
    return this.idCounter;
  }

  private nextId(): string {
    return `${this.nextNumber().toString(36).toUpperCase().padStart(4, '0')}${randomBytes(3).toString('hex').toUpperCase()}`;
  }

  private newHash(): string {
    return `${Math.floor(this.options.clock.now() / 1000)}.${randomBytes(4).toString('hex')}`;
  }
}

function viewProblems(definition: unknown): string[] {
  if (!isJsonObject(definition)) return ['[ERROR] missing required field: view'];
  const problems: string[] = [];
  if (definition['type'] !== 'modal') problems.push('[ERROR] must be "modal" [json-pointer:/view/type]');
  if (!isJsonObject(definition['title'])) problems.push('[ERROR] missing required field: title [json-pointer:/view]');
  problems.push(
    ...blockProblems(definition['blocks'] ?? [], SLACK_LIMITS.modalBlocks).map((problem) =>
      problem.replace('json-pointer:/blocks', 'json-pointer:/view/blocks'),
    ),
  );
  return problems;
}

function invalidArguments(messages: string[]): MethodResult {
  return { ok: false, error: 'invalid_arguments', response_metadata: { messages } };
}

function stringArg(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}
