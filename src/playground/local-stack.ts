import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { PassThrough, type Writable } from 'node:stream';
import { loadStartupConfig, type StartupConfig } from '../config/config-reloader.js';
import { parseConfigLocation } from '../config/config-source.js';
import { loadConfig } from '../config/load-config.js';
import type { EngineTuning } from '../ecs/exec-engine.js';
import { type RunningBot, startBotWith } from '../main.js';
import { createLogger } from '../output/redacting-logger.js';
import { type Sandbox, type SandboxOptions, startSandbox } from '../sandbox/index.js';
import { type SlackStandIn, type SlackStandInOptions, startSlackStandIn } from '../sandbox/slack/index.js';
import { findElement } from '../sandbox/slack/payloads.js';
import { type Delivery, SlackUserActions } from '../sandbox/slack/slack-actions.js';
import type { StoredMessage } from '../sandbox/slack/types.js';
import type { Logger } from '../shared/logger.js';
import type { FlowTuning } from '../workflow/workflow-deps.js';

export interface LocalStackOptions {
  /** The policy file's text (YAML). */
  configYaml: string;
  /**
   * Where the bot reads it from, as ECS_EXEC_CONFIG (`ssm:/name`, `s3://bucket/key` or a file path): the text is
   * stored there first (an SSM SecureString, an S3 object in the sandbox, or the file), and the bot reloads it on
   * change every `configReload` (ECS_EXEC_CONFIG_RELOAD). Unset: the text is given to the bot directly, never reloaded.
   */
  configLocation?: string;
  configReload?: string;
  /** Slack reaches the bot over Socket Mode (the stand-in's WebSocket) instead of signed HTTP requests. */
  socketMode?: boolean;
  /** Redis for the bot; unset: the embedded store. */
  redisUrl?: string;
  /** Key prefix in Redis, so several stacks can share one server. */
  redisKeyPrefix?: string;
  /** Further Redis settings for the bot's environment (`REDIS_CLUSTER`, `REDIS_TLS_CA_FILE`). */
  redisEnv?: Record<string, string>;
  slack?: SlackStandInOptions;
  sandbox?: SandboxOptions;
  /** Where the bot's JSON log lines go (default: nowhere). */
  logDestination?: Writable;
  logLevel?: string;
  /** Host and port of the bot's HTTP server (default 127.0.0.1, a free port). */
  host?: string;
  port?: number;
  /** METRICS_PORT: serve /metrics on a port of its own (0 picks a free one). */
  metricsPort?: number;
  /** The flow's pacing (live tail, expiry sweep). */
  tuning?: FlowTuning;
  /** Data-channel watchdog periods. */
  engine?: EngineTuning;
}

/**
 * The whole product on loopback: the Slack stand-in, the ECS Exec sandbox and the real bot between them, talking
 * the real protocols (signed HTTP requests in, Web API calls out, AWS JSON and the SSM data channel to the sandbox).
 * The end-to-end tests drive it as Slack users would; the local playground serves it to a browser.
 */
export class LocalStack {
  private constructor(
    readonly slack: SlackStandIn,
    readonly sandbox: Sandbox,
    readonly bot: RunningBot,
    readonly signingSecret: string,
    readonly logger: Logger,
    socketMode: boolean,
  ) {
    this.actions = new SlackUserActions(
      slack,
      socketMode ? { kind: 'socket' } : { kind: 'http', url: `${bot.url}/slack/events`, signingSecret },
    );
  }

  /** Plays Slack's part when a person types, clicks or submits a modal. */
  readonly actions: SlackUserActions;

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const botToken = `xoxb-local-${randomBytes(12).toString('hex')}`;
    const signingSecret = randomBytes(24).toString('hex');
    const appToken = `xapp-1-local-${randomBytes(12).toString('hex')}`;
    const slack = await startSlackStandIn({ botToken, appToken, ...options.slack });
    let sandbox: Sandbox | undefined;
    const logger = createLogger({
      level: options.logLevel ?? 'info',
      destination: options.logDestination ?? new PassThrough().resume(),
    });
    try {
      sandbox = await startSandbox({ logger, ...options.sandbox });
      const env: Record<string, string | undefined> = {
        ...sandbox.env,
        SLACK_BOT_TOKEN: botToken,
        SLACK_SIGNING_SECRET: signingSecret,
        ...(options.socketMode ? { SLACK_APP_TOKEN: appToken } : {}),
        SLACK_API_URL: slack.apiUrl,
        PORT: String(options.port ?? 0),
        ...(options.metricsPort !== undefined ? { METRICS_PORT: String(options.metricsPort) } : {}),
        ECS_EXEC_CONFIG: options.configLocation ?? 'ecs-exec.yml',
        ...(options.configReload ? { ECS_EXEC_CONFIG_RELOAD: options.configReload } : {}),
        LOG_LEVEL: options.logLevel ?? 'info',
        ...(options.redisUrl ? { REDIS_URL: options.redisUrl, ...options.redisEnv } : {}),
      };
      let reload: StartupConfig | undefined;
      if (options.configLocation) {
        const location = parseConfigLocation(options.configLocation);
        if ('error' in location) throw new Error(location.error);
        if (location.kind === 'ssm') {
          sandbox.configObjects.putParameter(location.name, options.configYaml, { type: 'SecureString' });
        } else if (location.kind === 's3') {
          sandbox.configObjects.putObject(location.bucket, location.key, options.configYaml);
        } else writeFileSync(location.path, options.configYaml);
        reload = await loadStartupConfig(env);
      }
      const config = reload?.config ?? loadConfig(env, () => options.configYaml);
      const bot = await startBotWith(config, env, logger, {
        ...(reload ? { reload } : {}),
        host: options.host ?? '127.0.0.1',
        ...(options.redisKeyPrefix ? { redisKeyPrefix: options.redisKeyPrefix } : {}),
        ...(options.tuning ? { tuning: options.tuning } : {}),
        ...(options.engine ? { engine: options.engine } : {}),
      });
      if (options.socketMode) await slack.waitForSocketHello(1);
      return new LocalStack(slack, sandbox, bot, signingSecret, logger, options.socketMode === true);
    } catch (error) {
      await sandbox?.close();
      await slack.close();
      throw error;
    }
  }

  /** Types `/ecs-exec <text>` as `user` in `channel`; the ack is shown to the user as Slack would show it. */
  async slash(user: string, channel: string, text: string): Promise<Delivery> {
    return await this.actions.slashCommand({ user, channel, text });
  }

  /** Clicks the button `actionId` on a message (as the person's client shows it, which may be an older copy). */
  async click(user: string, message: StoredMessage, actionId: string): Promise<Delivery> {
    const found = findElement(message.blocks, actionId)?.element['value'];
    const value = typeof found === 'string' ? found : undefined;
    return await this.actions.clickButton({
      user,
      channel: message.channel,
      messageTs: message.ts,
      actionId,
      ...(value !== undefined ? { value } : {}),
    });
  }

  /** Submits the open modal `viewId` as `user` with values by block id (each field's action id is `value`). */
  async submitView(user: string, viewId: string, values: Record<string, string>): Promise<Delivery> {
    const byBlock = Object.fromEntries(Object.entries(values).map(([blockId, value]) => [blockId, { value }]));
    return await this.actions.submitView({ user, viewId, values: byBlock });
  }

  async stop(): Promise<void> {
    await this.bot.stop();
    await this.sandbox.close();
    await this.slack.close();
  }
}
