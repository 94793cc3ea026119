import type { Logger as BoltLogger } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import { ErrorCode } from '@slack/web-api';

/** Why Slack asks a connection to go away: soon (`refresh_requested`), about to close (`warning`), or refused. */
type DisconnectReason = string;

/** Raised by the client below when Slack asks for a new connection; the owner decides when this one closes. */
const RECONNECT_REQUESTED = 'handoff:reconnect_requested';

/**
 * The SDK's client answers Slack's `disconnect` frame (refresh_requested, warning) by closing at once and asking for
 * a new connection only afterwards, seconds later: envelopes sent meanwhile, and acks of the ones being handled, have
 * no connection. Slack keeps serving the old connection after the frame, so this client only reports the frame and
 * leaves it to its owner to open the replacement first and close this one once its envelopes are acknowledged.
 */
class HandoffClient extends SocketModeClient {
  /** The reason of the last `disconnect` frame Slack sent (`too_many_websockets` when it refused this one). */
  lastDisconnectReason: DisconnectReason | undefined;

  protected override async onWebSocketMessage(data: string | ArrayBuffer, isBinary: boolean): Promise<void> {
    const reason = isBinary ? undefined : disconnectReason(data);
    if (reason !== undefined) this.lastDisconnectReason = reason;
    if (reason === 'refresh_requested' || reason === 'warning') {
      this.emit(RECONNECT_REQUESTED, reason);
      return;
    }
    await super.onWebSocketMessage(data, isBinary);
  }
}

function disconnectReason(data: string | ArrayBuffer): DisconnectReason | undefined {
  const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
  // Envelopes can be large; only a short frame can be a `disconnect`.
  if (text.length > 2_048 || !text.includes('"disconnect"')) return undefined;
  try {
    const frame = JSON.parse(text) as { type?: unknown; reason?: unknown };
    return frame.type === 'disconnect' ? String(frame.reason ?? 'unknown') : undefined;
  } catch {
    return undefined;
  }
}

/** Errors of `apps.connections.open` that no retry can fix (the SDK's own list, plus a bot token given by mistake). */
const UNRECOVERABLE = new Set([
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'user_removed_from_team',
  'team_disabled',
  'not_allowed_token_type',
]);

/** One envelope as the SDK hands it over. */
export interface SocketEnvelope {
  envelope_id: string;
  type: string;
  body: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
  ack(response?: Record<string, unknown>): Promise<void>;
}

export interface SocketConnectionEvents {
  /** An envelope arrived; `ack` sends the answer once (a second call does nothing). */
  envelope(connection: SocketConnection, envelope: SocketEnvelope): void;
  /** Slack asked for a new connection (refresh_requested or warning); this one still serves for now. */
  reconnectRequested(connection: SocketConnection, reason: DisconnectReason): void;
  /** The connection closed without the owner closing it (Slack closed it, or the network failed). */
  lost(connection: SocketConnection): void;
}

let nextId = 0;

/** One Socket Mode WebSocket: opened once, never reopened; knows which of its envelopes are not acknowledged yet. */
export class SocketConnection {
  readonly id = ++nextId;
  private readonly client: HandoffClient;
  private readonly unacked = new Set<string>();
  private onDrained: (() => void) | undefined;
  private state: 'new' | 'open' | 'closing' | 'closed' = 'new';
  /** Set by the owner once Slack asked for this connection to be replaced. */
  retiring = false;

  constructor(
    settings: { appToken: string; apiUrl?: string; logger: BoltLogger },
    private readonly events: SocketConnectionEvents,
  ) {
    this.client = new HandoffClient({
      appToken: settings.appToken,
      logger: settings.logger,
      // Reconnecting (when, how often, which connection first) is the owner's job.
      autoReconnectEnabled: false,
      clientOptions: { ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}), retryConfig: { retries: 0 } },
    });
    this.client.on('slack_event', (args: SocketEnvelope) => this.receive(args));
    this.client.on(RECONNECT_REQUESTED, (reason: DisconnectReason) => {
      if (this.state === 'open') this.events.reconnectRequested(this, reason);
    });
    this.client.on('disconnected', () => {
      const wasOpen = this.state === 'open';
      this.state = 'closed';
      this.drained();
      if (wasOpen) this.events.lost(this);
    });
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Asks Slack for a URL and connects; resolves on `hello`. Rejects with a `SocketConnectionRefused`. */
  async open(): Promise<void> {
    try {
      await this.client.start();
      this.state = 'open';
    } catch (error) {
      this.state = 'closed';
      throw refusal(error, this.client.lastDisconnectReason);
    }
    // Refused after `hello`: Slack may say too_many_websockets and close at once.
    if (this.client.lastDisconnectReason === 'too_many_websockets') {
      this.state = 'closed';
      throw new SocketConnectionRefused('too_many_websockets', false);
    }
  }

  /** Resolves once every envelope received here is acknowledged, or after `maxMs` (Slack redelivers the rest). */
  async drain(maxMs: number): Promise<void> {
    if (this.unacked.size === 0 || this.state === 'closed') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, maxMs);
      this.onDrained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closing';
    await this.client.disconnect();
    this.state = 'closed';
  }

  private receive(args: SocketEnvelope): void {
    const id = args.envelope_id;
    this.unacked.add(id);
    let acked = false;
    const ack = async (response?: Record<string, unknown>): Promise<void> => {
      if (acked) return;
      acked = true;
      try {
        await args.ack(response);
      } catch {
        // The connection closed under the ack. The work goes on: Slack delivers the envelope again on another
        // connection, and the bot recognises it and only acknowledges it there.
      } finally {
        this.settled(id);
      }
    };
    this.events.envelope(this, { ...args, ack });
  }

  /** The owner calls this when an envelope's handling ended, acknowledged or not. */
  settled(envelopeId: string): void {
    this.unacked.delete(envelopeId);
    if (this.unacked.size === 0) this.drained();
  }

  private drained(): void {
    const callback = this.onDrained;
    this.onDrained = undefined;
    callback?.();
  }
}

/** Slack did not give this replica a connection: why, and whether trying again can help. */
export class SocketConnectionRefused extends Error {
  constructor(
    readonly reason: string,
    readonly unrecoverable: boolean,
    options?: ErrorOptions,
  ) {
    super(`Slack refused a Socket Mode connection: ${reason}`, options);
    this.name = 'SocketConnectionRefused';
  }
}

function refusal(error: unknown, lastDisconnect: DisconnectReason | undefined): SocketConnectionRefused {
  if (lastDisconnect !== undefined) return new SocketConnectionRefused(lastDisconnect, false, { cause: error });
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === ErrorCode.PlatformError) {
    const apiError = String((error as { data?: { error?: unknown } }).data?.error ?? 'unknown');
    return new SocketConnectionRefused(apiError, UNRECOVERABLE.has(apiError), { cause: error });
  }
  if (code === ErrorCode.HTTPError) return new SocketConnectionRefused('http_error', false, { cause: error });
  if (code === ErrorCode.RateLimitedError) return new SocketConnectionRefused('ratelimited', false, { cause: error });
  return new SocketConnectionRefused(
    error === undefined ? 'closed_before_hello' : 'unreachable',
    false,
    error === undefined ? undefined : { cause: error },
  );
}
