import { createAwsClientFactory } from '../../ecs/aws-client-factory.js';
import { resolveAwsSettings } from '../../ecs/aws-settings.js';
import { AmbiguousContainerError } from '../../ecs/errors.js';
import { runInContainer } from '../../ecs/exec-runner.js';
import { targetFromFlags } from '../../ecs/resolve-target.js';
import { type FleetResult, runFleet, type TaskResult } from '../../fleet/fan-out.js';
import { describeLimit } from '../../fleet/limits.js';
import { type FleetPlan, planFleet } from '../../fleet/plan.js';
import { AwsKms } from '../../ssm/aws-kms.js';
import { AwsSsmControl } from '../../ssm/aws-ssm-control.js';
import { AWS_USAGE, exitCodeForStartFailure, startFailureText } from '../aws-options.js';
import { clusterFromFlags } from '../cluster-from-flags.js';
import type { CliCommand, CliIo } from '../io.js';
import { cancelledExitCode, EXIT, UsageError, usageFailure } from '../io.js';
import { type FleetArgs, parseFleetArgs } from './exec-fleet-args.js';
import { createLinePrefixer } from './line-prefixer.js';

export const FLEET_USAGE = `Usage: ecs-exec exec (--all | --tasks N) [options] cluster/service[:container] -- CMD ...

Runs one command on many tasks of a service, each output line prefixed with the task's short id; a summary table
and the grouped result go to stderr.

  --all                   every task of the service whose exec agent is RUNNING (the others are skipped, listed)
  --tasks N               N of them, spread across availability zones
  --max-concurrency N|P%  tasks running at once (default 10; a percentage of the tasks, rounded up)
  --max-errors N|P%       failures tolerated before no further task is started (default 0: stop at the first);
                          a failure is a non-zero or unknown exit code, a timeout, a broken session, a task that
                          vanished, or a start ECS refused
  --container N           container name (default: the only one, or the one the config names)
  --timeout D             per task: give up after D (e.g. 30s, 5m)
  --no-wrap               run CMD as given, without the shell wrapper (exit codes are then unknown)
  --json                  per-task results and groups as one JSON document on stderr instead of the table
${AWS_USAGE}

Exit status: 0 when every task that ran exited 0; else the worst task's status, the highest of: its command's
exit code, 124 timed out, 252 exit code unknown, 253 session broke off or task vanished, 255 could not start.
Skipped tasks and tasks not started because of --max-errors do not count. 255 when no task could run; 130/143
when stopped by Ctrl-C/SIGTERM; 2 bad usage.
`;

/** A task's own exit status, on the same scale as a single `exec`. */
export function taskExitStatus(result: TaskResult): number | undefined {
  switch (result.status) {
    case 'completed':
      return result.exitCode ?? EXIT.statusUnknown;
    case 'timed_out':
      return EXIT.timedOut;
    case 'interrupted':
    case 'vanished':
      return EXIT.sessionBroke;
    case 'not_started':
      return EXIT.couldNotStart;
    default:
      return undefined;
  }
}

/** The CLI's exit code for a fan-out: the worst (highest) task status, as documented in the usage. */
export function fleetExitStatus(result: FleetResult, signal: AbortSignal): number {
  if (signal.aborted) return cancelledExitCode(signal);
  const statuses = result.results.map(taskExitStatus).filter((s): s is number => s !== undefined);
  if (statuses.length === 0) return EXIT.couldNotStart;
  return Math.max(...statuses);
}

/** `ecs-exec exec --all | --tasks N ...`: the fan-out form of `exec`. */
export const fleetExecCommand: CliCommand = async (args, io) => {
  let parsed: FleetArgs;
  try {
    parsed = parseFleetArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageFailure(io, 'ecs-exec exec', error.message, FLEET_USAGE);
  }
  let factory: ReturnType<typeof createAwsClientFactory> | undefined;
  try {
    const aws = await resolveAwsSettings(parsed, io.env);
    factory = createAwsClientFactory({ env: io.env, ...aws });
    const target = targetFromFlags({ cluster: parsed.cluster, service: parsed.service });
    const cluster = await clusterFromFlags(target, parsed.region, io.env, aws.region);
    const clients = factory.clientsFor(cluster, { userId: io.env['USER'] ?? 'unknown', via: 'cli' });
    const plan = await planFleet(
      clients.ecs,
      {
        cluster,
        service: parsed.service,
        ...(parsed.container ? { container: parsed.container } : {}),
        selection: parsed.selection,
      },
      parsed.limits,
    );
    if (!parsed.json) io.stderr.write(`ecs-exec: ${planText(plan)}\n`);
    const deps = { ecs: clients.ecs, control: new AwsSsmControl(clients.ssm), kms: new AwsKms(clients.kms) };
    const prefixer = createLinePrefixer((text) => io.stdout.write(text));
    const result = await runFleet(plan, {
      maxOutputBytes: MAX_OUTPUT_BYTES,
      signal: io.signal,
      onOutput: (task, chunk) => prefixer.push(task.shortId, chunk),
      onEvent: (event) => {
        if (event.kind === 'task-finished') prefixer.end(event.result.task.shortId);
      },
      runTask: (task, run) =>
        runInContainer(deps, {
          target: {
            kind: 'task-arn',
            taskArn: task.taskArn,
            cluster: cluster.cluster,
            taskId: task.taskId,
            container: task.container,
          },
          cluster,
          command: parsed.command,
          noWrap: parsed.noWrap,
          plainTerminal: true,
          ...(parsed.timeoutMs !== undefined ? { timeoutMs: parsed.timeoutMs } : {}),
          onOutput: run.onOutput,
          signal: run.signal,
        }),
    });
    await drain(io.stdout);
    const status = fleetExitStatus(result, io.signal);
    if (parsed.json) io.stderr.write(`${JSON.stringify(jsonReport(plan, result, status))}\n`);
    else io.stderr.write(summaryTable(plan, result));
    return status;
  } catch (error) {
    let message = startFailureText(error, parsed.profile || io.env['AWS_PROFILE']);
    if (error instanceof AmbiguousContainerError) {
      message += `\nContainers:\n${error.choices.map((name) => `  ${name}`).join('\n')}\nFix: add --container NAME (or cluster/service:NAME).`;
    }
    const status = exitCodeForStartFailure(error);
    if (parsed.json) io.stderr.write(`${JSON.stringify({ exitCode: status, outcome: 'not_started', message })}\n`);
    else io.stderr.write(`ecs-exec: ${message}\n`);
    return status;
  } finally {
    factory?.destroy();
  }
};

