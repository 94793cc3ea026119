import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type Delivery, SlackUserActions } from '../../../src/sandbox/slack/slack-actions.js';
import type { FlowTuning } from '../../../src/workflow/workflow-deps.js';
import type { FlowFixture } from './flow-fixture.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A second bot replica in a process of its own, sharing the fixture's Slack stand-in, sandbox and Redis. */
export interface ReplicaProcess {
  child: ChildProcess;
  url: string;
  /** Its JSON log lines so far. */
  logs: string[];
  /** Types `/ecs-exec <text>` so that Slack delivers it to this replica. */
  slash(user: string, channel: string, text: string): Promise<Delivery>;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

// The child builds the bot exactly as `serve` does (startBotWith), from the settings the parent passes in.
const ENTRY = `
const { loadConfig } = await import('./src/config/load-config.ts');
const { startBotWith } = await import('./src/main.ts');
const { createLogger } = await import('./src/output/redacting-logger.ts');
const input = JSON.parse(process.env.REPLICA_INPUT);
const logger = createLogger({ level: 'info', destination: process.stdout });
const config = loadConfig(input.env, () => input.configYaml);
const bot = await startBotWith(config, input.env, logger, {
  host: '127.0.0.1', redisKeyPrefix: input.prefix, tuning: input.tuning,
});
process.stdout.write(JSON.stringify({ replicaUrl: bot.url }) + '\\n');
`;

/** Starts a replica process next to the fixture's in-process bot and waits until it serves. */
export async function spawnReplica(
  fixture: FlowFixture,
  settings: { configYaml: string; redisUrl: string; prefix: string; tuning: FlowTuning },
): Promise<ReplicaProcess> {
  const { stack } = fixture;
  const env = {
    ...stack.sandbox.env,
    SLACK_BOT_TOKEN: stack.slack.botToken,
    SLACK_SIGNING_SECRET: stack.signingSecret,
    SLACK_API_URL: stack.slack.apiUrl,
    PORT: '0',
    ECS_EXEC_CONFIG: 'ecs-exec.yml',
    LOG_LEVEL: 'info',
    REDIS_URL: settings.redisUrl,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ENTRY], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      REPLICA_INPUT: JSON.stringify({ env, ...settings }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    logs.push(...lines);
  });
  child.stderr?.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let url = '';
  await expect
    .poll(
      () => {
        const line = logs.find((entry) => entry.includes('"replicaUrl"'));
        if (line) url = (JSON.parse(line) as { replicaUrl: string }).replicaUrl;
        return url !== '' || child.exitCode !== null;
      },
      { timeout: 20_000, interval: 50 },
    )
    .toBe(true);
  if (!url) throw new Error(`the replica process did not start:\n${logs.join('\n')}`);
  const actions = new SlackUserActions(stack.slack, {
    kind: 'http',
    url: `${url}/slack/events`,
    signingSecret: stack.signingSecret,
  });
  return {
    child,
    url,
    logs,
    slash: (user, channel, text) => actions.slashCommand({ user, channel, text }),
    exited,
  };
}
