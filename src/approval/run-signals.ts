import type { RedisClient } from './redis-connection.js';

/**
 * Tells every replica that a run should stop. A run lives in the process that dispatched it, but the Stop click or
 * `/ecs-exec cancel` can reach any replica; the one that owns the run acts on the signal, the others ignore it.
 */
export interface RunSignals {
  requestStop(requestId: string, byUserId: string): Promise<void>;
  /** Registers the handler; returns the function that removes it. */
  onStop(handler: (requestId: string, byUserId: string) => void): () => void;
  /**
   * Who asked to stop this run, if anyone did. A signal can pass a replica by (its connection was down at that
   * moment), so the owner of a run also asks now and then, and whenever `onReconnect` fires.
   */
  stopRequestedBy(requestId: string): Promise<string | undefined>;
  /** Registers a handler for "signals may have been missed" (a subscription restored); returns its remover. */
  onReconnect(handler: () => void): () => void;
  close(): Promise<void>;
}

/** How long a stop request is remembered: longer than any run may last. */
const STOP_REMEMBERED_MS = 24 * 60 * 60 * 1000;
/** The embedded companion keeps at most this many stop requests (oldest dropped). */
const LOCAL_STOPS_LIMIT = 1_000;

/** One process: the signal goes straight to the handlers (the embedded store's companion). */
export class LocalRunSignals implements RunSignals {
  private readonly handlers = new Set<(requestId: string, byUserId: string) => void>();
  private readonly stops = new Map<string, string>();

  async requestStop(requestId: string, byUserId: string): Promise<void> {
    this.stops.delete(requestId);
    this.stops.set(requestId, byUserId);
    if (this.stops.size > LOCAL_STOPS_LIMIT) this.stops.delete(this.stops.keys().next().value as string);
    for (const handler of this.handlers) handler(requestId, byUserId);
  }

  async stopRequestedBy(requestId: string): Promise<string | undefined> {
    return this.stops.get(requestId);
  }

  /** One process never misses its own signals. */
  onReconnect(): () => void {
    return () => {};
  }

  onStop(handler: (requestId: string, byUserId: string) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.stops.clear();
  }
}

/**
 * Redis pub/sub between replicas, backed by a remembered key per stopped run. Pub/sub keeps nothing for a replica
 * whose subscription is down at that moment, so the request is also stored: when the subscription comes back,
 * `onReconnect` handlers run and the owner of a run reads the key (as it also does with its heartbeat).
 */
export class RedisRunSignals implements RunSignals {
  private readonly handlers = new Set<(requestId: string, byUserId: string) => void>();
  private readonly reconnectHandlers = new Set<() => void>();
  private readonly subscribed: Promise<unknown>;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly channel: string,
  ) {
    this.subscribed = subscriber.subscribe(channel);
    // A failed subscription surfaces on the next requestStop; it must not crash the process as an unhandled rejection.
    this.subscribed.catch(() => {});
    subscriber.on('message', (from: string, message: string) => {
      if (from !== channel) return;
      try {
        const { requestId, byUserId } = JSON.parse(message) as { requestId: string; byUserId: string };
        for (const handler of this.handlers) handler(requestId, byUserId);
      } catch {
        // Not ours: ignore anything that is not a stop signal.
      }
    });
    let connectedOnce = false;
    subscriber.on('ready', () => {
      if (!connectedOnce) {
        connectedOnce = true;
        return;
      }
      // ioredis resubscribes on its own after a reconnect; a PING queued behind that SUBSCRIBE answers once it is in
      // place, so a stop published from then on is heard, and the key covers everything before.
      subscriber
        .ping()
        .then(() => {
          for (const handler of this.reconnectHandlers) handler();
        })
        .catch(() => {});
    });
    if (subscriber.status === 'ready') connectedOnce = true;
  }

  /**
   * Resolves once Redis has confirmed the subscription: from then on a stop published by any replica reaches this
   * one. Before that, only the remembered key (read with the heartbeat) would tell it.
   * @throws the subscription's error when Redis refused it
   */
  async ready(): Promise<void> {
    await this.subscribed;
  }

  private stopKey(requestId: string): string {
    return `${this.channel}:stop:${requestId}`;
  }

  async requestStop(requestId: string, byUserId: string): Promise<void> {
    await this.subscribed;
    const replies = await this.publisher
      .pipeline()
      .set(this.stopKey(requestId), byUserId, 'PX', STOP_REMEMBERED_MS)
      .publish(this.channel, JSON.stringify({ requestId, byUserId }))
      .exec();
    const failed = replies?.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  async stopRequestedBy(requestId: string): Promise<string | undefined> {
    return (await this.publisher.get(this.stopKey(requestId))) ?? undefined;
  }

  onStop(handler: (requestId: string, byUserId: string) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.reconnectHandlers.clear();
    this.subscriber.disconnect();
  }
}
