import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, systemClock } from '../../shared/clock.js';
import { SlackStandInError } from './errors.js';
import { FaultQueue } from './faults.js';
import { extractUploadBytes, isJsonObject, parseApiArgs, parseFormArgs } from './http-body.js';
import { type MethodRateLimit, RateLimiter, SLACK_RATE_LIMITS } from './rate-limits.js';
import { ResponseUrls } from './response-urls.js';
import { type EnvelopeOptions, type SocketConnectionRecord, SocketModeServer } from './socket-mode.js';
import type {
  ChannelState,
  FaultHandle,
  FaultSpec,
  JsonObject,
  RecordedCall,
  ResponseUrlContext,
  SeedChannel,
  SeedUser,
  SeedUserGroup,
  SocketAck,
  SocketDisconnectReason,
  SocketEnvelopeType,
  StandInChange,
  StoredEphemeral,
  StoredFile,
  StoredMessage,
  StoredView,
} from './types.js';
import { DEFAULT_IDENTITY, SlackWorkspace, type StandInIdentity } from './workspace.js';

/** The bot scopes the product's manifest asks for; reported in `x-oauth-scopes` like Slack does. */
export const BOT_SCOPES = ['commands', 'chat:write', 'files:write', 'usergroups:read', 'users:read'] as const;

/** Methods that take the app-level token (`xapp-`); every other method takes the bot token. */
const APP_TOKEN_METHODS = new Set(['apps.connections.open']);
const UNAUTHENTICATED_METHODS = new Set(['api.test']);

export interface SlackStandInOptions {
  /** Port on 127.0.0.1; 0 (default) lets the kernel choose. */
  port?: number;
  botToken?: string;
  appToken?: string;
  identity?: Partial<StandInIdentity>;
  users?: SeedUser[];
  usergroups?: SeedUserGroup[];
  channels?: SeedChannel[];
  clock?: Clock;
  /** Refuse channels that were not seeded (`channel_not_found`), as Slack does. Default false: any id works. */
  strictChannels?: boolean;
  /** Refuse trigger ids this stand-in did not issue. Default false. */
  strictTriggers?: boolean;
  /** Lifetime of issued trigger ids (Slack: 3 s). */
  triggerTtlMs?: number;
  socketPingIntervalMs?: number;
  socketAckTimeoutMs?: number;
  socketConnectionWaitMs?: number;
  /**
   * Answer 429 with Retry-After when a method goes over Slack's per-minute tier (`true` = `SLACK_RATE_LIMITS`,
   * or a table of your own). Off by default; injected faults work either way.
   */
  rateLimits?: boolean | Readonly<Record<string, MethodRateLimit>>;
  /** Largest request body accepted (uploads included); default 64 MiB. */
  maxBodyBytes?: number;
  /** Concurrent Socket Mode connections allowed (Slack: 10); one more is told `too_many_websockets`. */
  maxSocketConnections?: number;
  /** Recorded calls kept (oldest dropped first), so a long-running playground stays small; default 10,000. */
  maxRecordedCalls?: number;
}

/** A file as a page shows it: everything but the bytes. */
export type FileSummary = Omit<StoredFile, 'content'>;

/** A message as a page renders it. */
export type MessageSnapshot = Omit<StoredMessage, 'files'> & { files?: FileSummary[] };

/** The whole visible workspace, JSON-serialisable, for a UI's first render. */
export interface WorkspaceSnapshot {
  identity: StandInIdentity;
  channels: Array<{
    id: string;
    name: string;
    is_private: boolean;
    messages: MessageSnapshot[];
    ephemerals: StoredEphemeral[];
  }>;
  users: SeedUser[];
  usergroups: SeedUserGroup[];
  views: StoredView[];
}

type StandInEvents = { change: [StandInChange]; call: [RecordedCall] };

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' } as const;

