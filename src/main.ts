import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ApprovalStore } from './approval/approval-port.js';
import { MemoryApprovalStore } from './approval/memory-approval-store.js';
import { describeRedisDurability, keepsEveryClaim, RedisApprovalStore } from './approval/redis-approval-store.js';
import { createRedisClient } from './approval/redis-connection.js';
import { LocalRunSignals, RedisRunSignals, type RunSignals } from './approval/run-signals.js';
import type { AuditEntry } from './audit/audit-entry.js';
import type { CliIo } from './cli/io.js';
import { EXIT_COULD_NOT_RUN } from './cli/io.js';
import { type Config, hasSlackSettings, loadConfig } from './config/load-config.js';
import { createAwsClientFactory } from './ecs/aws-client-factory.js';
import { createEcsExecEngine, type EngineTuning } from './ecs/exec-engine.js';
import { isBotError } from './errors.js';
import { createCachingUserGroupResolver } from './policy/user-group-resolver-port.js';
import { createBotMetrics } from './shared/bot-metrics.js';
import { systemClock } from './shared/clock.js';
import { createLogger, type Logger } from './shared/logger.js';
import { createSlackApp, slackClientOptions } from './slack/app.js';
import { createAuditChannelSink } from './slack/audit-channel.js';
import { createExecFlow } from './slack/flow/exec-flow.js';
import type { FlowTuning } from './slack/flow/flow-deps.js';
import { type ReadinessCheck, startBotHttpServer } from './slack/http-server.js';
import { SlackPeopleDirectory } from './slack/slack-people.js';
import { SlackUserGroupResolver } from './slack/slack-user-group-resolver.js';
import { WebSlackNotifier } from './slack/web-slack-notifier.js';

/** A running bot, as `serve` and the playground hold it. */
export interface RunningBot {
  url: string;
  /** Stops taking requests, lets runs finish for up to `graceMs`, stops the rest, then closes everything. */
  stop(graceMs?: number): Promise<void>;
}

/** How long a shutdown (SIGTERM on a rolling deploy) waits for running commands before stopping them. */
const SHUTDOWN_GRACE_MS = 25_000;

/** How long an approved request may wait for its start before another replica starts it, where that is safe. */
const START_ORPHANS_AFTER_MS = 30_000;

/**
 * Builds every adapter from a validated config and starts the bot. The environment is passed in, never read here,
 * so the playground and tests can start a bot with their own settings.
 */
