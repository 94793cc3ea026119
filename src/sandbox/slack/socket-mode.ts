import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { SlackStandInError } from './errors.js';
import { isJsonObject } from './http-body.js';
import type { JsonObject, SocketAck, SocketDisconnectReason, SocketEnvelopeType } from './types.js';

/** Path prefix of the WebSocket URLs `apps.connections.open` hands out. */
export const SOCKET_MODE_PATH = '/socket-mode/link/';

export interface SocketModeServerOptions {
  appId: string;
  /** Slack pings its Socket Mode clients; the SDK drops a connection that stays silent too long (30 s). */
  pingIntervalMs: number;
  /** How long `sendEnvelope` waits for the app's ack (Slack: 3 s). */
  ackTimeoutMs: number;
  /** How long `sendEnvelope` waits for a connection when none is open (covers a reconnect in progress). */
  connectionWaitMs: number;
  /** Slack allows 10 concurrent connections per app. */
  maxConnections: number;
}

/** Extra envelope fields; Slack sets them per delivery. */
export interface EnvelopeOptions {
  acceptsResponsePayload?: boolean;
  retryAttempt?: number;
  retryReason?: string;
  ackTimeoutMs?: number;
  /**
   * The app's first ack of this envelope is lost: the connection it came on is cut as it arrives, so the envelope is
   * delivered again on another connection (the app has already acted on it once).
   */
  firstAckLost?: boolean;
}

/** One Socket Mode connection as the server saw it, for tests to check the order of opens and closes. */
export interface SocketConnectionRecord {
  id: number;
  /** When the server sent `hello` (ms since the epoch). */
  helloAt: number;
  /** When the server sent a `disconnect` frame asking the app to reconnect. */
  disconnectRequestedAt?: number;
  closedAt?: number;
}

interface Connection {
  record: SocketConnectionRecord;
  socket: WebSocket;
  pingTimer: NodeJS.Timeout;
}

/** An envelope waiting for its ack, and where it currently is. */
interface PendingEnvelope {
  frame: JsonObject;
  timeoutMs: number;
  firstAckLost: boolean;
  connection: Connection | undefined;
  timer?: NodeJS.Timeout;
  resolve: (ack: SocketAck) => void;
  reject: (error: Error) => void;
}

/**
 * Slack's Socket Mode side: single-use connection tickets, `hello`, envelopes, acks and `disconnect` frames.
 *
 * As Slack does, an envelope goes to any open connection (preferring one not asked to reconnect), and one whose
 * connection closes before the app acknowledged it is delivered again, with the same envelope id, on another
 * connection: an app sees at least once what it must act on once.
 */
export class SocketModeServer {
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly connections: Connection[] = [];
  private readonly pending = new Map<string, PendingEnvelope>();
  private readonly events = new EventEmitter();
  private nextConnectionId = 0;
  private turn = 0;
  /** Every frame the app sent, in order (acks and anything unexpected). */
  readonly received: JsonObject[] = [];
  /** Every connection greeted with `hello`, in order. */
  readonly history: SocketConnectionRecord[] = [];
  /** How many connections have completed the `hello` so far (a reconnect makes it grow). */
  helloCount = 0;
  /** Connections turned away with `too_many_websockets`. */
  refusedCount = 0;
  /** Envelopes delivered again because their connection closed before the app acknowledged them. */
  redeliveries = 0;

  constructor(private readonly options: SocketModeServerOptions) {
    // Every envelope waiting for a connection listens for the next one to open.
    this.events.setMaxListeners(0);
  }