/** A Slack-compatible server on 127.0.0.1: Web API, uploads, response_urls and Socket Mode, with recorded calls. */
export class SlackStandIn extends EventEmitter<StandInEvents> {
  readonly botToken: string;
  readonly appToken: string;
  readonly identity: StandInIdentity;
  /** Every request answered, in arrival order. */
  readonly calls: RecordedCall[] = [];
  readonly workspace: SlackWorkspace;
  private readonly clock: Clock;
  private readonly faults = new FaultQueue();
  private readonly rateLimiter: RateLimiter | undefined;
  private readonly responseUrls: ResponseUrls;
  private readonly socketMode: SocketModeServer;
  private readonly server: Server;
  private readonly maxBodyBytes: number;
  private readonly maxRecordedCalls: number;
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private baseUrl = '';

  constructor(options: SlackStandInOptions = {}) {
    super();
    this.botToken = options.botToken ?? 'xoxb-sandbox-bot-token';
    this.appToken = options.appToken ?? 'xapp-sandbox-app-token';
    this.identity = { ...DEFAULT_IDENTITY, ...options.identity };
    this.clock = options.clock ?? systemClock;
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
    this.maxRecordedCalls = options.maxRecordedCalls ?? 10_000;
    const rateLimits = options.rateLimits === true ? SLACK_RATE_LIMITS : options.rateLimits || undefined;
    this.rateLimiter = rateLimits ? new RateLimiter(rateLimits, this.clock) : undefined;
    const emit = (change: StandInChange): void => {
      this.emit('change', change);
    };
    this.workspace = new SlackWorkspace({
      identity: this.identity,
      clock: this.clock,
      baseUrl: () => this.baseUrl,
      strictChannels: options.strictChannels ?? false,
      strictTriggers: options.strictTriggers ?? false,
      triggerTtlMs: options.triggerTtlMs ?? 3000,
      emit,
    });
    for (const user of options.users ?? []) this.workspace.seedUser(user);
    for (const group of options.usergroups ?? []) this.workspace.seedUserGroup(group);
    for (const channel of options.channels ?? []) this.workspace.seedChannel(channel);
    this.responseUrls = new ResponseUrls(this.workspace, this.clock, emit);
    this.socketMode = new SocketModeServer({
      appId: this.identity.appId,
      pingIntervalMs: options.socketPingIntervalMs ?? 10_000,
      ackTimeoutMs: options.socketAckTimeoutMs ?? 3000,
      connectionWaitMs: options.socketConnectionWaitMs ?? 5000,
      maxConnections: options.maxSocketConnections ?? 10,
    });
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        if (!response.headersSent) {
          response.writeHead(500, JSON_HEADERS);
          response.end(JSON.stringify({ ok: false, error: 'internal_error', detail: String(error) }));
        } else {
          response.destroy();
        }
      });
    });
    this.server.on('upgrade', (request, socket, head: Buffer) => {
      if (!this.socketMode.handleUpgrade(request, socket, head)) socket.destroy();
    });
  }

  /** `http://127.0.0.1:<port>`; valid once started. */
  get url(): string {
    return this.baseUrl;
  }

  /** What to pass as `slackApiUrl` to `WebClient`/Bolt (`SLACK_API_URL`). */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${address.port}`;
  }

  /** Stops listening, closes Socket Mode connections and cuts idle keep-alive sockets. */
  async close(): Promise<void> {
    for (const sleeper of this.sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.resolve();
    }
    this.sleepers.clear();
    await this.socketMode.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- seeding and state -------------------------------------------------------------------------------------

  seedUser(user: SeedUser): void {
    this.workspace.seedUser(user);
  }

  seedUserGroup(group: SeedUserGroup): void {
    this.workspace.seedUserGroup(group);
  }

  seedChannel(channel: SeedChannel): void {
    this.workspace.seedChannel(channel);
  }

  /** Posts a message as a person (what the playground composer shows besides slash commands). */
  postUserMessage(channel: string, user: string, text: string, threadTs?: string): StoredMessage {
    return this.workspace.postUserMessage(channel, user, text, threadTs);
  }

  channel(id: string): ChannelState | undefined {
    return this.workspace.channels.get(id);
  }

  /** Top-level messages of a channel, oldest first. */
  messages(channel: string): StoredMessage[] {
    return (this.channel(channel)?.messages ?? []).filter(
      (message) => message.thread_ts === undefined || message.thread_ts === message.ts,
    );
  }

  /** Replies in a thread, oldest first (the parent excluded). */
  threadReplies(channel: string, threadTs: string): StoredMessage[] {
    return (this.channel(channel)?.messages ?? []).filter(
      (message) => message.thread_ts === threadTs && message.ts !== threadTs,
    );
  }

  /** Finds a message by `ts` in a channel. */
  message(channel: string, ts: string): StoredMessage | undefined {
    return this.channel(channel)?.messages.find((message) => message.ts === ts);
  }

  /** Ephemeral messages shown to one user, optionally in one channel. */
  ephemeralsFor(user: string, channel?: string): StoredEphemeral[] {
    const channels = channel === undefined ? [...this.workspace.channels.values()] : [this.channel(channel)];
    return channels.flatMap((state) => state?.ephemerals.filter((ephemeral) => ephemeral.user === user) ?? []);
  }

  /** Modals, optionally only those opened for one user and still open. */
  views(filter: { user?: string; openOnly?: boolean } = {}): StoredView[] {
    return [...this.workspace.views.values()].filter(
      (view) => (filter.user === undefined || view.user === filter.user) && (!filter.openOnly || view.state === 'open'),
    );
  }

  /** Marks a modal closed, as Slack does after a submission acked without errors, or when the user dismisses it. */
  closeView(viewId: string): StoredView | undefined {
    return this.workspace.closeView(viewId);
  }

  file(id: string): StoredFile | undefined {
    return this.workspace.files.get(id);
  }

  /** The visible workspace for a page's first render; later changes arrive as `change` events. */
  snapshot(): WorkspaceSnapshot {
    const summarize = (file: StoredFile): FileSummary => {
      const { content: _content, ...rest } = file;
      return rest;
    };
    return structuredClone({
      identity: this.identity,
      channels: [...this.workspace.channels.values()].map((channel) => ({
        id: channel.id,
        name: channel.name,
        is_private: channel.is_private,
        messages: channel.messages.map((message) => {
          const { files, ...rest } = message;
          return files ? { ...rest, files: files.map(summarize) } : rest;
        }),
        ephemerals: channel.ephemerals,
      })),
      users: [...this.workspace.users.values()],
      usergroups: [...this.workspace.usergroups.values()],
      views: [...this.workspace.views.values()],
    });
  }

  // ---- what Slack hands to the app ---------------------------------------------------------------------------

  /** A `response_url` on this server for one invocation; posts to it land in the workspace as in Slack. */
  createResponseUrl(context: ResponseUrlContext): string {
    return `${this.baseUrl}/response-url/${this.responseUrls.issue(context)}`;
  }

  /** A trigger id tied to `user`, so a modal the app opens with it is shown to that user. */
  createTriggerId(user: string): string {
    return this.workspace.createTriggerId(user);
  }

  // ---- recorded calls ----------------------------------------------------------------------------------------

  /** Recorded calls of one method, in order. */
  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /**
   * The first recorded call of `method` that passes `predicate`, including calls already made; waits up to
   * `timeoutMs` for one to arrive.
   */
  async waitForCall(
    method: string,
    predicate: (call: RecordedCall) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<RecordedCall> {
    const existing = this.calls.find((call) => call.method === method && predicate(call));
    if (existing) return existing;
    return await new Promise<RecordedCall>((resolve, reject) => {
      const onCall = (call: RecordedCall): void => {
        if (call.method !== method || !predicate(call)) return;
        clearTimeout(timer);
        this.off('call', onCall);
        resolve(call);
      };
      const timer = setTimeout(() => {
        this.off('call', onCall);
        reject(
          new SlackStandInError(
            'sandbox.slack.call_timeout',
            `No matching ${method} call within ${timeoutMs} ms (seen: ${this.calls.map((call) => call.method).join(', ') || 'none'})`,
          ),
        );
      }, timeoutMs);
      this.on('call', onCall);
    });
  }

  // ---- faults ------------------------------------------------------------------------------------------------

  /** Makes the next matching call(s) misbehave; see `FaultSpec`. */
  injectFault(spec: FaultSpec): FaultHandle {
    return this.faults.add(spec);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  // ---- Socket Mode -------------------------------------------------------------------------------------------

  /** Delivers an envelope over Socket Mode and resolves with the app's ack (`payload` is what it passed to `ack`). */
  async sendSocketEnvelope(
    type: SocketEnvelopeType,
    payload: JsonObject,
    options: EnvelopeOptions = {},
  ): Promise<SocketAck> {
    return await this.socketMode.sendEnvelope(type, payload, options);
  }

  /** Sends a `disconnect` frame to every connection; `closeAfterMs` also closes them from this side. */
  sendSocketDisconnect(reason: SocketDisconnectReason, options: { closeAfterMs?: number } = {}): number {
    return this.socketMode.sendDisconnect(reason, options.closeAfterMs);
  }

  /** Cuts every Socket Mode connection without a close frame. */
  dropSocketConnections(): number {
    return this.socketMode.dropConnections();
  }

  get socketConnectionCount(): number {
    return this.socketMode.connectionCount;
  }

  /** How many Socket Mode connections have been greeted with `hello` since start. */
  get socketHelloCount(): number {
    return this.socketMode.helloCount;
  }

  /** Every Socket Mode connection greeted so far, with when it opened, was asked to reconnect, and closed. */
  get socketConnectionHistory(): readonly SocketConnectionRecord[] {
    return this.socketMode.history;
  }

  /** Envelopes delivered again because their connection closed before the app acknowledged them. */
  get socketRedeliveries(): number {
    return this.socketMode.redeliveries;
  }

  /** Connections turned away with `too_many_websockets`. */
  get socketRefusals(): number {
    return this.socketMode.refusedCount;
  }

  /** Frames the app sent over Socket Mode (acks), in order. */
  get socketFrames(): readonly JsonObject[] {
    return this.socketMode.received;
  }

  async waitForSocketConnection(timeoutMs = 5000): Promise<void> {
    await this.socketMode.waitForConnection(timeoutMs);
  }

  /** Resolves once `count` connections have been greeted since start (2 = the first reconnect has happened). */
  async waitForSocketHello(count: number, timeoutMs = 10_000): Promise<void> {
    await this.socketMode.waitForHello(count, timeoutMs);
  }

  // ---- HTTP --------------------------------------------------------------------------------------------------

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl || 'http://127.0.0.1');
    const path = url.pathname;
    if (path.startsWith('/api/')) {
      await this.handleApi(path.slice('/api/'.length), url, request, response);
      return;
    }
    if (path.startsWith('/upload/v1/') && request.method === 'POST') {
      await this.handleUpload(path.slice('/upload/v1/'.length), request, response);
      return;
    }
    if (path.startsWith('/response-url/') && request.method === 'POST') {
      await this.handleResponseUrl(path.slice('/response-url/'.length), request, response);
      return;
    }
    if (path.startsWith('/files/') && (request.method === 'GET' || request.method === 'HEAD')) {
      this.handleFileDownload(path, url, response);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('not found');
  }

  private async handleApi(method: string, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = this.clock.now();
    const raw = await this.readBody(request);
    let args: JsonObject;
    try {
      args = { ...Object.fromEntries(url.searchParams), ...parseApiArgs(request.headers['content-type'], raw) };
    } catch {
      this.reply(response, method, {}, undefined, at, 200, { ok: false, error: 'invalid_json' });
      return;
    }
    const authorization = request.headers.authorization;
    const bearer = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : undefined;
    const bodyToken = typeof args['token'] === 'string' ? args['token'] : undefined;
    delete args['token'];
    const token = bearer || bodyToken || undefined;

    const authError = this.authError(method, token);
    if (authError) {
      this.reply(response, method, args, token, at, 200, { ok: false, error: authError });
      return;
    }

    const fault = this.faults.take(method, args);
    if (fault) {
      const handled = await this.applyFault(fault, response, method, args, token, at);
      if (handled) return;
    }

    const retryAfterSeconds = this.rateLimiter?.check(method, args);
    if (retryAfterSeconds !== undefined) {
      this.reply(
        response,
        method,
        args,
        token,
        at,
        429,
        { ok: false, error: 'ratelimited' },
        {
          'retry-after': String(retryAfterSeconds),
        },
      );
      return;
    }

    const result =
      method === 'apps.connections.open'
        ? { ok: true, url: this.socketMode.issueUrl(this.baseUrl.replace(/^http/, 'ws')) }
        : this.workspace.call(method, args);
    if (fault?.kind === 'lost_response') {
      this.record(method, args, token, at, 0, { ok: false, error: 'lost_response', would_have_been: result }, {});
      request.socket.destroy();
      return;
    }
    this.reply(response, method, args, token, at, 200, result);
  }

  /** Returns true when the fault already answered the request. */
  private async applyFault(
    fault: FaultSpec,
    response: ServerResponse,
    method: string,
    args: JsonObject,
    token: string | undefined,
    at: number,
  ): Promise<boolean> {
    switch (fault.kind) {
      case 'rate_limited':
        this.reply(
          response,
          method,
          args,
          token,
          at,
          429,
          { ok: false, error: 'ratelimited' },
          {
            'retry-after': String(fault.retryAfterSeconds),
          },
        );
        return true;
      case 'error':
        this.reply(response, method, args, token, at, 200, { ...fault.extra, ok: false, error: fault.error });
        return true;
      case 'http_error':
        this.reply(response, method, args, token, at, fault.status, { ok: false, error: 'service_unavailable' });
        return true;
      case 'slow':
        await this.sleep(fault.delayMs);
        return false;
      case 'lost_response':
        return false;
    }
  }

  private authError(method: string, token: string | undefined): string | undefined {
    if (UNAUTHENTICATED_METHODS.has(method)) return undefined;
    if (!token) return 'not_authed';
    const needsAppToken = APP_TOKEN_METHODS.has(method);
    if (token === this.appToken) return needsAppToken ? undefined : 'not_allowed_token_type';
    if (token === this.botToken) return needsAppToken ? 'not_allowed_token_type' : undefined;
    return 'invalid_auth';
  }

  private async handleUpload(uploadToken: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = this.clock.now();
    const raw = await this.readBody(request);
    const bytes = extractUploadBytes(request.headers['content-type'], raw);
    const args: JsonObject = { upload_token: uploadToken, bytes: bytes.length };
    const fault = this.faults.take('upload', args);
    if (fault?.kind === 'slow') await this.sleep(fault.delayMs);
    if (fault && fault.kind !== 'slow' && fault.kind !== 'lost_response') {
      const status = fault.kind === 'rate_limited' ? 429 : fault.kind === 'http_error' ? fault.status : 500;
      const headers: Record<string, string> =
        fault.kind === 'rate_limited' ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
      this.record('upload', args, undefined, at, status, 'upload failed', headers);
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      response.end('upload failed');
      return;
    }
    if (!this.workspace.receiveUpload(uploadToken, bytes)) {
      this.record('upload', args, undefined, at, 404, 'not found', {});
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('not found');
      return;
    }
    if (fault?.kind === 'lost_response') {
      this.record('upload', args, undefined, at, 0, 'lost_response', {});
      request.socket.destroy();
      return;
    }
    const body = `OK - ${bytes.length}`;
    this.record('upload', args, undefined, at, 200, body, {});
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(body);
  }

  private async handleResponseUrl(id: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = this.clock.now();
    const raw = await this.readBody(request);
    let payload: JsonObject;
    try {
      payload = parseResponseUrlBody(request.headers['content-type'], raw);
    } catch {
      this.reply(response, 'response_url', {}, undefined, at, 400, { ok: false, error: 'invalid_payload' });
      return;
    }
    const args: JsonObject = { ...payload, response_url_id: id };
    const fault = this.faults.take('response_url', args);
    if (fault) {
      const handled = await this.applyFault(fault, response, 'response_url', args, undefined, at);
      if (handled) return;
    }
    const outcome = this.responseUrls.post(id, payload);
    if (fault?.kind === 'lost_response') {
      this.record('response_url', args, undefined, at, 0, { ok: false, error: 'lost_response' }, {});
      request.socket.destroy();
      return;
    }
    this.reply(response, 'response_url', args, undefined, at, outcome.status, outcome.body);
  }

  private handleFileDownload(path: string, url: URL, response: ServerResponse): void {
    const id = decodeURIComponent(path.split('/')[2] ?? '');
    const file = this.workspace.files.get(id);
    if (!file) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('file_not_found');
      return;
    }
    const headers: Record<string, string> = {
      'content-type': file.mimetype.startsWith('text/') ? `${file.mimetype}; charset=utf-8` : file.mimetype,
      'content-length': String(file.content.length),
      // A page renders the bytes as text, never as markup the bot did not mean to send.
      'x-content-type-options': 'nosniff',
    };
    if (url.searchParams.has('download')) {
      headers['content-disposition'] = `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`;
    }
    response.writeHead(200, headers);
    response.end(file.content);
  }

  private reply(
    response: ServerResponse,
    method: string,
    args: JsonObject,
    token: string | undefined,
    at: number,
    status: number,
    body: JsonObject,
    extraHeaders: Record<string, string> = {},
  ): void {
    const headers: Record<string, string> = { ...JSON_HEADERS, ...extraHeaders };
    if (token === this.botToken) headers['x-oauth-scopes'] = BOT_SCOPES.join(',');
    this.record(method, args, token, at, status, body, extraHeaders);
    response.writeHead(status, headers);
    response.end(JSON.stringify(body));
  }

  private record(
    method: string,
    args: JsonObject,
    token: string | undefined,
    at: number,
    status: number,
    body: JsonObject | string,
    headers: Record<string, string>,
  ): void {
    const call: RecordedCall = { method, args, token, at, response: { status, body, headers } };
    this.calls.push(call);
    if (this.calls.length > this.maxRecordedCalls) this.calls.splice(0, this.calls.length - this.maxRecordedCalls);
    this.emit('call', call);
  }

  private async readBody(request: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > this.maxBodyBytes) {
        request.destroy();
        throw new SlackStandInError('sandbox.slack.body_too_large', `Request body above ${this.maxBodyBytes} bytes`);
      }
      chunks.push(buffer);
    }
    return Buffer.concat(chunks);
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, ms),
        resolve,
      };
      this.sleepers.add(sleeper);
    });
  }
}

/** `response_url` posts are JSON; a form with a `payload` field is accepted as well. */
function parseResponseUrlBody(contentType: string | undefined, raw: Buffer): JsonObject {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/x-www-form-urlencoded') {
    const form = parseFormArgs(raw.toString('utf8'));
    const payload = form['payload'];
    return isJsonObject(payload) ? payload : form;
  }
  const parsed: unknown = JSON.parse(raw.toString('utf8'));
  if (!isJsonObject(parsed)) throw new Error('payload is not an object');
  return parsed;
}

/** Starts a stand-in on 127.0.0.1 (port 0 unless given) and resolves once it listens. */
export async function startSlackStandIn(options: SlackStandInOptions = {}): Promise<SlackStandIn> {
  const standIn = new SlackStandIn(options);
  await standIn.listen(options.port ?? 0);
  return standIn;
}
