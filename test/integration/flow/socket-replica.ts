import { Writable } from 'node:stream';
import { loadConfig } from '../../../src/config/load-config.js';
import { type RunningBot, startBotWith } from '../../../src/main.js';
import { createLogger } from '../../../src/output/redacting-logger.js';
import { FLOW_CONFIG, type FlowFixture } from './flow-fixture.js';

/** Another replica of the bot in this process, reaching the fixture's Slack stand-in over Socket Mode. */
export interface SocketReplica {
  /** Resolves once the replica has a Socket Mode connection (it waits for one as `serve` does). */
  started: Promise<RunningBot>;
  /** Its JSON log lines so far. */
  lines: string[];
}

export function startSocketReplica(
  fixture: FlowFixture,
  settings: { redisUrl: string; prefix: string },
): SocketReplica {
  const { slack, sandbox } = fixture.stack;
  const lines: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    }),
  });
  const env = {
    ...sandbox.env,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_APP_TOKEN: slack.appToken,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    ECS_EXEC_CONFIG: 'ecs-exec.yml',
    REDIS_URL: settings.redisUrl,
  };
  const started = startBotWith(
    loadConfig(env, () => FLOW_CONFIG),
    env,
    logger,
    {
      host: '127.0.0.1',
      redisKeyPrefix: settings.prefix,
      tuning: { liveTailIntervalMs: 1_000, liveTailDelayMs: 300, expirySweepIntervalMs: 0 },
    },
  );
  return { started, lines };
}
