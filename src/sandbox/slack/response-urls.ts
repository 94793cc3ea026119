import { randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';
import { SLACK_LIMITS } from './block-limits.js';
import type { JsonObject, ResponseUrlContext, StandInChange } from './types.js';
import type { SlackWorkspace } from './workspace.js';

/** Slack lets an app use a `response_url` up to five times within thirty minutes. */
export const RESPONSE_URL_LIMITS = { uses: 5, lifetimeMs: 30 * 60 * 1000 } as const;

interface IssuedUrl {
  context: ResponseUrlContext;
  createdAt: number;
  uses: number;
}

/** What a `response_url` post answers. */
export interface ResponseUrlOutcome {
  status: number;
  body: JsonObject;
}

/** `response_url`s handed to the app, and what posting to them does to the workspace. */
export class ResponseUrls {
  private readonly issued = new Map<string, IssuedUrl>();

  constructor(
    private readonly workspace: SlackWorkspace,
    private readonly clock: Clock,
    private readonly emit: (change: StandInChange) => void,
  ) {}

  /** Registers a URL for one invocation; returns its path id. */
  issue(context: ResponseUrlContext): string {
    const id = `${this.workspace.identity.teamId}/${this.clock.now().toString(36)}/${randomBytes(12).toString('hex')}`;
    this.issued.set(id, { context, createdAt: this.clock.now(), uses: 0 });
    return id;
  }

  /** Applies one post as Slack would: ephemeral by default, `in_channel`, `replace_original` or `delete_original`. */
  post(id: string, payload: JsonObject): ResponseUrlOutcome {
    const issued = this.issued.get(id);
    if (!issued) return { status: 404, body: { ok: false, error: 'no_such_url' } };
    if (this.clock.now() - issued.createdAt > RESPONSE_URL_LIMITS.lifetimeMs) {
      return { status: 404, body: { ok: false, error: 'expired_url' } };
    }
    if (issued.uses >= RESPONSE_URL_LIMITS.uses) return { status: 404, body: { ok: false, error: 'used_url' } };
    const { context } = issued;
    const channel = this.workspace.resolveChannel(context.channel);
    if (!channel) return { status: 404, body: { ok: false, error: 'channel_not_found' } };

    if (truthy(payload['delete_original'])) {
      issued.uses += 1;
      this.deleteOriginal(context);
      return { status: 200, body: { ok: true } };
    }

    const content = this.workspace.messageContent(payload, SLACK_LIMITS.messageText);
    if ('error' in content) return { status: 400, body: content.error };
    if (!content.text && content.blocks === undefined && content.attachments === undefined) {
      return { status: 400, body: { ok: false, error: 'no_text' } };
    }
    issued.uses += 1;

    if (truthy(payload['replace_original']) && context.message_ts !== undefined) {
      if (this.replaceOriginal(context, content)) return { status: 200, body: { ok: true } };
    }

    const threadTs = stringOf(payload['thread_ts']) ?? context.thread_ts;
    if (payload['response_type'] === 'in_channel') {
      this.workspace.postAsBot(channel, content, threadTs, 'response_url');
    } else {
      this.workspace.addEphemeral(channel, context.user, content, threadTs, 'response_url');
    }
    return { status: 200, body: { ok: true } };
  }

  private replaceOriginal(
    context: ResponseUrlContext,
    content: { text?: string; blocks?: unknown[]; attachments?: unknown[] },
  ): boolean {
    const channel = this.workspace.channels.get(context.channel);
    if (!channel) return false;
    if (context.message_is_ephemeral) {
      const ephemeral = channel.ephemerals.find((candidate) => candidate.ts === context.message_ts);
      if (!ephemeral) return false;
      ephemeral.text = content.text ?? '';
      // Replacing a message replaces all of it: blocks that are not sent again disappear.
      if (content.blocks !== undefined) ephemeral.blocks = content.blocks;
      else delete ephemeral.blocks;
      if (content.attachments !== undefined) ephemeral.attachments = content.attachments;
      else delete ephemeral.attachments;
      this.emit({ kind: 'ephemeral_updated', channel: channel.id, ephemeral });
      return true;
    }
    const message = channel.messages.find((candidate) => candidate.ts === context.message_ts);
    if (!message) return false;
    message.text = content.text ?? '';
    if (content.blocks !== undefined) message.blocks = content.blocks;
    else delete message.blocks;
    if (content.attachments !== undefined) message.attachments = content.attachments;
    else delete message.attachments;
    message.edited = { user: this.workspace.identity.botUserId, ts: this.workspace.nextTs() };
    this.emit({ kind: 'message_updated', channel: channel.id, message });
    return true;
  }

  private deleteOriginal(context: ResponseUrlContext): void {
    const channel = this.workspace.channels.get(context.channel);
    if (!channel || context.message_ts === undefined) return;
    if (context.message_is_ephemeral) {
      const index = channel.ephemerals.findIndex((candidate) => candidate.ts === context.message_ts);
      const ephemeral = channel.ephemerals[index];
      if (!ephemeral) return;
      channel.ephemerals.splice(index, 1);
      this.emit({ kind: 'ephemeral_deleted', channel: channel.id, ephemeral });
      return;
    }
    const index = channel.messages.findIndex((candidate) => candidate.ts === context.message_ts);
    const message = channel.messages[index];
    if (!message) return;
    channel.messages.splice(index, 1);
    this.emit({ kind: 'message_deleted', channel: channel.id, message });
  }
}

function truthy(value: unknown): boolean {
  return value === true || value === 'true';
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
