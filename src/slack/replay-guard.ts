import { createHash } from 'node:crypto';
import type { RedisClient } from '../approval/redis-connection.js';
import type { Clock } from '../shared/clock.js';

/**
 * How long a signed request is remembered. Slack's signature is accepted while its timestamp is within 5 minutes of
 * our clock either way, so one delivery can be replayed for up to 10 minutes; remembering it that long covers all
 * of them.
 */
export const REPLAY_WINDOW_MS = 10 * 60 * 1_000;

/** Remembers signed Slack requests, so one delivered twice is acted on once. */
export interface ReplayGuard {
  /** True the first time this digest is seen within the window, false for every later sighting. */
  firstSight(digest: string): Promise<boolean>;
}

/**
 * The digest of one signed request: its signature, timestamp and raw body. A person who types the same command again
 * sends a new timestamp and so a new signature; only the very same request (a replay, or a redelivery) repeats it.
 */
export function signedRequestDigest(signature: string, timestamp: string, rawBody: Buffer | string): string {
  return createHash('sha256').update(`${signature}\n${timestamp}\n`).update(rawBody).digest('hex');
}

/**
 * The digest of one Socket Mode delivery. Slack delivers an envelope whose ack it did not get again, on any of the
 * app's connections (so possibly to another replica), with the same envelope id; an Events API retry keeps the
 * event id. Nothing is signed over a socket, so these ids are what identifies a redelivery.
 */
export function socketDeliveryDigest(envelopeId: string, body: Readonly<Record<string, unknown>>): string {
  const eventId = body['type'] === 'event_callback' ? body['event_id'] : undefined;
  const identity = typeof eventId === 'string' ? `event:${eventId}` : `envelope:${envelopeId}`;
  return createHash('sha256').update(`socket-mode\n${identity}`).digest('hex');
}

/** Shared by every replica: `SET NX PX` answers for the first sighting on any of them. */
export class RedisReplayGuard implements ReplayGuard {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyOf: (digest: string) => string,
  ) {}

  async firstSight(digest: string): Promise<boolean> {
    return (await this.redis.set(this.keyOf(digest), '1', 'PX', REPLAY_WINDOW_MS, 'NX')) === 'OK';
  }
}

/** For the embedded store's single replica: the same answers from memory. */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  async firstSight(digest: string): Promise<boolean> {
    const now = this.clock.now();
    // Entries are kept in insertion order, so the expired ones are at the front.
    for (const [key, expiresAt] of this.seen) {
      if (expiresAt > now) break;
      this.seen.delete(key);
    }
    if (this.seen.has(digest)) return false;
    this.seen.set(digest, now + REPLAY_WINDOW_MS);
    return true;
  }
}
