import WebSocket from 'ws';
import { SsmError } from './errors.js';
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

  constructor(
    private readonly socket: WebSocket,
    pingIntervalMs: number,
    livenessTimeoutMs: number,
  ) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.lastSignOfLife = Date.now();
      this.messageHandler(isBinary ? data : data.toString('utf8'));
    });
    socket.on('pong', () => {
      this.lastSignOfLife = Date.now();
    });
    socket.on('close', (code: number, reason: Buffer) => this.finish({ code, reason: reason.toString('utf8') }));
    socket.on('error', (error: Error) => {
      this.finish({ code: 1006, reason: error.message, error });
      socket.terminate();
    });
    this.ping();
    this.pingTimer = setInterval(() => {
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
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(code, reason);
    // A peer that never answers the close frame must not keep the socket open.
    setTimeout(() => this.socket.terminate(), 2000).unref();
  }
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
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      handshakeTimeout: options.handshakeTimeoutMs ?? 45_000,
      perMessageDeflate: false,
      maxPayload: options.maxPayloadBytes ?? 4 * 1024 * 1024,
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
      resolve(new WsMessageTransport(socket, options.pingIntervalMs ?? 30_000, options.livenessTimeoutMs ?? 60_000));
    };
    socket.once('error', onError);
    socket.once('open', onOpen);
  });
}

/** A connector with fixed options, for {@link TransportConnector} consumers. */
export function createWsConnector(options: WsTransportOptions = {}): TransportConnector {
  return (url) => connectWebSocket(url, options);
}
