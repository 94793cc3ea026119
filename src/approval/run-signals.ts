import type { Redis } from 'ioredis';

/**
 * Tells every replica that a run should stop. A run lives in the process that dispatched it, but the Stop click or
 * `/ecs-exec cancel` can reach any replica; the one that owns the run acts on the signal, the others ignore it.
 */
export interface RunSignals {
  requestStop(requestId: string, byUserId: string): Promise<void>;
  /** Registers the handler; returns the function that removes it. */
  onStop(handler: (requestId: string, byUserId: string) => void): () => void;
  close(): Promise<void>;
}

/** One process: the signal goes straight to the handlers (the embedded store's companion). */
export class LocalRunSignals implements RunSignals {
  private readonly handlers = new Set<(requestId: string, byUserId: string) => void>();

  async requestStop(requestId: string, byUserId: string): Promise<void> {
    for (const handler of this.handlers) handler(requestId, byUserId);
  }

  onStop(handler: (requestId: string, byUserId: string) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}

/**
 * Redis pub/sub between replicas. Pub/sub keeps nothing for a replica that is disconnected at that moment, which
 * is acceptable here: the person sees no "stopping" confirmation from that run and can press Stop again, and the
 * run's own timeout still ends it.
 */
export class RedisRunSignals implements RunSignals {
  private readonly handlers = new Set<(requestId: string, byUserId: string) => void>();
  private readonly subscribed: Promise<unknown>;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
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
  }

  async requestStop(requestId: string, byUserId: string): Promise<void> {
    await this.subscribed;
    await this.publisher.publish(this.channel, JSON.stringify({ requestId, byUserId }));
  }

  onStop(handler: (requestId: string, byUserId: string) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.subscriber.disconnect();
  }
}