/** Redacted output kept per task for grouping and `--json`; stdout shows everything as it arrives. */
const MAX_OUTPUT_BYTES = 64 * 1024;

function planText(plan: FleetPlan): string {
  const asked = plan.selection.kind === 'all' ? 'all' : `${plan.selection.count} requested`;
  const skipped = plan.skipped.length > 0 ? `, ${plan.skipped.length} skipped` : '';
  return (
    `${plan.service}: running on ${plan.tasks.length} task${plan.tasks.length === 1 ? '' : 's'} (${asked}${skipped}), ` +
    `${plan.concurrency} at a time, stopping after ${plan.errorBudget + 1} failure${plan.errorBudget === 0 ? '' : 's'}` +
    ` (--max-concurrency ${describeLimit(plan.limits.maxConcurrency)}, --max-errors ${describeLimit(plan.limits.maxErrors)})`
  );
}

function summaryTable(plan: FleetPlan, result: FleetResult): string {
  const rows = result.results.map((r) => [
    r.task.shortId,
    r.task.availabilityZone ?? '-',
    r.status,
    r.exitCode === null ? '-' : String(r.exitCode),
    r.startedAt !== undefined && r.endedAt !== undefined ? `${((r.endedAt - r.startedAt) / 1000).toFixed(1)}s` : '-',
    oneLine(r.reason ?? ''),
  ]);
  const header = ['TASK', 'ZONE', 'STATUS', 'EXIT', 'TIME', 'NOTE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const groups = result.groups.map(
    (g) => `  ${g.tasks.length} × ${g.headline}: ${g.tasks.map((t) => t.task.shortId).join(' ')}`,
  );
  const stopped = result.stopped ? `ecs-exec: ${result.stopped.message}\n` : '';
  return (
    `${[line(header), ...rows.map(line)].join('\n')}\n\n${stopped}ecs-exec: ${plan.service}: ${result.summary}\n` +
    `${groups.join('\n')}\n`
  );
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= 80 ? flat : `${flat.slice(0, 77)}...`;
}

function jsonReport(plan: FleetPlan, result: FleetResult, exitCode: number): unknown {
  return {
    exitCode,
    cluster: plan.cluster.cluster,
    service: plan.service,
    summary: result.summary,
    concurrency: plan.concurrency,
    maxErrors: plan.errorBudget,
    ...(result.stopped ? { stopped: result.stopped.message } : {}),
    durationMs: result.endedAt - result.startedAt,
    tasks: result.results.map((r) => ({
      task: r.task.taskArn,
      shortId: r.task.shortId,
      availabilityZone: r.task.availabilityZone ?? null,
      container: 'container' in r.task ? r.task.container : null,
      status: r.status,
      exitCode: r.exitCode,
      exitStatus: taskExitStatus(r) ?? null,
      reason: r.reason ?? null,
      durationMs: r.startedAt !== undefined && r.endedAt !== undefined ? r.endedAt - r.startedAt : null,
      bytes: r.output?.bytes ?? 0,
      sessionId: r.sessionId ?? null,
      output: r.output?.text ?? null,
      outputTruncated: r.output?.truncated ?? false,
      throttledStarts: r.throttled,
    })),
    groups: result.groups.map((g) => ({
      count: g.tasks.length,
      status: g.status,
      exitCode: g.exitCode,
      headline: g.headline,
      tasks: g.tasks.map((t) => t.task.shortId),
    })),
  };
}

function drain(stream: CliIo['stdout']): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write('')) resolve();
    else stream.once('drain', () => resolve());
  });
}
