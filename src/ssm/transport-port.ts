/** Why a transport closed: the WebSocket close code/reason, and the error when it broke rather than closed. */
export interface TransportCloseInfo {
  code: number;
  reason: string;
  error?: Error;
}

/**
 * One message-oriented connection to the data channel (a WebSocket in production, an in-memory pair in tests).
 * Handlers are set once; `onClose` fires exactly once, whoever closed.
 */
export interface MessageTransport {
  /** Sends one text frame (only OpenDataChannel uses it). */
  sendText(text: string): void;
  /** Sends one binary frame (one encoded ClientMessage). */
  sendBinary(frame: Uint8Array): void;
  /** Receives every data frame; text frames arrive as strings. */
  onMessage(handler: (data: Uint8Array | string) => void): void;
  onClose(handler: (info: TransportCloseInfo) => void): void;
  /** Closes politely; `onClose` follows. Safe to call more than once. */
  close(code?: number, reason?: string): void;
}

/** Opens a transport to a stream URL. @throws SsmError `ssm.transport.*` when it cannot connect. */
export type TransportConnector = (url: string) => Promise<MessageTransport>;
