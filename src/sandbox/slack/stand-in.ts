import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../shared/clock.js';
import { SlackStandInError } from './errors.js';
import { FaultQueue } from './faults.js';
import { RateLimiter, SLACK_RATE_LIMITS } from './rate-limits.js';
import { ResponseUrls } from './response-urls.js';
import { type EnvelopeOptions, type SocketConnectionRecord, SocketModeServer } from './socket-mode.js';
import type { FileSummary, SlackStandInOptions, WorkspaceSnapshot } from './stand-in-options.js';
import { JSON_HEADERS, StandInRoutes } from './stand-in-routes.js';
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

export type { FileSummary, MessageSnapshot, SlackStandInOptions, WorkspaceSnapshot } from './stand-in-options.js';
export { BOT_SCOPES } from './stand-in-routes.js';

type StandInEvents = { change: [StandInChange]; call: [RecordedCall] };

/** A Slack-compatible server on 127.0.0.1: Web API, uploads, response_urls and Socket Mode, with recorded calls. */
export class SlackStandIn extends EventEmitter<StandInEvents> {
  readonly botToken: string;
  readonly appToken: string;
  readonly identity: StandInIdentity;
  /** Every request answered, in arrival order. */
  readonly calls: RecordedCall[] = [];
  readonly workspace: SlackWorkspace;
  private readonly faults = new FaultQueue();
  private readonly responseUrls: ResponseUrls;
  private readonly socketMode: SocketModeServer;
  private readonly routes: StandInRoutes;
  private readonly server: Server;
  private baseUrl = '';

  constructor(options: SlackStandInOptions = {}) {
    super();
    this.botToken = options.botToken ?? 'xoxb-sandbox-bot-token';
    this.appToken = options.appToken ?? 'xapp-sandbox-app-token';
    this.identity = { ...DEFAULT_IDENTITY, ...options.identity };
    const clock = options.clock ?? systemClock;
    const maxRecordedCalls = options.maxRecordedCalls ?? 10_000;
    const rateLimits = options.rateLimits === true ? SLACK_RATE_LIMITS : options.rateLimits || undefined;
    const emit = (change: StandInChange): void => {
      this.emit('change', change);
    };
    this.workspace = new SlackWorkspace({
      identity: this.identity,
      clock: clock,
      baseUrl: () => this.baseUrl,
      strictChannels: options.strictChannels ?? false,
      strictTriggers: options.strictTriggers ?? false,
      triggerTtlMs: options.triggerTtlMs ?? 3000,
      emit,
    });
    for (const user of options.users ?? []) this.workspace.seedUser(user);
    for (const group of options.usergroups ?? []) this.workspace.seedUserGroup(group);
    for (const channel of options.channels ?? []) this.workspace.seedChannel(channel);
    this.responseUrls = new ResponseUrls(this.workspace, clock, emit);
    this.socketMode = new SocketModeServer({
      appId: this.identity.appId,
      pingIntervalMs: options.socketPingIntervalMs ?? 10_000,
      ackTimeoutMs: options.socketAckTimeoutMs ?? 3000,
      connectionWaitMs: options.socketConnectionWaitMs ?? 5000,
      maxConnections: options.maxSocketConnections ?? 10,
    });
    this.routes = new StandInRoutes({
      botToken: this.botToken,
      appToken: this.appToken,
      clock,
      workspace: this.workspace,
      faults: this.faults,
      rateLimiter: rateLimits ? new RateLimiter(rateLimits, clock) : undefined,
      responseUrls: this.responseUrls,
      socketMode: this.socketMode,
      maxBodyBytes: options.maxBodyBytes ?? 64 * 1024 * 1024,
      baseUrl: () => this.baseUrl,
      record: (call) => {
        this.calls.push(call);
        if (this.calls.length > maxRecordedCalls) this.calls.splice(0, this.calls.length - maxRecordedCalls);
        this.emit('call', call);
      },
    });
    this.server = createServer((request, response) => {
      this.routes.route(request, response).catch((error: unknown) => {
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
    this.routes.wakeSleepers();
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

  /** The user's Home tab as the app last published it. */
  homeView(user: string): StoredView | undefined {
    return this.workspace.homeViews.get(user);
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
}

/** Starts a stand-in on 127.0.0.1 (port 0 unless given) and resolves once it listens. */
export async function startSlackStandIn(options: SlackStandInOptions = {}): Promise<SlackStandIn> {
  const standIn = new SlackStandIn(options);
  await standIn.listen(options.port ?? 0);
  return standIn;
}