  /** A fresh single-use URL, as `apps.connections.open` returns. */
  issueUrl(wsBaseUrl: string): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${wsBaseUrl}${SOCKET_MODE_PATH}?ticket=${ticket}&app_id=${this.options.appId}`;
  }

  /** Takes over an HTTP upgrade for a Socket Mode URL; returns false when the path is not ours. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== SOCKET_MODE_PATH) return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    if (!this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    this.server.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
    return true;
  }

  /** Open connections that have received `hello`. */
  get connectionCount(): number {
    return this.connections.length;
  }

  /** Resolves once at least one connection is open (or rejects after `timeoutMs`). */
  async waitForConnection(timeoutMs: number): Promise<void> {
    if (this.connections.length > 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off('connected', onConnected);
        reject(
          new SlackStandInError(
            'sandbox.slack.no_socket_connection',
            `No Socket Mode connection within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const onConnected = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.events.once('connected', onConnected);
    });
  }

  /** Resolves when the `count`-th `hello` has been sent (counting from the server's start). */
  async waitForHello(count: number, timeoutMs: number): Promise<void> {
    if (this.helloCount >= count) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off('connected', onConnected);
        reject(
          new SlackStandInError('sandbox.slack.no_socket_connection', `Connection #${count} did not open in time`),
        );
      }, timeoutMs);
      const onConnected = (): void => {
        if (this.helloCount < count) return;
        clearTimeout(timer);
        this.events.off('connected', onConnected);
        resolve();
      };
      this.events.on('connected', onConnected);
    });
  }

  /** Delivers an envelope and resolves with the app's ack (redelivering it if its connection closes first). */
  async sendEnvelope(type: SocketEnvelopeType, payload: JsonObject, options: EnvelopeOptions = {}): Promise<SocketAck> {
    const envelopeId = randomUUID();
    const frame: JsonObject = {
      envelope_id: envelopeId,
      type,
      payload,
      accepts_response_payload: options.acceptsResponsePayload ?? type !== 'events_api',
    };
    if (type === 'events_api') {
      frame['retry_attempt'] = options.retryAttempt ?? 0;
      frame['retry_reason'] = options.retryReason ?? '';
    }
    return await new Promise<SocketAck>((resolve, reject) => {
      const envelope: PendingEnvelope = {
        frame,
        timeoutMs: options.ackTimeoutMs ?? this.options.ackTimeoutMs,
        firstAckLost: options.firstAckLost === true,
        connection: undefined,
        resolve,
        reject,
      };
      this.pending.set(envelopeId, envelope);
      void this.deliver(envelopeId, envelope);
    });
  }

  /** Sends the envelope on an open connection, waiting for one when there is none; its ack deadline starts then. */
  private async deliver(envelopeId: string, envelope: PendingEnvelope): Promise<void> {
    const connection = this.deliveryTarget() ?? (await this.waitForOpenConnection().catch((error: Error) => error));
    if (connection instanceof Error) {
      this.settle(envelopeId, envelope)?.reject(connection);
      return;
    }
    if (this.pending.get(envelopeId) !== envelope) return;
    envelope.connection = connection;
    const type = String(envelope.frame['type']);
    envelope.timer = setTimeout(() => {
      this.settle(envelopeId, envelope)?.reject(
        new SlackStandInError(
          'sandbox.slack.ack_timeout',
          `The app did not acknowledge envelope ${envelopeId} (${type}) within ${envelope.timeoutMs} ms`,
        ),
      );
    }, envelope.timeoutMs);
    connection.socket.send(JSON.stringify(envelope.frame), (error) => {
      // The connection closed under the frame: its close handler delivers the envelope again.
      if (error && connection.socket.readyState === WebSocket.OPEN) connection.socket.terminate();
    });
  }

  /** The next connection that opens, within `connectionWaitMs`. */
  private async waitForOpenConnection(): Promise<Connection> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off('connected', onConnected);
        reject(
          new SlackStandInError(
            'sandbox.slack.no_socket_connection',
            `No Socket Mode connection within ${this.options.connectionWaitMs} ms`,
          ),
        );
      }, this.options.connectionWaitMs);
      const onConnected = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.events.once('connected', onConnected);
    });
    return this.deliveryTarget() ?? (await this.waitForOpenConnection());
  }

  /**
   * The open connections not asked to reconnect take turns, as Slack spreads envelopes over an app's connections
   * (over its replicas); when every open one has been asked to reconnect, they still serve until they close.
   */
  private deliveryTarget(): Connection | undefined {
    const open = this.connections.filter((connection) => connection.socket.readyState === WebSocket.OPEN);
    const serving = open.filter((connection) => connection.record.disconnectRequestedAt === undefined);
    const candidates = serving.length > 0 ? serving : open;
    this.turn += 1;
    return candidates[this.turn % Math.max(1, candidates.length)];
  }

  /** Forgets a pending envelope (stopping its timer) and returns it, or undefined when it was settled already. */
  private settle(envelopeId: string, envelope: PendingEnvelope): PendingEnvelope | undefined {
    if (this.pending.get(envelopeId) !== envelope) return undefined;
    this.pending.delete(envelopeId);
    clearTimeout(envelope.timer);
    return envelope;
  }

  /** Envelopes in flight on a connection that closed go out again on another one. */
  private redeliverFrom(connection: Connection): void {
    for (const [envelopeId, envelope] of this.pending) {
      if (envelope.connection !== connection) continue;
      clearTimeout(envelope.timer);
      envelope.connection = undefined;
      if (envelope.frame['type'] === 'events_api') {
        envelope.frame['retry_attempt'] = Number(envelope.frame['retry_attempt'] ?? 0) + 1;
        envelope.frame['retry_reason'] = 'connection_closed';
      }
      this.redeliveries += 1;
      void this.deliver(envelopeId, envelope);
    }
  }

  /**
   * Sends a `disconnect` frame to every connection, as Slack does before recycling a link. With `closeAfterMs`
   * the server also closes the socket afterwards, for a client that ignores the frame.
   */
  sendDisconnect(reason: SocketDisconnectReason, closeAfterMs?: number): number {
    const targets = [...this.connections];
    for (const connection of targets) {
      connection.record.disconnectRequestedAt = Date.now();
      connection.socket.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-sandbox-1' } }));
      if (closeAfterMs !== undefined) {
        setTimeout(() => {
          if (connection.socket.readyState === WebSocket.OPEN) connection.socket.close(1001, reason);
        }, closeAfterMs).unref();
      }
    }
    return targets.length;
  }

  /** Cuts every connection without a close frame, like a network failure. */
  dropConnections(): number {
    const targets = [...this.connections];
    for (const connection of targets) connection.socket.terminate();
    return targets.length;
  }

  async close(): Promise<void> {
    for (const [envelopeId, envelope] of [...this.pending]) {
      this.settle(envelopeId, envelope)?.reject(
        new SlackStandInError('sandbox.slack.closed', 'The Slack stand-in was closed'),
      );
    }
    for (const connection of [...this.connections]) connection.socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    if (this.connections.length >= this.options.maxConnections) {
      this.refusedCount += 1;
      socket.send(
        JSON.stringify({
          type: 'disconnect',
          reason: 'too_many_websockets',
          debug_info: { host: 'applink-sandbox-1' },
        }),
      );
      socket.close(1008, 'too_many_websockets');
      return;
    }
    this.nextConnectionId += 1;
    const connection: Connection = {
      record: { id: this.nextConnectionId, helloAt: Date.now() },
      socket,
      pingTimer: setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.ping(Buffer.from(randomBytes(4).toString('hex')));
      }, this.options.pingIntervalMs),
    };
    connection.pingTimer.unref();
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) this.onFrame(connection, rawToString(data));
    });
    socket.on('close', () => {
      clearInterval(connection.pingTimer);
      connection.record.closedAt = Date.now();
      const index = this.connections.indexOf(connection);
      if (index !== -1) this.connections.splice(index, 1);
      this.redeliverFrom(connection);
      this.events.emit('disconnected');
    });
    socket.on('error', () => {
      // A reset from the client ends in `close`; nothing else to do.
    });
    this.connections.push(connection);
    this.history.push(connection.record);
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.connections.length,
        debug_info: { host: 'applink-sandbox-1', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.options.appId },
      }),
    );
    this.helloCount += 1;
    this.events.emit('connected');
  }

  private onFrame(connection: Connection, text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (!isJsonObject(frame)) return;
    this.received.push(frame);
    const envelopeId = frame['envelope_id'];
    if (typeof envelopeId !== 'string') return;
    const envelope = this.pending.get(envelopeId);
    if (!envelope) return;
    if (envelope.firstAckLost) {
      envelope.firstAckLost = false;
      this.received.pop();
      connection.socket.terminate();
      return;
    }
    const payload = frame['payload'];
    this.settle(envelopeId, envelope)?.resolve({
      envelope_id: envelopeId,
      payload: isJsonObject(payload) ? payload : {},
    });
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
