import { randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import { blockProblems, blocksTextLength, SLACK_LIMITS } from './block-limits.js';
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

/**
 * What the stand-in workspace holds (channels, messages, users, groups, views and files) and the helpers every Web API
 * family shares: ids and timestamps as Slack makes them, channel lookup, message validation and Slack's public shapes.
 */
export class WorkspaceState {
  readonly channels = new Map<string, ChannelState>();
  readonly users = new Map<string, SeedUser>();
  readonly usergroups = new Map<string, SeedUserGroup>();
  readonly views = new Map<string, StoredView>();
  /** Each user's Home tab as the app last published it (`views.publish`), by user id. */
  readonly homeViews = new Map<string, StoredView>();
  readonly files = new Map<string, StoredFile>();
  private lastTsMicros = 0;
  private idCounter = 0;

  constructor(readonly options: WorkspaceOptions) {}

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

  /** A workspace-wide counter, so ids and trigger ids never repeat. */
  nextNumber(): number {
    this.idCounter += 1;
    return this.idCounter;
  }

  /** The random tail of a Slack id (V…, F…). */
  nextId(): string {
    return `${this.nextNumber().toString(36).toUpperCase().padStart(4, '0')}${randomBytes(3).toString('hex').toUpperCase()}`;
  }

  /** A view hash as `views.update` compares it. */
  newHash(): string {
    return `${Math.floor(this.options.clock.now() / 1000)}.${randomBytes(4).toString('hex')}`;
  }
}

export function invalidArguments(messages: string[]): MethodResult {
  return { ok: false, error: 'invalid_arguments', response_metadata: { messages } };
}

export function stringArg(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}
