import { parseArgs } from 'node:util';
import { createAwsClientFactory } from '../../ecs/aws-client-factory.js';
import { clusterFromFlags } from '../../ecs/cluster-settings.js';
import { AmbiguousContainerError, ContainerNotFoundError } from '../../ecs/errors.js';
import { type ExecRunResult, runInContainer } from '../../ecs/exec-runner.js';
import { targetFromFlags } from '../../ecs/resolve-target.js';
import { isBotError, toUserMessage } from '../../errors.js';
import { parseDuration } from '../../shared/duration.js';
import { AwsKms } from '../../ssm/aws-kms.js';
import { AwsSsmControl } from '../../ssm/aws-ssm-control.js';
import { quoteWord } from '../../ssm/exit-code.js';
import type { CliCommand } from '../io.js';
import { EXIT_COULD_NOT_RUN } from '../io.js';

/** Exit codes for runs that did not end with the remote command's own code (timeout(1) and shell conventions). */
export const EXEC_EXIT = { timedOut: 124, cancelled: 130, interrupted: EXIT_COULD_NOT_RUN } as const;

const USAGE = `Usage: ecs-exec exec --cluster C (--service S | --task T) [--container N] [--timeout D] [--region R] [--no-wrap] -- CMD ...

Runs one command in an ECS container through ECS Exec and prints exactly its output on stdout.

  --cluster C     config alias (ECS_EXEC_CONFIG or ./ecs-exec.yml), else the cluster's name or ARN
  --service S     run in the newest RUNNING task of S whose exec agent is RUNNING
  --task T        run in this task (32-hex id, or a task ARN, which also names the cluster)
  --container N   container name (default: the only one, or the one the config names)
  --timeout D     give up after D (e.g. 30s, 5m); the remote command is interrupted
  --region R      AWS region (default: the config's, then AWS_REGION)
  --no-wrap       run CMD as given, without the shell wrapper that reports the exit code

One argument after -- is shell text ('echo a; exit 3'); several are passed as separate words.
Exit status: the command's own; 124 timed out; 130 cancelled; 255 could not run or the session broke.
AWS_ENDPOINT_URL_ECS/_SSM/_KMS/_STS and the usual AWS variables choose where it connects.
`;

/** Joins argv for a POSIX shell (and the agent's shell-like splitting) so each word stays one word. */
export function shellJoin(words: readonly string[]): string {
  return words.map(quoteWord).join(' ');
}

/** The exit status for a finished run: the remote code when known, else the conventions above. */
export function exitStatusFor(result: Pick<ExecRunResult, 'outcome' | 'exitCode'>): number {
  switch (result.outcome) {
    case 'completed':
      return result.exitCode ?? 0;
    case 'timed_out':
      return EXEC_EXIT.timedOut;
    case 'cancelled':
      return EXEC_EXIT.cancelled;
    default:
      return EXEC_EXIT.interrupted;
  }
}

class UsageError extends Error {}

interface ExecArgs {
  cluster: string;
  service?: string;
  task?: string;
  container?: string;
  timeoutMs?: number;
  region?: string;
  noWrap: boolean;
  command: string;
}

function parseExecArgs(args: string[]): ExecArgs | 'help' {
  const separator = args.indexOf('--');
  const flags = separator === -1 ? args : args.slice(0, separator);
  const words = separator === -1 ? [] : args.slice(separator + 1);
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(flags);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length > 0)
    throw new UsageError(`put the command after --: ecs-exec exec ... -- ${positionals.join(' ')}`);
  // A task ARN names its cluster itself.
  if (!values.cluster && !values.task?.startsWith('arn:')) throw new UsageError('--cluster is required');
  if ((values.service === undefined) === (values.task === undefined)) {
    throw new UsageError('give exactly one of --service or --task');
  }
  if (words.length === 0 || words.every((w) => w.trim() === '')) {
    throw new UsageError('the command is missing: put it after --');
  }
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    timeoutMs = parseDuration(values.timeout);
    if (timeoutMs === undefined || timeoutMs <= 0) {
      throw new UsageError(`--timeout "${values.timeout}" is not a duration (write 30s, 5m or 1h)`);
    }
  }
  return {
    cluster: values.cluster ?? '',
    ...(values.service !== undefined ? { service: values.service } : {}),
    ...(values.task !== undefined ? { task: values.task } : {}),
    ...(values.container !== undefined ? { container: values.container } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
    noWrap: values['no-wrap'] === true,
    command: words.length === 1 ? (words[0] ?? '') : shellJoin(words),
  };
}

