import { parseArgs } from 'node:util';
import { createAwsClientFactory } from '../../ecs/aws-client-factory.js';
import { resolveAwsSettings } from '../../ecs/aws-settings.js';
import { AmbiguousContainerError, ContainerNotFoundError } from '../../ecs/errors.js';
import { type ExecRunResult, runInContainer } from '../../ecs/exec-runner.js';
import type { PrecheckedTarget } from '../../ecs/resolve-target.js';
import { targetFromFlags } from '../../ecs/resolve-target.js';
import { isBotError } from '../../errors.js';
import { shellJoin } from '../../shared/shell-quote.js';
import { AwsKms } from '../../ssm/aws-kms.js';
import { AwsSsmControl } from '../../ssm/aws-ssm-control.js';
import type { SessionControl } from '../../ssm/exec-session.js';
import { AWS_USAGE, exitCodeForStartFailure, startFailureText } from '../aws-options.js';
import { clusterFromFlags } from '../cluster-from-flags.js';
import type { CliCommand, CliIo } from '../io.js';
import {
  cancelledExitCode,
  EXIT,
  parseOrUsage,
  splitAtDoubleDash,
  UsageError,
  usageFailure,
  wantsHelp,
} from '../io.js';
import { createCrlfToLf } from '../line-endings.js';
import { enterRawMode, followResizes, forwardStdin, terminalSizeOf } from '../terminal.js';
import { wantsFleet } from './exec-fleet-args.js';
import { EXEC_OPTIONS, timeoutFlag } from './exec-options.js';

const USAGE = `Usage: ecs-exec exec --cluster C (--service S | --task T) [options] [-- CMD ...]

Runs a command in an ECS container through ECS Exec: its output on stdout and nothing else, its exit code as ours.
With stdin and stdout on a terminal and no command (or a shell as the command) it opens an interactive shell.

  --cluster C       config alias (ECS_EXEC_CONFIG or ./ecs-exec.yml), else the cluster's name or ARN
  --service S       run in the newest RUNNING task of S whose exec agent is RUNNING
  --task T          run in this task (32-hex id, or a task ARN, which also names the cluster)
  --container N     container name (default: the only one, or the one the config names)
  -i, --interactive a terminal session: raw keys (Ctrl-C, Ctrl-Z go to the container), window size followed;
                    without CMD runs bash if the container has it, else sh
  --timeout D       give up after D (e.g. 30s, 5m); the remote command is interrupted
  --no-wrap         run CMD as given, without the shell wrapper that reports the exit code
  --json            print one JSON result line on stderr instead of messages (exitCode, outcome, durationMs,
                    bytes, cluster, task, container, sessionId, message)
${AWS_USAGE}

One argument after -- is shell text ('echo a; exit 3'); several are passed as separate words.
stdin that is not a terminal (a pipe, a file) is forwarded, then end-of-file; output to a pipe or file has LF
line endings. The container's stderr arrives merged into stdout (a terminal has one output stream).

Exit status: the command's own; 2 bad usage; 124 timed out; 130 Ctrl-C; 143 SIGTERM; 252 finished with its exit
status unknown (--no-wrap); 253 the session broke off; 254 no usable AWS credentials or access denied; 255 could
not start (nothing ran). AWS_ENDPOINT_URL_ECS/_SSM/_KMS/_STS and the usual AWS variables choose where it connects.
`;

/** The exit status for a finished run: the remote code when known, else the conventions above. */
function exitStatusFor(result: Pick<ExecRunResult, 'outcome' | 'exitCode'>, signal?: AbortSignal | undefined): number {
  switch (result.outcome) {
    case 'completed':
      return result.exitCode ?? EXIT.statusUnknown;
    case 'timed_out':
      return EXIT.timedOut;
    case 'cancelled':
      return signal ? cancelledExitCode(signal) : EXIT.interrupted;
    default:
      return EXIT.sessionBroke;
  }
}

/** A command that is an interactive shell on its own: asking for it from a terminal means a terminal session. */
const SHELL = /^(?:\/(?:usr\/)?(?:local\/)?bin\/)?(?:sh|bash|zsh|ash|dash|ksh|mksh|fish)$/;

/** Without a command, an interactive session gets the best shell the container has (not `exec`: the wrapper waits). */
const DEFAULT_SHELL = 'if command -v bash >/dev/null 2>&1; then bash; else sh; fi';