export async function startBotWith(
  config: Config,
  env: Record<string, string | undefined>,
  logger: Logger,
  options: { host?: string; redisKeyPrefix?: string; tuning?: FlowTuning; engine?: EngineTuning } = {},
): Promise<RunningBot> {
  if (config.slack.mode === 'none') throw new Error('Slack settings are required to start the bot');
  const replicaId = `${hostname()}-${randomUUID().slice(0, 6)}`;

  let redis: Redis | undefined;
  let store: ApprovalStore;
  let runSignals: RunSignals;
  /** Set only where a stored claim cannot be forgotten (see FlowDeps.startOrphansAfterMs). */
  let startOrphansAfterMs: number | undefined;
  const client = new WebClient(config.slack.botToken, slackClientOptions(config.slack.apiUrl));
  const notifier = new WebSlackNotifier(client, { logger });
  const auditChannel = config.policy.audit.channel
    ? createAuditChannelSink(notifier, config.policy.audit.channel, logger)
    : undefined;
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const botMetrics = createBotMetrics(metrics);
  const auditSink = (entry: AuditEntry): void => {
    logger.info({ audit: entry }, 'audit');
    botMetrics.audited(entry);
    auditChannel?.(entry);
  };
  if (config.redisUrl) {
    // Fail fast instead of queueing: a click must get "nothing happened, try again" within Slack's 3 s, and a
    // command resent after a reconnect must not run a transition twice (the scripts are idempotent anyway).
    // With Sentinels in REDIS_URL the client finds the primary through them and follows a failover.
    redis = createRedisClient(config.redisUrl, {
      maxRetriesPerRequest: 2,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    redis.on('error', (error) => logger.warn({ err: error.message }, 'redis connection problem'));
    await redis.connect();
    // ExecuteCommand follows a stored `dispatched`; say loudly when Redis could forget that after a crash.
    const durability = await describeRedisDurability(redis);
    for (const warning of durability?.warnings ?? []) logger.warn(warning);
    if (keepsEveryClaim(durability)) startOrphansAfterMs = START_ORPHANS_AFTER_MS;
    else {
      logger.info(
        'an approved request whose replica stops before starting it waits for its expiry: only with Redis on ' +
          '"appendonly yes" + "appendfsync always" and no replicas is it started by another replica',
      );
    }
    store = new RedisApprovalStore(redis, {
      replicaId,
      auditSink,
      ...(options.redisKeyPrefix ? { prefix: options.redisKeyPrefix } : {}),
    });
    // Pub/sub needs a connection of its own: a subscribed connection can do nothing else.
    const subscriber = redis.duplicate();
    subscriber.on('error', (error) => logger.warn({ err: error.message }, 'redis subscriber connection problem'));
    await subscriber.connect();
    const redisSignals = new RedisRunSignals(redis, subscriber, `${options.redisKeyPrefix ?? 'ecs-exec:'}run-signals`);
    // Take work only once a Stop sent by another replica is sure to reach this one.
    await redisSignals.ready();
    runSignals = redisSignals;
  } else {
    logger.warn(
      'REDIS_URL is not set: using the embedded in-process store. It suits ONE replica only; approvals and audit ' +
        'entries are lost when the process stops. Set REDIS_URL for production.',
    );
    store = new MemoryApprovalStore({ replicaId, auditSink });
    runSignals = new LocalRunSignals();
    // One process: its own claims are never forgotten while it runs, and a restart forgets every request alike.
    startOrphansAfterMs = START_ORPHANS_AFTER_MS;
  }

  const awsFactory = createAwsClientFactory({ env });
  const flow = createExecFlow({
    policy: config.policy,
    policyVersion: config.policyVersion,
    store,
    notifier,
    userGroups: createCachingUserGroupResolver(new SlackUserGroupResolver(client), { clock: systemClock }),
    people: new SlackPeopleDirectory(client, systemClock),
    engine: createEcsExecEngine(awsFactory, options.engine),
    runSignals,
    clock: systemClock,
    logger,
    replicaId,
    ...(startOrphansAfterMs !== undefined ? { startOrphansAfterMs } : {}),
    ...options.tuning,
  });
  const slack = createSlackApp(
    {
      botToken: config.slack.botToken,
      ...(config.slack.mode === 'http' ? { signingSecret: config.slack.signingSecret } : {}),
      ...(config.slack.mode === 'socket' ? { appToken: config.slack.appToken } : {}),
      ...(config.slack.apiUrl ? { apiUrl: config.slack.apiUrl } : {}),
    },
    flow,
    logger,
    botMetrics,
  );

  const readiness: ReadinessCheck[] = [
    {
      name: 'slack',
      check: async () => {
        await client.auth.test();
      },
    },
  ];
  if (redis) {
    const connection = redis;
    readiness.push({
      name: 'redis',
      check: async () => {
        await connection.ping();
      },
    });
  }
  const server = await startBotHttpServer({
    ...(options.host ? { host: options.host } : {}),
    port: config.port,
    handleSlackRequest: slack.handleSlackRequest,
    readiness,
    metrics,
    logger,
  });
  await slack.start();
  logger.info(
    { url: server.url, mode: slack.mode, store: redis ? 'redis' : 'embedded', replicaId },
    'ecs-exec bot started',
  );

  return {
    url: server.url,
    async stop(graceMs = 0) {
      // New work stops first (the socket, then the HTTP server); runs in progress keep their Slack and AWS clients.
      await slack.stop();
      await server.close();
      await flow.close(graceMs);
      await runSignals.close();
      awsFactory.destroy();
      redis?.disconnect();
    },
  };
}

/** `ecs-exec serve`: load the config from the environment, start, and drain on SIGTERM/SIGINT; or the playground. */
export async function startBot(args: string[], io: CliIo): Promise<number> {
  // No Slack settings at all means someone is trying the product locally: serve the playground instead of failing.
  // With any Slack setting present, or in a production image (NODE_ENV=production, where missing secrets must fail
  // loudly rather than look healthy), only --playground starts it.
  const tryingItOut = !hasSlackSettings(io.env) && io.env['NODE_ENV'] !== 'production';
  if (args.includes('--playground') || tryingItOut) {
    const { runPlayground } = await import('./playground/start-playground.js');
    return await runPlayground(args, io);
  }
  let config: Config;
  try {
    config = loadConfig(io.env);
  } catch (error) {
    io.stderr.write(`ecs-exec serve: ${isBotError(error) ? error.message : String(error)}\n`);
    return EXIT_COULD_NOT_RUN;
  }
  const logger = createLogger({ level: config.logLevel });
  const bot = await startBotWith(config, io.env, logger);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  logger.info('shutting down: finishing runs in progress');
  await bot.stop(SHUTDOWN_GRACE_MS);
  return 0;
}