function parseFlags(flags: string[]) {
  return parseArgs({
    args: flags,
    allowPositionals: true,
    strict: true,
    options: {
      cluster: { type: 'string' },
      service: { type: 'string' },
      task: { type: 'string' },
      container: { type: 'string' },
      timeout: { type: 'string' },
      region: { type: 'string' },
      'no-wrap': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/**
 * `ecs-exec exec`: stdout carries the remote output and nothing else; every message of ours goes to stderr, so the
 * command composes in pipes like the remote program would.
 */
export const execCommand: CliCommand = async (args, io) => {
  let parsed: ExecArgs | 'help';
  try {
    parsed = parseExecArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`ecs-exec exec: ${error.message}\n\n${USAGE}`);
    return EXIT_COULD_NOT_RUN;
  }
  if (parsed === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }

  const factory = createAwsClientFactory({ env: io.env });
  try {
    const target = targetFromFlags(parsed);
    const cluster = clusterFromFlags(target, parsed.region, io.env);
    const clients = factory.clientsFor(cluster, { userId: io.env['USER'] ?? 'unknown', via: 'cli' });
    const result = await runInContainer(
      {
        ecs: clients.ecs,
        control: new AwsSsmControl(clients.ssm),
        kms: new AwsKms(clients.kms),
      },
      {
        target,
        cluster,
        command: parsed.command,
        noWrap: parsed.noWrap,
        ...(parsed.timeoutMs !== undefined ? { timeoutMs: parsed.timeoutMs } : {}),
        // The session may reuse the chunk's memory once this returns, and stdout may still hold it: copy.
        onOutput: (chunk) => {
          io.stdout.write(Buffer.from(chunk));
        },
        signal: io.signal,
      },
    );
    await drain(io.stdout);
    const status = exitStatusFor(result);
    if (result.outcome !== 'completed') {
      io.stderr.write(`ecs-exec: ${describeOutcome(result)}\n`);
    } else if (result.exitCode === null) {
      const why =
        parsed.noWrap || cluster.shell === 'none' ? 'it ran without the shell wrapper' : 'no exit status came back';
      io.stderr.write(`ecs-exec: the command finished; its exit code is unknown (${why})\n`);
    }
    return status;
  } catch (error) {
    if (io.signal.aborted && !isBotError(error)) {
      io.stderr.write('ecs-exec: cancelled before the command started; nothing ran\n');
      return EXEC_EXIT.cancelled;
    }
    // No bot logs behind a CLI: an unexpected error is shown as it is.
    io.stderr.write(
      `ecs-exec: ${isBotError(error) || !(error instanceof Error) ? toUserMessage(error) : error.message}\n`,
    );
    if (error instanceof AmbiguousContainerError || error instanceof ContainerNotFoundError) {
      io.stderr.write(`Containers:\n${error.choices.map((name) => `  ${name}`).join('\n')}\n`);
    }
    return EXIT_COULD_NOT_RUN;
  } finally {
    factory.destroy();
  }
};

function describeOutcome(result: ExecRunResult): string {
  const reason = result.reason ? `: ${result.reason}` : '';
  switch (result.outcome) {
    case 'timed_out':
      return `timed out${reason}; the command was interrupted`;
    case 'cancelled':
      return `cancelled${reason}`;
    case 'interrupted':
      return `the session broke off${reason}; the command may still be running in the task`;
    default:
      return `the session failed${reason}`;
  }
}

function drain(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write('')) resolve();
    else stream.once('drain', () => resolve());
  });
}
