import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ApprovalStore } from './approval/approval-port.js';
import { DEFAULT_KEY_PREFIX, keys } from './approval/keys.js';
import { MemoryApprovalStore } from './approval/memory-approval-store.js';
import { RedisApprovalStore } from './approval/redis-approval-store.js';
import { createRedisClient, type RedisClient, redisConnectionSettings } from './approval/redis-connection.js';
import { describeRedisDurability, keepsEveryClaim } from './approval/redis-durability.js';
import { LocalRunSignals, RedisRunSignals, type RunSignals } from './approval/run-signals.js';
import type { AuditEntry } from './audit/audit-entry.js';
import { type StartupConfig, startConfigReloader } from './config/config-reloader.js';
import type { Config } from './config/load-config.js';
import { fixedPolicy } from './config/policy-holder.js';
import { createAwsClientFactory } from './ecs/aws-client-factory.js';
import { createEcsExecEngine, type EngineTuning } from './ecs/exec-engine.js';
import { ApiBudget, DEFAULT_BUDGET } from './ecs/rate-budget.js';
import { createBotMetrics } from './metrics/bot-metrics.js';
import { useExtraRules } from './output/secret-rules.js';
import { createCachingUserGroupResolver } from './policy/user-group-resolver-port.js';
import { systemClock } from './shared/clock.js';
import type { Logger } from './shared/logger.js';
import { createSlackApp, slackClientOptions } from './slack/app.js';
import { createAuditChannelSink } from './slack/audit-channel.js';
import { type BotIdentityCache, createBotIdentityCache, ObservedWebClient } from './slack/bot-identity.js';
import { type ReadinessCheck, startBotHttpServer } from './slack/http-server.js';
import { createSlackHandlers } from './slack/listeners/handlers.js';
import { MemoryReplayGuard, RedisReplayGuard } from './slack/replay-guard.js';
import { SlackChat } from './slack/slack-chat.js';
import { SlackPeopleDirectory } from './slack/slack-people.js';
import { SlackUserGroupResolver } from './slack/slack-user-group-resolver.js';
import { WebSlackNotifier } from './slack/web-slack-notifier.js';
import { createWorkflow } from './workflow/workflow.js';
import type { FlowTuning } from './workflow/workflow-deps.js';

/**
 * The composition root of the bot: the one place that builds its adapters (Redis or the embedded store, Slack's Web
 * API client, AWS clients) from a validated config and wires them into the flow and the Slack app. The `serve`
 * command (src/cli/commands/serve.ts) and the playground's local stack call it.
 */

