import { PassThrough, type Writable } from 'node:stream';
import type { FlowTuning } from '../workflow/workflow-deps.js';
import { PlaygroundError } from './errors.js';
import { LocalStack } from './local-stack.js';
import { type PlaygroundServer, startPlaygroundServer } from './playground-server.js';
import {
  DEFAULT_PLAYGROUND_PORT,
  PLAYGROUND_CHANNEL,
  PLAYGROUND_HOST,
  PLAYGROUND_PEOPLE,
  PLAYGROUND_USERGROUPS,
  playgroundUsers,
} from './workspace-seed.js';

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
