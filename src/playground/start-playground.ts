import { PassThrough, type Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { type CliIo, EXIT_COULD_NOT_RUN } from '../cli/io.js';
import { isBotError } from '../errors.js';
import { LocalStack } from '../sandbox/local-stack.js';
import type { FlowTuning } from '../slack/flow/flow-deps.js';
import { PlaygroundError } from './errors.js';
import { type PlaygroundServer, startPlaygroundServer } from './playground-server.js';
import {
  PLAYGROUND_CHANNEL,
  PLAYGROUND_PEOPLE,
  PLAYGROUND_USERGROUPS,
  playgroundPolicy,
  playgroundUsers,
} from './workspace-seed.js';

/** The playground only ever listens here: the sandbox runs commands on this machine for whoever reaches it. */
export const PLAYGROUND_HOST = '127.0.0.1';
export const DEFAULT_PLAYGROUND_PORT = 3000;

export interface PlaygroundOptions {
  /** The policy (YAML text) and the name the page shows for it. */
  configYaml: string;
  policyName: string;
  /** Port of the page; 0 picks a free one. */
  port: number;
  /** Redis for approvals and audit; unset: the embedded store. */
  redisUrl?: string;
  redisKeyPrefix?: string;
  logDestination?: Writable;
  logLevel?: string;
  /** The flow's pacing, over the playground's own (tests shorten the sweep that sends reminders). */
  tuning?: FlowTuning;
}

/** A running playground: the page's URL and the whole stack behind it. */
export interface RunningPlayground {
  url: string;
  stack: LocalStack;
  stop(): Promise<void>;
}

/**
 * Starts the whole product on this machine: the page server first (so a taken port fails before anything else
 * starts), then the Slack stand-in, the ECS Exec sandbox and the real bot between them.
 */
export async function startPlayground(options: PlaygroundOptions): Promise<RunningPlayground> {
  let server: PlaygroundServer | undefined;
  let stack: LocalStack | undefined;
  // The page server needs the stack, the stack is slow to start: reserve the port with a placeholder first.
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new PlaygroundError(portInUse(options.port))
          : error.code === 'EACCES'
            ? new PlaygroundError(`Port ${options.port} needs privileges. ${choosePort(DEFAULT_PLAYGROUND_PORT)}`)
            : error,
      ),
    );
    probe.listen(options.port, PLAYGROUND_HOST, () => resolve());
  });
  const reserved = (probe.address() as { port: number }).port;
  try {
    stack = await LocalStack.start({
      configYaml: options.configYaml,
      ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
      ...(options.redisKeyPrefix ? { redisKeyPrefix: options.redisKeyPrefix } : {}),
      logDestination: options.logDestination ?? new PassThrough().resume(),
      logLevel: options.logLevel ?? 'error',
      host: PLAYGROUND_HOST,
      port: 0,
      // As fast as the live tail goes: the stand-in has no rate limit, and the updater slows anything under a second
      // to one update a second, Slack's chat.update pace.
      // Reminders and expiry are looked for every 5 s, so a short remindAfter shows up promptly.
      tuning: { liveTailIntervalMs: 500, expirySweepIntervalMs: 5_000, ...options.tuning },
      slack: {
        users: playgroundUsers(),
        usergroups: [...PLAYGROUND_USERGROUPS],
        channels: [PLAYGROUND_CHANNEL],
      },
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    server = await startPlaygroundServer({
      standIn: stack.slack,
      actions: stack.actions,
      channel: PLAYGROUND_CHANNEL,
      people: PLAYGROUND_PEOPLE,
      policyName: options.policyName,
      botUrl: stack.bot.url,
      host: PLAYGROUND_HOST,
      port: reserved,
    });
  } catch (error) {
    if (probe.listening) probe.close();
    await stack?.stop();
    throw error;
  }
  const running = server;
  const started = stack;
  return {
    url: running.url,
    stack: started,
    async stop() {
      await running.close();
      await started.stop();
    },
  };
}

function choosePort(suggested: number): string {
  return `Choose another port with PORT=${suggested} npm start, or ecs-exec serve --playground --port ${suggested}.`;
}

function portInUse(port: number): string {
  const next = port > 0 && port < 65_535 ? port + 1 : DEFAULT_PLAYGROUND_PORT + 1;
  return `Port ${port} on ${PLAYGROUND_HOST} is already in use (another playground or server?). ${choosePort(next)}`;
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
