import { randomBytes } from 'node:crypto';
import { PassThrough, type Writable } from 'node:stream';
import { loadConfig } from '../config/load-config.js';
import { type RunningBot, startBotWith } from '../main.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { type Sandbox, type SandboxOptions, startSandbox } from './index.js';
import {
  type BotResponse,
  blockActionsPayload,
  interactionBody,
  postToBot,
  type SlackStandIn,
  type SlackStandInOptions,
  slashCommandBody,
  startSlackStandIn,
  viewSubmissionPayload,
} from './slack/index.js';
import type { JsonObject, StoredMessage } from './slack/types.js';

export interface LocalStackOptions {
  /** The policy file's text (YAML). */
  configYaml: string;
  /** Redis for the bot; unset: the embedded store. */
  redisUrl?: string;
  /** Key prefix in Redis, so several stacks can share one server. */
  redisKeyPrefix?: string;
  slack?: SlackStandInOptions;
  sandbox?: SandboxOptions;
  /** Where the bot's JSON log lines go (default: nowhere). */
  logDestination?: Writable;
  logLevel?: string;
  /** Host and port of the bot's HTTP server (default 127.0.0.1, a free port). */
  host?: string;
  port?: number;
  /** Extra settings for the flow (live-tail pace, expiry sweep). */
  liveTailIntervalMs?: number;
  expirySweepIntervalMs?: number;
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
  ) {}

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const botToken = `xoxb-local-${randomBytes(12).toString('hex')}`;
    const signingSecret = randomBytes(24).toString('hex');
    const slack = await startSlackStandIn({ botToken, ...options.slack });
    let sandbox: Sandbox | undefined;
    try {
      sandbox = await startSandbox(options.sandbox ?? {});
      const env: Record<string, string | undefined> = {
        ...sandbox.env,
        SLACK_BOT_TOKEN: botToken,
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_API_URL: slack.apiUrl,
        PORT: String(options.port ?? 0),
        ECS_EXEC_CONFIG: 'ecs-exec.yml',
        LOG_LEVEL: options.logLevel ?? 'info',
        ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
      };
      const config = loadConfig(env, () => options.configYaml);
      const logger = createLogger({
        level: config.logLevel,
        destination: options.logDestination ?? new PassThrough().resume(),
      });
      const bot = await startBotWith(config, env, logger, {
        host: options.host ?? '127.0.0.1',
        ...(options.redisKeyPrefix ? { redisKeyPrefix: options.redisKeyPrefix } : {}),
        ...(options.liveTailIntervalMs !== undefined ? { liveTailIntervalMs: options.liveTailIntervalMs } : {}),
        ...(options.expirySweepIntervalMs !== undefined
          ? { expirySweepIntervalMs: options.expirySweepIntervalMs }
          : {}),
      });
      return new LocalStack(slack, sandbox, bot, signingSecret, logger);
    } catch (error) {
      await sandbox?.close();
      await slack.close();
      throw error;
    }
  }

  private get eventsUrl(): string {
    return `${this.bot.url}/slack/events`;
  }

  /** Types `/ecs-exec <text>` as `user` in `channel`; returns the bot's HTTP answer (the ack). */
  async slash(user: string, channel: string, text: string): Promise<BotResponse> {
    const body = slashCommandBody({
      channel_id: channel,
      user_id: user,
      user_name: this.slack.workspace.users.get(user)?.name ?? user,
      text,
      response_url: this.slack.createResponseUrl({ channel, user }),
      trigger_id: this.slack.createTriggerId(user),
    });
    return await postToBot(this.eventsUrl, this.signingSecret, body);
  }

  /** Clicks the button `actionId` on a stored message as `user`. */
  async click(user: string, message: StoredMessage, actionId: string): Promise<BotResponse> {
    const payload = blockActionsPayload({
      user: { id: user, name: this.slack.workspace.users.get(user)?.name ?? user },
      channel: { id: message.channel },
      message: { ts: message.ts, thread_ts: message.thread_ts, text: message.text, blocks: message.blocks },
      action: { action_id: actionId },
      responseUrl: this.slack.createResponseUrl({ channel: message.channel, user, message_ts: message.ts }),
      triggerId: this.slack.createTriggerId(user),
    });
    return await postToBot(this.eventsUrl, this.signingSecret, interactionBody(payload));
  }

  /** Submits the open modal `viewId` as `user` with values by block id (action id `value`). */
  async submitView(user: string, viewId: string, values: Record<string, string>): Promise<BotResponse> {
    const view = this.slack.views({ user }).find((candidate) => candidate.id === viewId);
    if (!view) throw new Error(`no view ${viewId} for ${user}`);
    const payload = viewSubmissionPayload({
      user: { id: user },
      view: view.view as JsonObject,
      values: Object.fromEntries(Object.entries(values).map(([blockId, value]) => [blockId, { value }])),
      triggerId: this.slack.createTriggerId(user),
    });
    return await postToBot(this.eventsUrl, this.signingSecret, interactionBody(payload));
  }

  async stop(): Promise<void> {
    await this.bot.stop();
    await this.sandbox.close();
    await this.slack.close();
  }
}