interface ExecArgs {
  cluster: string;
  service?: string;
  task?: string;
  container?: string;
  timeoutMs?: number;
  profile?: string;
  region?: string;
  noWrap: boolean;
  json: boolean;
  interactive: boolean;
  command: string;
}

function parseExecArgs(args: string[], io: CliIo): ExecArgs {
  const { flags, words = [] } = splitAtDoubleDash(args);
  const { values, positionals } = parseOrUsage(() =>
    parseArgs({
      args: flags,
      allowPositionals: true,
      strict: true,
      options: {
        ...EXEC_OPTIONS,
      },
    }),
  );
  if (positionals.length > 0) {
    throw new UsageError(`put the command after --: ecs-exec exec ... -- ${positionals.join(' ')}`);
  }
  // A task ARN names its cluster itself.
  if (!values.cluster && !values.task?.startsWith('arn:')) throw new UsageError('--cluster is required');
  if ((values.service === undefined) === (values.task === undefined)) {
    throw new UsageError('give exactly one of --service or --task');
  }
  const noCommand = words.length === 0 || words.every((w) => w.trim() === '');
  const terminal = io.stdin?.isTTY === true && io.stdout.isTTY === true;
  const asksForShell = noCommand || (words.length === 1 && SHELL.test((words[0] ?? '').trim()));
  const interactive = values.interactive === true || (terminal && asksForShell);
  if (interactive && !terminal) {
    throw new UsageError('--interactive needs a terminal on stdin and stdout; to feed a command, pipe into it instead');
  }
  if (noCommand && !interactive) throw new UsageError('the command is missing: put it after --');
  const timeoutMs = timeoutFlag(values.timeout);
  return {
    cluster: values.cluster ?? '',
    ...(values.service !== undefined ? { service: values.service } : {}),
    ...(values.task !== undefined ? { task: values.task } : {}),
    ...(values.container !== undefined ? { container: values.container } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(values.profile ? { profile: values.profile } : {}),
    ...(values.region ? { region: values.region } : {}),
    noWrap: values['no-wrap'] === true,
    json: values.json === true,
    interactive,
    command: noCommand ? DEFAULT_SHELL : words.length === 1 ? (words[0] ?? '') : shellJoin(words),
  };
}

/** What `--json` prints: one line a script can parse, whatever happened. */
interface JsonResult {
  exitCode: number;
  outcome: string;
  durationMs: number;
  bytes: number;
  cluster: string | null;
  task: string | null;
  container: string | null;
  sessionId: string | null;
  message: string | null;
}

/**
 * `ecs-exec exec`: stdout carries the remote output and nothing else; every message of ours goes to stderr, so the
 * command composes in pipes like the remote program would.
 */
export const execCommand: CliCommand = async (args, io) => {
  if (wantsFleet(args)) {
    const fleet = await import('./exec-fleet.js');
    if (!wantsHelp(args)) return await fleet.fleetExecCommand(args, io);
    io.stdout.write(fleet.FLEET_USAGE);
    return EXIT.ok;
  }
  if (wantsHelp(args)) {
    io.stdout.write(`${USAGE}\nOne command on many tasks of a service: ecs-exec exec --all --help\n`);
    return EXIT.ok;
  }
  let parsed: ExecArgs;
  try {
    parsed = parseExecArgs(args, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageFailure(io, 'ecs-exec exec', error.message, USAGE);
  }
  const started = Date.now();
  const report = (exitCode: number, outcome: string, message: string | null, extra: Partial<JsonResult> = {}) => {
    if (parsed.json) {
      const line: JsonResult = {
        exitCode,
        outcome,
        durationMs: Date.now() - started,
        bytes: 0,
        cluster: null,
        task: null,
        container: null,
        sessionId: null,
        message,
        ...extra,
      };
      io.stderr.write(`${JSON.stringify(line)}\n`);
    } else if (message) {
      io.stderr.write(`ecs-exec: ${message}\n`);
    }
    return exitCode;
  };
  let factory: ReturnType<typeof createAwsClientFactory> | undefined;
  let resolved: PrecheckedTarget | undefined;
  let sessionId: string | undefined;
  const cleanups: Array<() => void> = [];
  try {
    const aws = await resolveAwsSettings(parsed, io.env);
    factory = createAwsClientFactory({ env: io.env, ...aws });
    const target = targetFromFlags(parsed);
    const cluster = await clusterFromFlags(target, parsed.region, io.env, aws.region);
    const clients = factory.clientsFor(cluster, { userId: io.env['USER'] ?? 'unknown', via: 'cli' });
    const control = new AwsSsmControl(clients.ssm);
    const wrapped = !parsed.noWrap && cluster.shell !== 'none';
    // Only a wrapped non-interactive run announces that its terminal is set up; stdin waits for that.
    const awaitsReady = wrapped && !parsed.interactive;
    const stdoutIsTty = io.stdout.isTTY === true;
    // Off a terminal, output must be what the command wrote: the wrapper turns off CR insertion and echo; where it
    // cannot (no wrapper, no stty), CRLF is translated here instead.
    let translate = !parsed.interactive && !stdoutIsTty && !wrapped ? createCrlfToLf() : null;
    const stdin = io.stdin;
    const forwardPipe = !parsed.interactive && stdin !== undefined && stdin.isTTY !== true;
    let sessionControl: SessionControl | undefined;
    const startInput = (): void => {
      if (!sessionControl || !stdin) return;
      if (parsed.interactive) cleanups.push(forwardStdin(stdin, sessionControl, { eof: false }));
      else if (forwardPipe) cleanups.push(forwardStdin(stdin, sessionControl, { eof: true }));
    };
    // SIGTERM must not leave the command running until the grace period ends: terminate the session at once.
    const onAbort = (): void => {
      if (io.signal.reason === 'SIGTERM' && sessionId) void control.terminateSession(sessionId).catch(() => {});
    };
    io.signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => io.signal.removeEventListener('abort', onAbort));
    const size = terminalSizeOf(io.stdout);
    if (parsed.interactive && stdin) cleanups.push(enterRawMode(stdin).restore);

    const result = await runInContainer(
      { ecs: clients.ecs, control, kms: new AwsKms(clients.kms) },
      {
        target,
        cluster,
        command: parsed.command,
        noWrap: parsed.noWrap,
        plainTerminal: !parsed.interactive,
        ...(size ? { terminalSize: size } : {}),
        ...(parsed.timeoutMs !== undefined ? { timeoutMs: parsed.timeoutMs } : {}),
        onResolved: (t) => {
          resolved = t;
        },
        onSession: (id) => {
          sessionId = id;
        },
        onControl: (c) => {
          sessionControl = c;
          if (parsed.interactive) cleanups.push(followResizes(io.stdout, c));
          // Nothing announces the terminal is ready: forward at once, as the plugin does.
          if (!awaitsReady) startInput();
        },
        onReady: (status) => {
          if (status !== 0 && !stdoutIsTty) translate = createCrlfToLf();
          startInput();
        },
        // The session may reuse the chunk's memory once this returns, and stdout may still hold it: copy.
        onOutput: (chunk) => {
          const shown = translate ? translate.push(chunk) : chunk;
          if (shown.length > 0) io.stdout.write(Buffer.from(shown));
        },
        signal: io.signal,
      },
    );
    if (translate) {
      const rest = translate.end();
      if (rest.length > 0) io.stdout.write(Buffer.from(rest));
    }
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
    await drain(io.stdout);
    const status = exitStatusFor(result, io.signal);
    const details = {
      bytes: result.bytes,
      cluster: result.target.task.clusterArn,
      task: result.target.task.taskArn,
      container: result.target.container.name,
      sessionId: result.sessionId,
    };
    let message: string | null = null;
    if (result.outcome !== 'completed') message = describeOutcome(result);
    else if (result.exitCode === null) {
      const why =
        parsed.noWrap || cluster.shell === 'none' ? 'it ran without the shell wrapper' : 'no exit status came back';
      message = `the command finished; its exit code is unknown (${why})`;
    }
    return report(status, result.outcome, message, details);
  } catch (error) {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
    const where = resolved
      ? { cluster: resolved.task.clusterArn, task: resolved.task.taskArn, container: resolved.container.name }
      : {};
    if (io.signal.aborted && !isBotError(error)) {
      return report(
        cancelledExitCode(io.signal),
        'cancelled',
        'cancelled before the command started; nothing ran',
        where,
      );
    }
    let message = startFailureText(error, parsed.profile || io.env['AWS_PROFILE']);
    if (error instanceof AmbiguousContainerError || error instanceof ContainerNotFoundError) {
      message += `\nContainers:\n${error.choices.map((name) => `  ${name}`).join('\n')}`;
    }
    return report(exitCodeForStartFailure(error), 'not_started', message, where);
  } finally {
    factory?.destroy();
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
