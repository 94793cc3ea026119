import { parseArgs } from 'node:util';
import { createLogger } from '../../output/redacting-logger.js';
import type { CliCommand } from '../io.js';
import { EXIT, EXIT_COULD_NOT_RUN, parseOrUsage, UsageError, usageFailure, wantsHelp } from '../io.js';

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

function parseSandboxArgs(args: string[]): SandboxArgs {
  const { values } = parseOrUsage(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: { port: { type: 'string' }, host: { type: 'string' }, seed: { type: 'string' } },
    }),
  );
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '0') || port > 65_535)
    throw new UsageError('--port needs a number from 0 to 65535.');
  if (values.host === '') throw new UsageError('--host needs an address.');
  if (values.seed === '') throw new UsageError('--seed needs a file path.');
  return { port, host: values.host ?? '127.0.0.1', seed: values.seed };
}

/** `ecs-exec sandbox`: starts the emulator, prints `export` lines for its variables, runs until interrupted. */
export const sandboxCommand: CliCommand = async (args, io) => {
  if (wantsHelp(args)) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  let parsed: SandboxArgs;
  try {
    parsed = parseSandboxArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageFailure(io, 'ecs-exec sandbox', error.message, USAGE);
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
