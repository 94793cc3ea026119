import { createLogger } from '../../shared/logger.js';
import type { CliCommand } from '../io.js';
import { EXIT_COULD_NOT_RUN } from '../io.js';

const USAGE = `Usage: ecs-exec sandbox [--port N] [--host ADDR] [--seed FILE]

A local ECS Exec emulator: the ECS, STS, KMS and SSM API subset the product uses, plus the data channel, running
commands as local processes on a pseudo-terminal. Prints the variables that point the bot and the CLI at it, then
runs until Ctrl-C.

  --port N      port to listen on (default: a free one)
  --host ADDR   address to bind (default 127.0.0.1; the sandbox runs commands for whoever can reach it)
  --seed FILE   YAML or JSON seed (clusters, services, tasks, kmsKeys, roles); default: the demo cluster
`;

interface SandboxArgs {
  port: number;
  host: string;
  seed: string | undefined;
}

function parseArgs(args: string[]): SandboxArgs | string {
  const parsed: SandboxArgs = { port: 0, host: '127.0.0.1', seed: undefined };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = (): string | undefined => {
      if (inline !== undefined) return inline;
      i += 1;
      return args[i];
    };
    if (flag === '--port') {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65_535) return '--port needs a number from 0 to 65535.';
      parsed.port = port;
    } else if (flag === '--host') {
      const host = value();
      if (!host) return '--host needs an address.';
      parsed.host = host;
    } else if (flag === '--seed') {
      const seed = value();
      if (!seed) return '--seed needs a file path.';
      parsed.seed = seed;
    } else {
      return `unknown option "${arg}".`;
    }
  }
  return parsed;
}

/** `ecs-exec sandbox`: starts the emulator, prints `export` lines for its variables, runs until interrupted. */
export const sandboxCommand: CliCommand = async (args, io) => {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(USAGE);
    return 0;
  }
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.stderr.write(`ecs-exec sandbox: ${parsed}\n\n${USAGE}`);
    return EXIT_COULD_NOT_RUN;
  }
  const { startSandbox } = await import('../../sandbox/index.js');
  const { loadSeedFile } = await import('../../sandbox/state/seed-file.js');
  const { toUserMessage } = await import('../../errors.js');
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  try {
    const seed = parsed.seed === undefined ? undefined : await loadSeedFile(parsed.seed);
    sandbox = await startSandbox({
      port: parsed.port,
      host: parsed.host,
      ...(seed ? { seed } : {}),
      // Warnings (such as output still unacknowledged when a session had to close) go to stderr as JSON lines.
      logger: createLogger({ level: 'warn', destination: io.stderr }),
    });
  } catch (error) {
    io.stderr.write(`ecs-exec sandbox: ${toUserMessage(error)}\n`);
    return EXIT_COULD_NOT_RUN;
  }
  const clusters = sandbox.state.listClusters(sandbox.state.defaultAccount, sandbox.state.defaultRegion);
  io.stderr.write(
    `ECS Exec sandbox listening on ${sandbox.url} (clusters: ${clusters.map((c) => c.clusterName).join(', ') || 'none'}).\n` +
      'Point the bot or the CLI at it with:\n\n',
  );
  for (const [name, value] of Object.entries(sandbox.env)) io.stdout.write(`export ${name}=${value}\n`);
  io.stderr.write('\nPress Ctrl-C to stop.\n');
  if (!io.signal.aborted) {
    await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  await sandbox.close();
  io.stderr.write('Sandbox stopped.\n');
  return 0;
};
