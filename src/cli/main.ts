import { readFileSync } from 'node:fs';
import type { CliCommand, CliIo } from './io.js';
import { EXIT } from './io.js';

/**
 * Sub-commands, loaded lazily so `ecs-exec exec` does not pay for Bolt and `serve` does not pay for the sandbox.
 * The help text lists exactly these, so it never advertises something that does not work.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<CliCommand> }> = {
  serve: { summary: 'run the Slack bot', load: async () => (await import('./commands/serve.js')).serveCommand },
  audit: {
    summary: 'verify the hash-chained audit log in Redis, or export it as JSON lines',
    load: async () => (await import('./commands/audit.js')).auditCommand,
  },
  redis: {
    summary: "copy the bot's Redis keys from an older key prefix (migrate-keys)",
    load: async () => (await import('./commands/redis.js')).redisCommand,
  },
  exec: {
    summary: 'run a command (or a shell) in an ECS container and exit with its exit code',
    load: async () => (await import('./commands/exec.js')).execCommand,
  },
  doctor: {
    summary: 'check what ECS Exec needs for a service and say what to fix',
    load: async () => (await import('./commands/doctor.js')).doctorCommand,
  },
  sandbox: {
    summary: 'run a local ECS Exec emulator and print the variables that point at it',
    load: async () => (await import('./commands/sandbox.js')).sandboxCommand,
  },
  policy: {
    summary: 'check a config file, or explain the decision for a request',
    load: async () => (await import('./commands/policy.js')).policyCommand,
  },
  'iam-policy': {
    summary: "print the least-privilege IAM policies for a config file (the bot's role, per-cluster roles)",
    load: async () => (await import('./commands/iam-policy.js')).iamPolicyCommand,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return (
    `Usage: ecs-exec <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n` +
    'Run "ecs-exec <command> --help" for a command\'s options, "ecs-exec --version" for the version.\n'
  );
}

/** The package version; package.json sits two levels above both src/cli/ and dist/cli/. */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** Runs the CLI with the given arguments and I/O; returns the exit code instead of exiting, for tests. */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout.write(`ecs-exec ${cliVersion()}\n`);
    return EXIT.ok;
  }
  const helpFor = name === 'help' && rest[0] !== undefined ? COMMANDS[rest[0]] : undefined;
  if (helpFor) return await (await helpFor.load())(['--help'], io);
  if (name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return EXIT.ok;
  }
  if (name === undefined) {
    io.stderr.write(usage());
    return EXIT.usage;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr.write(`ecs-exec: unknown command "${name}".\n\n${usage()}`);
    return EXIT.usage;
  }
  const command = await entry.load();
  return await command(rest, io);
}

/** Process entry point used by bin/ecs-exec.js. */
export async function main(argv: string[]): Promise<void> {
  // The SDK warns on every run under Node 20 about SDK releases due in 2027. The lockfile pins the SDK, so the
  // notice is for maintainers, not for each on-call command; an explicit setting still wins.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    signals += 1;
    // A second signal means "stop waiting for the remote side": leave at once, with the code of the first.
    if (signals > 1) process.exit(controller.signal.reason === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted);
    controller.abort(signal);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    signal: controller.signal,
  };
  try {
    const code = await runCli(argv, io);
    // `serve` resolves only once it has shut down (or failed to start), so its code is final too.
    process.exitCode = code;
  } catch (error) {
    process.stderr.write(`ecs-exec: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.couldNotStart;
  }
}
