import type { Authorize, AuthorizeResult } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';

/** Who the bot is in its workspace, as `auth.test` says. */
export interface BotIdentity {
  botId: string;
  botUserId: string;
  teamId: string;
  enterpriseId?: string;
}

/** The bot's identity, asked of Slack once and kept; Bolt's authorization reads it without a network call. */
export interface BotIdentityCache {
  /** What is known now; undefined until the first `auth.test` has answered (or after the token was refused). */
  current(): BotIdentity | undefined;
  /** Asks Slack again (one call however many ask at once). @throws the Web API error when Slack refuses or fails */
  refresh(): Promise<BotIdentity>;
  /** Bolt's `authorize`: answers from the cache, so no request waits for Slack before its ack. */
  authorize: Authorize<boolean>;
  /** Tells the cache about a failed Web API call; a refused token makes it ask Slack again. */
  observe(error: unknown): void;
}

/** Web API errors that mean the token no longer says who the bot is. */
const TOKEN_REFUSED = new Set(['invalid_auth', 'token_revoked', 'account_inactive', 'not_authed']);

/** Least time between refreshes that a failed call (rather than /readyz or start) asks for. */
const ERROR_REFRESH_GAP_MS = 10_000;

export function isTokenRefused(error: unknown): boolean {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' && TOKEN_REFUSED.has(data.error);
}

/**
 * The identity cache over a Web API client. Bolt, given only a token with token verification off, calls
 * `auth.test` before every single request it handles, which puts a Slack round trip (and a Tier 4 rate limit)
 * in front of every ack; this answers Bolt from memory instead. Until the first answer is in, a request is
 * authorized with the token and the request's own team, which is all a slash command or a click needs.
 */
export function createBotIdentityCache(options: {
  client: WebClient;
  botToken: string;
  clock: Clock;
  logger: Logger;
}): BotIdentityCache {
  const { client, botToken, clock, logger } = options;
  let known: BotIdentity | undefined;
  let inFlight: Promise<BotIdentity> | undefined;
  let lastErrorRefreshAt = Number.NEGATIVE_INFINITY;

  const refresh = (): Promise<BotIdentity> => {
    inFlight ??= (async () => {
      try {
        const answer = await client.auth.test();
        if (!answer.bot_id || !answer.user_id || !answer.team_id) {
          throw new Error('auth.test did not say which bot this token belongs to');
        }
        known = {
          botId: answer.bot_id,
          botUserId: answer.user_id,
          teamId: answer.team_id,
          ...(answer.enterprise_id ? { enterpriseId: answer.enterprise_id } : {}),
        };
        return known;
      } catch (error) {
        // A refused token means the cached identity can no longer be vouched for; a timeout says nothing about it.
        if (isTokenRefused(error)) known = undefined;
        throw error;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  const refreshInBackground = (why: string): void => {
    refresh().catch((error: unknown) => logger.warn({ err: error, why }, 'could not ask Slack who the bot is'));
  };

  return {
    current: () => known,
    refresh,
    async authorize(source): Promise<AuthorizeResult> {
      const identity = known;
      if (!identity && !inFlight) refreshInBackground('first request before auth.test answered');
      const teamId = identity?.teamId ?? source.teamId;
      const enterpriseId = identity?.enterpriseId ?? source.enterpriseId;
      return {
        botToken,
        ...(identity ? { botId: identity.botId, botUserId: identity.botUserId } : {}),
        ...(teamId ? { teamId } : {}),
        ...(enterpriseId ? { enterpriseId } : {}),
      };
    },
    observe(error) {
      if (!isTokenRefused(error)) return;
      const now = clock.now();
      // Every call fails alike once a token is revoked; one refresh per gap is enough to notice a fix.
      if (now - lastErrorRefreshAt < ERROR_REFRESH_GAP_MS) return;
      lastErrorRefreshAt = now;
      refreshInBackground('Slack refused the token');
    },
  };
}

/**
 * A Web API client that reports every failed call to `onError` (then rethrows it unchanged), so a revoked token
 * seen by any caller refreshes the bot's identity.
 */
export class ObservedWebClient extends WebClient {
  constructor(
    token: string,
    options: WebClientOptions,
    private readonly onError: (error: unknown) => void,
  ) {
    super(token, options);
  }

  override async apiCall(method: string, options?: Record<string, unknown>): ReturnType<WebClient['apiCall']> {
    try {
      return await super.apiCall(method, options);
    } catch (error) {
      this.onError(error);
      throw error;
    }
  }
}
