import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AnyMiddlewareArgs,
  App,
  type Authorize,
  type Logger as BoltLogger,
  ErrorCode,
  HTTPModuleFunctions,
  HTTPReceiver,
  LogLevel,
  type Middleware,
  type Receiver,
} from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import type { BotMetrics } from '../metrics/bot-metrics.js';
import { type Clock, systemClock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { createAfterAckLane } from './after-ack-lane.js';
import { registerListeners, type SlackHandlers } from './listeners/index.js';
import { type ReplayGuard, signedRequestDigest, socketDeliveryDigest } from './replay-guard.js';
import { HandoffSocketModeReceiver } from './socket-mode/socket-mode-receiver.js';
import { checkSlackHeaders, hasValidSlackSignature, readRawBody, type SlackRequestRefusal } from './verify-request.js';

/** The Slack side of the settings, already validated by loadConfig. */
export interface SlackAppSettings {
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  /** Web API base URL (`https://slack.com/api/` in production, a stand-in in tests and the playground). */
  apiUrl?: string;
  /** The clock request timestamps are judged against (HTTP mode); the system clock unless a test fixes time. */
  clock?: Clock;
  /**
   * Bolt's authorization. Without it Bolt, given only the token, calls `auth.test` before every request it handles
   * (with token verification off it never keeps the answer), putting a Slack round trip in front of every ack;
   * main.ts passes the bot identity cache's.
   */
  authorize?: Authorize<boolean>;
  /** Remembers signed requests (HTTP) and Socket Mode deliveries, so one delivered twice is acted on once. */
  replayGuard?: ReplayGuard;
  /**
   * The after-ack lane (see after-ack-lane.ts): how many requests' work may run at once, and after how long a
   * request still waiting for its turn is told it is queued. The defaults suit a burst.
   */
  afterAck?: { concurrency?: number; longWaitMs?: number };
}

export interface SlackApp {
  app: App;
  mode: 'http' | 'socket';
  /** HTTP mode only: handles `/slack/events` with the raw-body signature check. */
  handleSlackRequest?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Socket Mode only: opens the WebSocket (HTTP mode needs no start: requests arrive through our server). */
  start(): Promise<void>;
  /** Stops taking requests (Socket Mode) and waits for the work of those already acknowledged. */
  stop(): Promise<void>;
}

/**
 * Web API client settings for every client the bot makes. Retries of Slack writes are decided by the code that makes
 * them (post once, then update by ts); the SDK's default of ten retries over thirty minutes would post duplicates
 * after a timeout, and a 429 must come back to us so WebSlackNotifier can wait out Retry-After.
 */
export function slackClientOptions(apiUrl: string | undefined, logger?: Logger): WebClientOptions {
  return {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    // Without one, the client writes its warnings (rate limits, retries) as plain text to the console.
    ...(logger ? { logger: toBoltLogger(logger) } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    // A hung call must not hold a click, a card update or a shutdown for minutes; Slack answers in well under this.
    timeout: 15_000,
  };
}

/** Bolt's logger interface over our pino logger, so Bolt's own lines are JSON and redacted like ours. */
function toBoltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const write =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (...msg: unknown[]): void =>
      logger[method]({ source: 'bolt' }, msg.map((part) => (typeof part === 'string' ? part : String(part))).join(' '));
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

const DELIVERY_DIGEST = 'deliveryDigest';

/**
 * A global middleware that acknowledges and drops a request seen before: a signed request replayed, or a Socket
 * Mode envelope delivered again. A replayed slash command would otherwise post a second card and run a second
 * time; a person typing the command again sends a new signature (a new envelope) and gets the usual answer (a
 * pointer to the pending request).
 */
function dropReplays(guard: ReplayGuard, logger: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const digest = args.context[DELIVERY_DIGEST];
    if (typeof digest === 'string' && (await seenBefore(guard, digest, logger))) {
      logger.warn(
        { digest: digest.slice(0, 16) },
        'dropped a Slack request already seen (a replay), or an envelope Slack delivered again',
      );
      if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
      return;
    }
    await args.next();
  };
}

/** How long the replay check may take before the request goes on unchecked (Slack's 3-second ack comes first). */
const REPLAY_CHECK_TIMEOUT_MS = 500;

/**
 * Whether the guard has seen the digest. When its store does not answer in time the request goes on: every later
 * step needs the same store and says "nothing ran" itself, which is the answer the person should get.
 */
async function seenBefore(guard: ReplayGuard, digest: string, logger: Logger): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), REPLAY_CHECK_TIMEOUT_MS);
  });
  try {
    const first = await Promise.race([guard.firstSight(digest), timeout]);
    if (first === 'timeout') {
      logger.warn('the replay check did not answer in time; the request goes on unchecked');
      return false;
    }
    return !first;
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'the replay check failed; the request goes on unchecked');
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Builds the Bolt app with the receiver the settings call for: Socket Mode when an app token is set, otherwise
 * HTTP with Slack's signature check on the raw bytes. No environment is read here; main.ts passes everything in.
 */