/** A running bot, as `serve` and the playground hold it. */
export interface RunningBot {
  url: string;
  /** Where /metrics is served when METRICS_PORT is set (otherwise it is under `url`). */
  metricsUrl?: string;
  /** Stops taking requests, lets runs finish for up to `graceMs`, stops the rest, then closes everything. */
  stop(graceMs?: number): Promise<void>;
}

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
  options: {
    host?: string;
    redisKeyPrefix?: string;
    tuning?: FlowTuning;
    engine?: EngineTuning;
    /** Where the config was read from, to reload it on change; without it the policy stays as given. */
    reload?: Omit<StartupConfig, 'config'>;
  } = {},
): Promise<RunningBot> {
  if (config.slack.mode === 'none') throw new Error('Slack settings are required to start the bot');
  // Before anything can post, upload, audit or log output: the config file's own secret rules apply everywhere.
  useExtraRules(config.policy.redaction.rules);
  const replicaId = `${hostname()}-${randomUUID().slice(0, 6)}`;

  let redis: RedisClient | undefined;
  let store: ApprovalStore;
  let runSignals: RunSignals;
  /** Set only where a stored claim cannot be forgotten (see WorkflowDeps.startOrphansAfterMs). */
  let startOrphansAfterMs: number | undefined;
  // Every failed Web API call is shown to the identity cache, so a revoked token is noticed whoever met it first.
  let identity: BotIdentityCache | undefined;
  const client = new ObservedWebClient(
    config.slack.botToken,
    slackClientOptions(config.slack.apiUrl, logger),
    (error) => identity?.observe(error),
  );
  identity = createBotIdentityCache({ client, botToken: config.slack.botToken, clock: systemClock, logger });
  const botIdentity = identity;
  // Asked once now, not before every request; a Slack that does not answer yet must not keep the bot from starting.
  botIdentity.refresh().catch((error: unknown) => logger.warn({ err: error }, 'could not ask Slack who the bot is'));
  const notifier = new WebSlackNotifier(client, { logger });
  const auditChannel = config.policy.audit.channel
    ? createAuditChannelSink(notifier, config.policy.audit.channel, logger)
    : undefined;
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const botMetrics = createBotMetrics(metrics);
  const reloader = options.reload
    ? startConfigReloader({
        source: options.reload.source,
        initial: { config, snapshot: options.reload.snapshot },
        intervalMs: options.reload.reloadIntervalMs,
        logger,
        registry: metrics,
        announce: (text) => {
          const channel = config.policy.audit.channel;
          if (!channel) return;
          notifier.postMessage(channel, { text }).catch((error: unknown) => {
            logger.warn({ err: error }, 'could not tell the audit channel about a config reload');
          });
        },
      })
    : undefined;
  const auditSink = (entry: AuditEntry): void => {
    logger.info({ audit: entry }, 'audit');
    botMetrics.audited(entry);
    auditChannel?.(entry);
  };
  if (config.redisUrl) {
    const redisKeys = keys(options.redisKeyPrefix ?? DEFAULT_KEY_PREFIX);
    // Fail fast instead of queueing: a click must get "nothing happened, try again" within Slack's 3 s, and a
    // command resent after a reconnect must not run a transition twice (the scripts are idempotent anyway).
    redis = createRedisClient(redisConnectionSettings(config.redisUrl, env), {
      maxRetriesPerRequest: 2,
      enableOfflineQueue: false,
    });
    redis.on('error', (error) => logger.warn({ err: error.message }, 'redis connection problem'));
    await redis.connect();
    // ExecuteCommand follows a stored `dispatched`; say loudly when Redis could forget that after a crash.
    const durability = await describeRedisDurability(redis, redisKeys.auditHead);
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
      // Where Redis has replicas, a claim counts only once one of them holds it too (WAIT), so a failover to that
      // replica cannot forget that a command already started. Checked at each claim: replicas come and go.
      dispatchReplicas: 'auto',
      ...(options.redisKeyPrefix ? { prefix: options.redisKeyPrefix } : {}),
    });
    // Pub/sub needs a connection of its own: a subscribed connection can do nothing else.
    const subscriber = redis.duplicate();
    subscriber.on('error', (error) => logger.warn({ err: error.message }, 'redis subscriber connection problem'));
    await subscriber.connect();
    const redisSignals = new RedisRunSignals(redis, subscriber, redisKeys.runSignals);
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

  // One budget for the whole process, reported on /metrics, so a queue building up is visible before it refuses.
  const budget = new ApiBudget(
    systemClock,
    options.engine?.budget?.rates ?? DEFAULT_BUDGET,
    options.engine?.budget?.maxWaitMs,
    botMetrics.ecsBudget,
  );
  const awsFactory = createAwsClientFactory({ env, budget });
  const flow = createWorkflow({
    config: reloader?.policy ?? fixedPolicy(config.policy, config.policyVersion, config.configPath),
    store,
    chat: new SlackChat(notifier, { clock: systemClock, logger }),
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
      authorize: botIdentity.authorize,
      replayGuard: redis
        ? new RedisReplayGuard(redis, keys(options.redisKeyPrefix ?? DEFAULT_KEY_PREFIX).replay)
        : new MemoryReplayGuard(systemClock),
    },
    createSlackHandlers(flow, notifier, logger),
    logger,
    botMetrics,
  );

  const readiness: ReadinessCheck[] = [
    {
      name: 'slack',
      // The probe is also what keeps the cached identity current.
      check: async () => {
        await botIdentity.refresh();
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
    // With METRICS_PORT, the port Slack reaches (often public) does not also expose the bot's internals.
    ...(config.metricsPort === undefined ? { metrics } : {}),
    logger,
  });
  const metricsServer =
    config.metricsPort === undefined
      ? undefined
      : await startBotHttpServer({
          ...(options.host ? { host: options.host } : {}),
          port: config.metricsPort,
          metrics,
          logger,
        }).catch(async (error: unknown) => {
          await server.close();
          throw error;
        });
  await slack.start();
  logger.info(
    {
      url: server.url,
      ...(metricsServer ? { metricsUrl: `${metricsServer.url}/metrics` } : {}),
      mode: slack.mode,
      store: redis ? 'redis' : 'embedded',
      replicaId,
    },
    'ecs-exec bot started',
  );

  return {
    url: server.url,
    ...(metricsServer ? { metricsUrl: `${metricsServer.url}/metrics` } : {}),
    async stop(graceMs = 0) {
      // New work stops first (the socket, then the HTTP server); runs in progress keep their Slack and AWS clients.
      reloader?.stop();
      await slack.stop();
      await server.close();
      await metricsServer?.close();
      await flow.close(graceMs);
      await runSignals.close();
      awsFactory.destroy();
      redis?.disconnect();
    },
  };
}
