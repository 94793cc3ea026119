import type { Clock } from '../../shared/clock.js';
import type { JsonObject } from './types.js';

/** A per-minute budget for one method, for the whole workspace or per channel. */
export interface MethodRateLimit {
  perMinute: number;
  /** Count calls per `channel` argument (Slack's rule for `chat.postMessage`). */
  perChannel?: boolean;
}

/**
 * Slack's published tiers for the methods the bot uses (Tier 2 = 20/min, Tier 3 = 50/min, Tier 4 = 100/min;
 * `chat.postMessage` about one per second per channel). `apps.connections.open` is left out: it is Tier 1, and
 * Slack tolerates the bursts a reconnect makes.
 */
export const SLACK_RATE_LIMITS: Readonly<Record<string, MethodRateLimit>> = {
  'chat.postMessage': { perMinute: 60, perChannel: true },
  'chat.update': { perMinute: 50 },
  'chat.delete': { perMinute: 50 },
  'chat.postEphemeral': { perMinute: 100 },
  'conversations.info': { perMinute: 50 },
  'usergroups.users.list': { perMinute: 20 },
  'usergroups.list': { perMinute: 20 },
  'users.info': { perMinute: 100 },
  'views.open': { perMinute: 100 },
  'views.update': { perMinute: 100 },
  'files.getUploadURLExternal': { perMinute: 100 },
  'files.completeUploadExternal': { perMinute: 100 },
};

const WINDOW_MS = 60_000;

/** Sliding one-minute windows per method (and channel), answering with the Retry-After Slack would send. */
export class RateLimiter {
  private readonly windows = new Map<string, number[]>();

  constructor(
    private readonly table: Readonly<Record<string, MethodRateLimit>>,
    private readonly clock: Clock,
  ) {}

  /** Counts the call; returns the seconds to wait when it is over budget (and then it does not count). */
  check(method: string, args: JsonObject): number | undefined {
    const limit = this.table[method];
    if (!limit) return undefined;
    const channel = typeof args['channel'] === 'string' ? args['channel'] : '';
    const key = limit.perChannel ? `${method}:${channel}` : method;
    const now = this.clock.now();
    const window = (this.windows.get(key) ?? []).filter((at) => at > now - WINDOW_MS);
    this.windows.set(key, window);
    const oldest = window[0];
    if (window.length >= limit.perMinute && oldest !== undefined) {
      return Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000));
    }
    window.push(now);
    return undefined;
  }
}