export function createSlackApp(
  settings: SlackAppSettings,
  handlers: SlackHandlers,
  logger: Logger,
  metrics?: Pick<BotMetrics, 'slackRequestRefused' | 'socketMode'>,
): SlackApp {
  const boltLogger = toBoltLogger(logger);
  const lane = createAfterAckLane(settings.afterAck?.concurrency, settings.afterAck?.longWaitMs);
  const appWith = (receiver: Receiver, replayGuard?: ReplayGuard): App => {
    // Token verification (auth.test) is left to the identity cache and /readyz, so starting never depends on Slack
    // answering.
    const app = new App({
      ...(settings.authorize ? { authorize: settings.authorize } : { token: settings.botToken }),
      receiver,
      logger: boltLogger,
      clientOptions: slackClientOptions(settings.apiUrl),
      tokenVerificationEnabled: false,
      // Bolt's conversation store is unused here, and its lookup rejects with a new Error for every request that has
      // no stored conversation: a stack trace captured in front of every ack.
      convoStore: false,
    });
    if (replayGuard) app.use(dropReplays(replayGuard, logger));
    registerListeners(app, handlers, logger, lane);
    return app;
  };

  if (settings.appToken) {
    const receiver = new HandoffSocketModeReceiver({
      appToken: settings.appToken,
      ...(settings.apiUrl ? { apiUrl: settings.apiUrl } : {}),
      logger,
      boltLogger,
      ...(metrics?.socketMode ? { observer: metrics.socketMode } : {}),
      customProperties: (envelope) => ({
        [DELIVERY_DIGEST]: socketDeliveryDigest(envelope.envelope_id, envelope.body),
      }),
    });
    return {
      app: appWith(receiver, settings.replayGuard),
      mode: 'socket',
      start: async () => {
        await receiver.start();
      },
      stop: async () => {
        await receiver.stop();
        await lane.settled();
      },
    };
  }

  if (!settings.signingSecret) throw new Error('HTTP mode needs a signing secret');
  const signingSecret = settings.signingSecret;
  const clock = settings.clock ?? systemClock;
  const receiver = new HTTPReceiver({
    signingSecret,
    // Checked below, before Bolt sees the request: Bolt judges timestamps by its own clock and only in one direction.
    signatureVerification: false,
    endpoints: '/slack/events',
    logger: boltLogger,
    // Acknowledge as soon as the listener calls ack(); the work continues after the response.
    processBeforeResponse: false,
    unhandledRequestTimeoutMillis: 2_900,
    processEventErrorHandler: async (args) => {
      // Bolt asks Slack who the bot is (auth.test) before any listener runs. When Slack cannot answer, Bolt's own
      // handler replies 401, which reads as a forged request; it is an outage, and Slack may retry a 503.
      if ('code' in args.error && args.error.code === ErrorCode.AuthorizationError && !args.response.headersSent) {
        logger.warn(
          { err: args.error.message },
          'Slack request not handled: Slack could not be reached to authorize it',
        );
        args.response.writeHead(503, { 'content-type': 'text/plain' }).end('slack unavailable\n');
        metrics?.slackRequestRefused('slack_unavailable');
        return true;
      }
      return await HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
    },
    // The signature on these bytes was checked before Bolt saw the request.
    customPropertiesExtractor: (req) => {
      const { rawBody } = req as typeof req & { rawBody?: Buffer };
      const signature = req.headers['x-slack-signature'];
      const timestamp = req.headers['x-slack-request-timestamp'];
      if (!rawBody || typeof signature !== 'string' || typeof timestamp !== 'string') return {};
      return { [DELIVERY_DIGEST]: signedRequestDigest(signature, timestamp, rawBody) };
    },
  });
  const app = appWith(receiver, settings.replayGuard);

  const refuse = (req: IncomingMessage, res: ServerResponse, reason: SlackRequestRefusal, log: object): void => {
    logger.warn({ path: req.url, ...log }, 'refused unsigned or stale Slack request');
    req.resume();
    res.writeHead(401, { 'content-type': 'text/plain' }).end('invalid signature\n');
    metrics?.slackRequestRefused(reason);
  };
  // Set once stopping begins: a replica that keeps acknowledging new requests while it drains could be kept from
  // stopping forever by steady traffic, and would take on work it may not live to finish.
  let draining = false;
  const handleSlackRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (draining) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1', connection: 'close' }).end('stopping\n');
      return;
    }
    const headers = checkSlackHeaders(req.headers, clock.now());
    if (!headers.ok) {
      const skew = headers.skewSeconds;
      refuse(req, res, 'stale_or_unsigned', { skewSeconds: skew === null ? null : Math.round(skew) });
      return;
    }
    readRawBody(req).then(
      (rawBody) => {
        if (!hasValidSlackSignature(signingSecret, req.headers, rawBody)) {
          refuse(req, res, 'bad_signature', {});
          return;
        }
        // Bolt takes a request whose `rawBody` is already read as it is (its BufferedIncomingMessage).
        Object.assign(req, { rawBody });
        receiver.requestListener(req, res);
      },
      (error: unknown) => {
        const tooLarge = error instanceof RangeError;
        logger.warn({ path: req.url, err: String(error) }, 'could not read a Slack request body');
        res.writeHead(tooLarge ? 413 : 400, { connection: 'close' }).end();
      },
    );
  };
  // Stopping finishes the work of every request already acknowledged: Slack will not send those again.
  const stop = async (): Promise<void> => {
    draining = true;
    await lane.settled();
  };
  return { app, mode: 'http', handleSlackRequest, start: async () => {}, stop };
}
