import { isIP, type NetConnectOpts, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import WebSocket from 'ws';
import { SsmError } from './errors.js';
import { type FairIntake, type IntakeLane, sharedIntake } from './fair-intake.js';
import { assertStreamUrlAllowed } from './stream-url.js';
import type { MessageTransport, TransportCloseInfo, TransportConnector } from './transport-port.js';

/** Options for {@link connectWebSocket}. */
export type WsTransportOptions = Readonly<
  Partial<{
    /** Opening handshake limit. Default 45 s, as session-manager-plugin. */
    handshakeTimeoutMs: number;
    /** Ping period. Default 30 s: proxies cut idle sockets long before session-manager-plugin's 5 min. */
    pingIntervalMs: number;
    /** A socket that shows no sign of life (pong or message) for this long after a ping is dropped. Default 60 s. */
    livenessTimeoutMs: number;
    /** Largest frame accepted from the server. Default 4 MiB. */
    maxPayloadBytes: number;
    /** Where received frames wait for their turn to be handled. Default: the one intake shared by the process. */
    intake: FairIntake;
  }>
>;

/** Close code for a socket we drop because the peer stopped answering pings. */
export const CLOSE_LIVENESS = 4000;

class WsMessageTransport implements MessageTransport {
  private messageHandler: (data: Uint8Array | string) => void = () => {};
  private closeHandler: (info: TransportCloseInfo) => void = () => {};
  private closed = false;
  private corked = false;
  private lastSignOfLife = Date.now();
  private readonly pingTimer: NodeJS.Timeout;
  /** Received frames wait here for their turn; see {@link FairIntake}. */
  private readonly received: IntakeLane<Uint8Array | string>;

  constructor(
    private readonly socket: WebSocket,
    pingIntervalMs: number,
    livenessTimeoutMs: number,
    intake: FairIntake,
  ) {
    this.received = intake.lane({
      deliver: (data) => {
        if (!this.closed) this.messageHandler(data);
      },
      pause: () => socket.pause(),
      resume: () => socket.resume(),
    });
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.lastSignOfLife = Date.now();
      this.received.push(isBinary ? data : data.toString('utf8'), data.length);
    });
    socket.on('pong', () => {
      this.lastSignOfLife = Date.now();
    });
    // Frames received before the socket closed are still handled first: the close must not overtake them.
    socket.on('close', (code: number, reason: Buffer) => {
      this.received.close();
      this.received.whenDrained(() => this.finish({ code, reason: reason.toString('utf8') }));
    });
    socket.on('error', (error: Error) => {
      socket.terminate();
      this.received.close();
      this.received.whenDrained(() => this.finish({ code: 1006, reason: error.message, error }));
    });
    this.ping();
    this.pingTimer = setInterval(() => {
      // A socket not read while it waits for its turn hears no pong: its silence proves nothing.
      if (this.received.waitingForTurn) this.lastSignOfLife = Date.now();
      if (Date.now() - this.lastSignOfLife > livenessTimeoutMs) {
        this.finish({ code: CLOSE_LIVENESS, reason: 'no answer to keep-alive pings' });
        socket.terminate();
        return;
      }
      this.ping();
    }, pingIntervalMs).unref();
  }

  private ping(): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping('keepalive');
  }

  private finish(info: TransportCloseInfo): void {
    if (this.closed) return;
    this.closed = true;
    this.received.close();
    clearInterval(this.pingTimer);
    this.closeHandler(info);
  }

  sendText(text: string): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
  }

  sendBinary(frame: Uint8Array): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.batchWrites();
    this.socket.send(frame, { binary: true });
  }

  /**
   * One ack per received frame would be one syscall per frame; corking the TCP socket until the current batch of
   * incoming frames has been handled turns them into one write.
   */
  private batchWrites(): void {
    if (this.corked) return;
    const raw = (this.socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (!raw || typeof raw.cork !== 'function') return;
    this.corked = true;
    raw.cork();
    process.nextTick(() => {
      this.corked = false;
      raw.uncork();
    });
  }

  onMessage(handler: (data: Uint8Array | string) => void): void {
    this.messageHandler = handler;
  }

  onClose(handler: (info: TransportCloseInfo) => void): void {
    this.closeHandler = handler;
  }

  close(code = 1000, reason = ''): void {
    // Closed by its owner, who wants no more of its frames.
    this.received.discard();
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(code, reason);
    // A peer that never answers the close frame must not keep the socket open.
    setTimeout(() => this.socket.terminate(), 2000).unref();
  }
}

/**
 * Opens the TCP (or TLS) socket under the WebSocket as `ws` would, but with no read-ahead while paused: a session
 * waiting for its turn to read (see {@link FairIntake}) then leaves its backlog in the kernel, where it costs this
 * process nothing, instead of in a 64 KiB buffer per socket.
 */
type SocketOptions = NetConnectOpts & ConnectionOptions & { socketPath?: string };

function openSocket(options: SocketOptions, secure: boolean): Socket {
  if (secure) {
    const servername = options.servername || options.servername === '' ? options.servername : undefined;
    return tlsConnect({
      ...options,
      path: undefined,
      servername: servername ?? (isIP(options.host ?? '') ? '' : options.host),
      highWaterMark: 0,
    } as unknown as ConnectionOptions);
  }
  return netConnect({ ...options, path: options.socketPath, readableHighWaterMark: 0 } as unknown as NetConnectOpts);
}

/**
 * Opens the data-channel WebSocket exactly at `url` (no auth headers, no subprotocol, no compression).
 * @throws SsmError `ssm.transport.insecure_url` / `ssm.transport.bad_url` for a refused URL, `ssm.transport.connect`
 * when the socket does not open.
 */
export function connectWebSocket(url: string, options: WsTransportOptions = {}): Promise<MessageTransport> {
  try {
    assertStreamUrlAllowed(url);
  } catch (error) {
    return Promise.reject(error);
  }
  const secure = new URL(url).protocol === 'wss:';
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      handshakeTimeout: options.handshakeTimeoutMs ?? 45_000,
      perMessageDeflate: false,
      maxPayload: options.maxPayloadBytes ?? 4 * 1024 * 1024,
      createConnection: ((socketOptions: SocketOptions) =>
        openSocket(socketOptions, secure)) as unknown as WebSocket.ClientOptions['createConnection'],
    });
    const onError = (error: Error): void => {
      socket.removeListener('open', onOpen);
      socket.terminate();
      reject(
        new SsmError('ssm.transport.connect', `could not open the session stream: ${error.message}`, {
          cause: error,
          userMessage: 'Could not connect to the session stream.',
        }),
      );
    };
    const onOpen = (): void => {
      socket.removeListener('error', onError);
      resolve(
        new WsMessageTransport(
          socket,
          options.pingIntervalMs ?? 30_000,
          options.livenessTimeoutMs ?? 60_000,
          options.intake ?? sharedIntake,
        ),
      );
    };
    socket.once('error', onError);
    socket.once('open', onOpen);
  });
}

/** A connector with fixed options, for {@link TransportConnector} consumers. */
export function createWsConnector(options: WsTransportOptions = {}): TransportConnector {
  return (url) => connectWebSocket(url, options);
}
