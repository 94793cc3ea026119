import { SLACK_LIMITS } from '../block-limits.js';
import type { JsonObject } from '../types.js';
import { type MethodResult, stringArg, type WorkspaceState } from '../workspace-state.js';
import type { MethodTable } from './method-table.js';

/** `chat.*`: messages and ephemerals the app posts, edits and deletes, and their permalinks. */
export class ChatMethods {
  constructor(private readonly ws: WorkspaceState) {}

  table(): MethodTable {
    return {
      'chat.postMessage': (args) => this.postMessage(args),
      'chat.update': (args) => this.updateMessage(args),
      'chat.postEphemeral': (args) => this.postEphemeral(args),
      'chat.delete': (args) => this.deleteMessage(args),
      'chat.getPermalink': (args) => this.getPermalink(args),
    };
  }

  private postMessage(args: JsonObject): MethodResult {
    const channel = this.ws.resolveChannel(args['channel']);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const content = this.ws.messageContent(args, SLACK_LIMITS.messageText);
    if ('error' in content) return content.error;
    if (!content.text && content.blocks === undefined && content.attachments === undefined) {
      return { ok: false, error: 'no_text' };
    }
    const message = this.ws.postAsBot(
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
      message: this.ws.publicMessage(message),
      ...content.warning,
    };
  }

  private updateMessage(args: JsonObject): MethodResult {
    const channel = this.ws.channels.get(stringArg(args['channel']) ?? '');
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const ts = stringArg(args['ts']);
    const message = channel.messages.find((candidate) => candidate.ts === ts);
    if (!message) return { ok: false, error: 'message_not_found' };
    if (message.bot_id !== this.ws.options.identity.botId) return { ok: false, error: 'cant_update_message' };
    const text = stringArg(args['text']);
    if (text !== undefined && text.length > SLACK_LIMITS.updateText) return { ok: false, error: 'msg_too_long' };
    const content = this.ws.messageContent(args, SLACK_LIMITS.updateText);
    if ('error' in content) return content.error;
    if (content.text !== undefined) message.text = content.text;
    if (content.blocks !== undefined) message.blocks = content.blocks;
    if (content.attachments !== undefined) message.attachments = content.attachments;
    if (args['metadata'] !== undefined) message.metadata = args['metadata'];
    message.edited = { user: this.ws.options.identity.botUserId, ts: this.ws.nextTs() };
    this.ws.options.emit({ kind: 'message_updated', channel: channel.id, message });
    return {
      ok: true,
      channel: channel.id,
      ts: message.ts,
      text: message.text,
      message: this.ws.publicMessage(message),
    };
  }

  private postEphemeral(args: JsonObject): MethodResult {
    const channel = this.ws.resolveChannel(args['channel']);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const user = stringArg(args['user']);
    if (!user) return { ok: false, error: 'user_not_found' };
    if (this.ws.users.size > 0 && !this.ws.users.has(user)) return { ok: false, error: 'user_not_found' };
    const content = this.ws.messageContent(args, SLACK_LIMITS.messageText);
    if ('error' in content) return content.error;
    if (!content.text && content.blocks === undefined && content.attachments === undefined) {
      return { ok: false, error: 'no_text' };
    }
    const ephemeral = this.ws.addEphemeral(channel, user, content, stringArg(args['thread_ts']), 'chat.postEphemeral');
    return { ok: true, message_ts: ephemeral.ts };
  }

  private deleteMessage(args: JsonObject): MethodResult {
    const channel = this.ws.channels.get(stringArg(args['channel']) ?? '');
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const ts = stringArg(args['ts']);
    const index = channel.messages.findIndex((candidate) => candidate.ts === ts);
    const message = channel.messages[index];
    if (!message) return { ok: false, error: 'message_not_found' };
    if (message.bot_id !== this.ws.options.identity.botId) return { ok: false, error: 'cant_delete_message' };
    channel.messages.splice(index, 1);
    this.ws.options.emit({ kind: 'message_deleted', channel: channel.id, message });
    return { ok: true, channel: channel.id, ts: message.ts };
  }

  private getPermalink(args: JsonObject): MethodResult {
    const channel = this.ws.channels.get(stringArg(args['channel']) ?? '');
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const ts = stringArg(args['message_ts']);
    if (!ts || !channel.messages.some((message) => message.ts === ts)) return { ok: false, error: 'message_not_found' };
    return {
      ok: true,
      channel: channel.id,
      permalink: `${this.ws.options.baseUrl()}/archives/${channel.id}/p${ts.replace('.', '')}`,
    };
  }
}
