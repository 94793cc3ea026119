import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { redisConnectionSettings } from '../../approval/redis-connection.js';
import { loadStartupConfig, type StartupConfig } from '../../config/config-reloader.js';
import { type Config, hasSlackSettings } from '../../config/load-config.js';
import { isBotError } from '../../errors.js';
import { createLogger } from '../../output/redacting-logger.js';
import { PlaygroundError } from '../../playground/errors.js';
import type { RunningPlayground } from '../../playground/start-playground.js';
import { DEFAULT_PLAYGROUND_PORT, PLAYGROUND_HOST, playgroundPolicy } from '../../playground/workspace-seed.js';
import { routeProcessWarningsTo } from '../../shared/process-warnings.js';
import type { CliCommand, CliIo } from '../io.js';
import { EXIT, EXIT_COULD_NOT_RUN, parseOrUsage, UsageError, usageFailure, wantsHelp } from '../io.js';

/** How long a shutdown (SIGTERM on a rolling deploy) waits for running commands before stopping them. */
const SHUTDOWN_GRACE_MS = 25_000;

/** `ecs-exec serve`: the Slack bot (built in src/main.ts), or the local playground. */
export const serveCommand: CliCommand = async (args, io) => {
  // Help first: with Slack settings present, anything else would start the bot.
  if (wantsHelp(args)) {
    io.stdout.write(SERVE_USAGE);
    return EXIT.ok;
  }
  try {
    const { port } = parseOrUsage(() => parseServeArgs(args));
    if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) > 65_535)) {
      throw new UsageError(`--port must be a port number from 0 to 65535, not "${port}"`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageFailure(io, 'ecs-exec serve', error.message, SERVE_USAGE);
  }
  return await serveBot(args, io);
};

/** `ecs-exec serve`: load the config from the environment, start, and drain on SIGTERM/SIGINT; or the playground. */
async function serveBot(args: string[], io: CliIo): Promise<number> {
  // No Slack settings at all means someone is trying the product locally: serve the playground instead of failing.
  // With any Slack setting present, or in a production image (NODE_ENV=production, where missing secrets must fail
  // loudly rather than look healthy), only --playground starts it.
  const tryingItOut = !hasSlackSettings(io.env) && io.env['NODE_ENV'] !== 'production';
  if (args.includes('--playground') || tryingItOut) {
    return await runPlayground(args, io);
  }
  let config: Config;
  let startup: StartupConfig;
  try {
    startup = await loadStartupConfig(io.env);
    config = startup.config;
    // REDIS_CLUSTER and REDIS_TLS_CA_FILE are checked now, so a mistake there is reported like any other setting.
    if (config.redisUrl) redisConnectionSettings(config.redisUrl, io.env);
  } catch (error) {
    io.stderr.write(`ecs-exec serve: ${isBotError(error) ? error.message : String(error)}\n`);
    return EXIT_COULD_NOT_RUN;
  }
  const logger = createLogger({ level: config.logLevel });
  routeProcessWarningsTo(logger);
  // Loaded only now: `serve --help` and the playground do not pay for the bot, the bot not for the playground.
  const { startBotWith } = await import('../../main.js');
  const bot = await startBotWith(config, io.env, logger, { reload: startup });
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  logger.info('shutting down: finishing runs in progress');
  await bot.stop(SHUTDOWN_GRACE_MS);
  return 0;
}

/** Usage of `ecs-exec serve`, whose flags are all the playground's. */
export const SERVE_USAGE = `Usage: ecs-exec serve [--playground] [--port N]

With no Slack settings (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN), serve starts the local
playground: a Slack-like page on http://${PLAYGROUND_HOST}:PORT/ with the bot, a Slack stand-in and an ECS Exec
sandbox that runs commands on this machine in a temporary directory. --playground forces it even when Slack
settings are present.

  --port N      the page's port (default: $PORT, else ${DEFAULT_PLAYGROUND_PORT})
  --playground  start the playground even with Slack settings

ECS_EXEC_CONFIG names your own policy file to try in the playground (default: the bundled
ecs-exec.playground.yml); REDIS_URL makes it use Redis instead of the embedded store.
`;

function parsePort(value: string, source: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) {
    throw new PlaygroundError(`${source} must be a port number from 0 to 65535, not "${value}".`);
  }
  return Number(value);
}

/** `serve`'s flags, parsed as every command's are (node:util parseArgs, strict). */
export function parseServeArgs(args: string[]): { playground?: boolean; port?: string; help?: boolean } {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: { playground: { type: 'boolean' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  }).values;
}

/** Reads `serve`'s playground flags; throws PlaygroundError for anything it does not know. */
export function parsePlaygroundArgs(
  args: readonly string[],
  env: Record<string, string | undefined>,
): { port: number; help: boolean } {
  let parsed: ReturnType<typeof parseServeArgs>;
  try {
    parsed = parseServeArgs([...args]);
  } catch (error) {
    throw new PlaygroundError(`${error instanceof Error ? error.message : String(error)}\n\n${SERVE_USAGE}`);
  }
  const help = parsed.help === true;
  const port = parsed.port === undefined ? undefined : parsePort(parsed.port, '--port');
  const fromEnv = env['PORT']?.trim();
  return { port: port ?? (fromEnv ? parsePort(fromEnv, 'PORT') : DEFAULT_PLAYGROUND_PORT), help };
}

/** `ecs-exec serve` without Slack settings (or with `--playground`): start, print one banner, run until stopped. */
export async function runPlayground(args: string[], io: CliIo): Promise<number> {
  let running: RunningPlayground;
  try {
    const { port, help } = parsePlaygroundArgs(args, io.env);
    if (help) {
      io.stdout.write(SERVE_USAGE);
      return 0;
    }
    const policy = playgroundPolicy(io.env);
    const redisUrl = io.env['REDIS_URL']?.trim();
    const { startPlayground } = await import('../../playground/start-playground.js');
    running = await startPlayground({
      configYaml: policy.text,
      policyName: policy.bundled ? 'ecs-exec.playground.yml' : policy.path,
      port,
      ...(redisUrl ? { redisUrl, redisKeyPrefix: 'ecs-exec-playground:' } : {}),
      logDestination: io.stderr as Writable,
      logLevel: io.env['LOG_LEVEL']?.trim() || 'error',
    });
    const store = redisUrl ? 'Redis (REDIS_URL)' : 'embedded, in memory';
    io.stdout.write(
      [
        '',
        `  ecs-exec playground: ${running.url}`,
        '',
        '  No Slack settings found, so this is the local playground: the bot, a Slack stand-in and an ECS Exec',
        '  sandbox (cluster demo, services web and worker) whose commands run on this machine in a temporary',
        `  directory. Policy: ${policy.bundled ? 'ecs-exec.playground.yml (bundled)' : policy.path}. Store: ${store}.`,
        `  Listening on ${PLAYGROUND_HOST} only. Ctrl-C stops it.`,
        '',
        '',
      ].join('\n'),
    );
  } catch (error) {
    const message = isBotError(error) || error instanceof Error ? error.message : String(error);
    io.stderr.write(`ecs-exec serve: ${message}\n`);
    return EXIT_COULD_NOT_RUN;
  }
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await running.stop();
  return 0;
}
