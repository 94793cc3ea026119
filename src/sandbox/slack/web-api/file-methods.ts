import { randomBytes } from 'node:crypto';
import { isJsonObject } from '../http-body.js';
import type { ChannelState, JsonObject, StoredFile, StoredMessage } from '../types.js';
import { type MethodResult, stringArg, type WorkspaceState } from '../workspace-state.js';
import type { MethodTable } from './method-table.js';

interface PendingUpload {
  fileId: string;
  filename: string;
  length: number;
  snippetType: string | undefined;
  content: Buffer | undefined;
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

/** `files.*`: the two-step external upload (an upload URL, then completing it into channels and threads). */
export class FileMethods {
  private readonly uploadsByToken = new Map<string, PendingUpload>();
  private readonly uploadsById = new Map<string, PendingUpload>();

  constructor(private readonly ws: WorkspaceState) {}

  table(): MethodTable {
    return {
      'files.getUploadURLExternal': (args) => this.getUploadUrl(args),
      'files.completeUploadExternal': (args) => this.completeUpload(args),
    };
  }

  /** Stores the bytes POSTed to an upload URL; false when the URL is unknown or already used. */
  receiveUpload(uploadToken: string, content: Buffer): boolean {
    const pending = this.uploadsByToken.get(uploadToken);
    if (!pending || pending.content !== undefined) return false;
    pending.content = content;
    return true;
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
    const fileId = `F${this.ws.nextId()}`;
    const token = randomBytes(12).toString('hex');
    const pending: PendingUpload = { fileId, filename, length, snippetType, content: undefined };
    this.uploadsByToken.set(token, pending);
    this.uploadsById.set(fileId, pending);
    return { ok: true, upload_url: `${this.ws.options.baseUrl()}/upload/v1/${token}`, file_id: fileId };
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
      const channel = this.ws.resolveChannel(id);
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
    const now = this.ws.options.clock.now();
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
        user: this.ws.options.identity.botUserId,
        created: Math.floor(now / 1000),
        url: `${this.ws.options.baseUrl()}/files/${pending.fileId}/${encodeURIComponent(pending.filename)}`,
        channels: channels.map((channel) => channel.id),
      };
      if (threadTs) file.thread_ts = threadTs;
      this.ws.files.set(file.id, file);
      this.ws.options.emit({ kind: 'file_shared', file });
      return file;
    });
    const comment = stringArg(args['initial_comment']) ?? '';
    for (const channel of channels) {
      const id = this.ws.options.identity;
      const message: StoredMessage = {
        type: 'message',
        channel: channel.id,
        ts: this.ws.nextTs(),
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
      this.ws.options.emit({ kind: 'message_posted', channel: channel.id, message });
    }
    return { ok: true, files: stored.map((file) => this.ws.publicFile(file)) };
  }
}
