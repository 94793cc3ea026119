import {
  type App,
  type Logger as BoltLogger,
  defaultProcessEventErrorHandler,
  type Receiver,
  type ReceiverEvent,
} from '@slack/bolt';
import type { Logger } from '../../shared/logger.js';
import { DEFAULT_RECONNECT_BACKOFF, type ReconnectBackoff, reconnectDelayMs } from './reconnect-backoff.js';
import { SocketConnection, SocketConnectionRefused, type SocketEnvelope } from './socket-connection.js';

/** What the receiver reports for `/metrics`. */
export interface SocketModeObserver {
  /** Slack refused a connection or it could not be opened, by reason (`too_many_websockets`, `unreachable`, ...). */
  connectionFailed(reason: string): void;
  /** Connections open now. */
  openConnections(count: number): void;
}

export interface SocketModeReceiverSettings {
  appToken: string;
  apiUrl?: string;
  logger: Logger;
  boltLogger: BoltLogger;
  observer?: SocketModeObserver;
  backoff?: ReconnectBackoff;
  random?: () => number;
  /** Extra context for each envelope (the identity the replay guard remembers). */
  customProperties?: (envelope: SocketEnvelope) => Record<string, unknown>;
}

/**
 * Slack's ack deadline. A connection being replaced is closed once its envelopes are acknowledged, or after this:
 * by then Slack has given up on the ack and delivers the envelope again elsewhere.
 */
const DRAIN_MS = 3_000;

/**
 * A Bolt receiver over Socket Mode that never leaves the bot without a connection on purpose: when Slack asks for a
 * refresh it opens the new connection first and closes the old one once its envelopes are acknowledged; when a
 * connection is lost or refused (`too_many_websockets`: Slack allows 10 per app) it retries with growing, jittered
 * waits instead of a fixed period that every replica would share.
 */
export class HandoffSocketModeReceiver implements Receiver {
  private app: App | undefined;
  private readonly connections = new Set<SocketConnection>();
  private opening: Promise<void> | undefined;
  private stopping = false;
  private failures = 0;
  private cancelWait: (() => void) | undefined;
  private readonly backoff: ReconnectBackoff;
  private readonly random: () => number;

  constructor(private readonly settings: SocketModeReceiverSettings) {
    this.backoff = settings.backoff ?? DEFAULT_RECONNECT_BACKOFF;
    this.random = settings.random ?? Math.random;
  }

  init(app: App): void {
    this.app = app;
  }

  /** Resolves once a connection is open; rejects only when Slack refuses the app token outright. */
  async start(): Promise<void> {
    this.stopping = false;
    await this.ensureConnection(true);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.cancelWait?.();
    await this.opening?.catch(() => {});
    await Promise.all([...this.connections].map((connection) => connection.close()));
    this.connections.clear();
    this.settings.observer?.openConnections(0);
  }

  /** Opens a connection unless one that Slack has not asked to replace is open; concurrent callers share one try. */
  private ensureConnection(failOnBadToken = false): Promise<void> {
    if ([...this.connections].some((connection) => connection.isOpen && !connection.retiring)) {
      return Promise.resolve();
    }
    this.opening ??= this.openWithBackoff(failOnBadToken).finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async openWithBackoff(failOnBadToken: boolean): Promise<void> {
    while (!this.stopping) {
      const connection = new SocketConnection(
        {
          appToken: this.settings.appToken,
          ...(this.settings.apiUrl ? { apiUrl: this.settings.apiUrl } : {}),
          logger: this.settings.boltLogger,
        },
        {
          envelope: (from, envelope) => void this.process(from, envelope),
          reconnectRequested: (from, reason) => {
            this.replace(from, reason).catch((error: unknown) =>
              this.settings.logger.warn({ err: error }, 'could not hand over a Socket Mode connection'),
            );
          },
          lost: (from) => this.lost(from),
        },
      );
      try {
        await connection.open();
      } catch (error) {
        const refused = error instanceof SocketConnectionRefused ? error : undefined;
        if (refused?.unrecoverable && failOnBadToken) throw error;
        await this.afterFailure(refused?.reason ?? 'unreachable', error);
        continue;
      }
      if (this.stopping) {
        await connection.close();
        return;
      }
      this.failures = 0;
      this.connections.add(connection);
      this.settings.observer?.openConnections(this.connections.size);
      this.settings.logger.info({ connection: connection.id, open: this.connections.size }, 'Socket Mode connected');
      return;
    }
  }

  private async afterFailure(reason: string, error: unknown): Promise<void> {
    this.failures += 1;
    const retryInMs = reconnectDelayMs(this.failures, this.backoff, this.random);
    this.settings.observer?.connectionFailed(reason);
    const details = { reason, failures: this.failures, retryInMs, open: this.connections.size };
    if (reason === 'too_many_websockets') {
      this.settings.logger.error(
        details,
        'ALERT: Slack refused a Socket Mode connection: all of the app’s connections (10) are in use; retrying with backoff',
      );
    } else {
      this.settings.logger.warn(
        { ...details, err: (error as Error)?.message },
        'could not open a Socket Mode connection',
      );
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, retryInMs);
      this.cancelWait = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.cancelWait = undefined;
  }

  /** Slack wants this connection replaced: the new one opens first, then this one closes once drained. */
  private async replace(connection: SocketConnection, reason: string): Promise<void> {
    if (connection.retiring) return;
    connection.retiring = true;
    this.settings.logger.info({ connection: connection.id, reason }, 'Slack asked for a new Socket Mode connection');
    await this.ensureConnection();
    if (this.stopping || !connection.isOpen) return;
    await connection.drain(DRAIN_MS);
    this.connections.delete(connection);
    await connection.close();
    this.settings.observer?.openConnections(this.connections.size);
  }

  private lost(connection: SocketConnection): void {
    this.connections.delete(connection);
    this.settings.observer?.openConnections(this.connections.size);
    if (this.stopping) return;
    this.settings.logger.warn(
      { connection: connection.id, open: this.connections.size },
      'Socket Mode connection closed by Slack or the network',
    );
    this.ensureConnection().catch((error: unknown) =>
      this.settings.logger.error({ err: error }, 'could not reopen a Socket Mode connection'),
    );
  }

  private async process(connection: SocketConnection, envelope: SocketEnvelope): Promise<void> {
    const event: ReceiverEvent = {
      body: envelope.body,
      ack: envelope.ack,
      ...(envelope.retry_num !== undefined ? { retryNum: envelope.retry_num } : {}),
      ...(envelope.retry_reason !== undefined ? { retryReason: envelope.retry_reason } : {}),
      customProperties: this.settings.customProperties?.(envelope) ?? {},
    };
    try {
      if (!this.app) throw new Error('the Socket Mode receiver was started before Bolt initialised it');
      await this.app.processEvent(event);
    } catch (error) {
      const ackAnyway = await defaultProcessEventErrorHandler({
        error: error as Error,
        logger: this.settings.boltLogger,
        event,
      });
      if (ackAnyway) await event.ack();
    } finally {
      connection.settled(envelope.envelope_id);
    }
  }
}
