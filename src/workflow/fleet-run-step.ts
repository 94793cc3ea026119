import { createHash } from 'node:crypto';
import type { FinishState, FleetScope, RunResult } from '../approval/approval-port.js';
import { WrongStateError } from '../approval/errors.js';
import { isBotError, toUserMessage } from '../errors.js';
import { fleetRunnerFor } from '../fleet/engine-runner.js';
import { type FleetProgress, type FleetResult, isFailure, runFleet, type TaskResult } from '../fleet/fan-out.js';
import { concurrencyFor, errorBudgetFor } from '../fleet/limits.js';
import { type FleetPlan, planFleet } from '../fleet/plan.js';
import type { CardNote, FleetRunView } from './chat-port.js';
import { clusterSettingsFor } from './cluster-settings.js';
import type { RequestCards } from './request-cards.js';
import { holdRun, type RunStep } from './run-step.js';
import type { WorkflowDeps } from './workflow-deps.js';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The approved tasks, as ECS shows them now: planned again (a task that went away since the approval is not run,
 * a new one is not added beyond the approved count), never more than approved. The note says when they differ.
 */
export function boundToApproval(plan: FleetPlan, fleet: FleetScope): { plan: FleetPlan; note?: string } {
  if (plan.tasks.length === fleet.taskCount) return { plan };
  if (plan.tasks.length > fleet.taskCount) {
    const tasks = plan.tasks.slice(0, fleet.taskCount);
    return {
      plan: {
        ...plan,
        tasks,
        concurrency: concurrencyFor(plan.limits.maxConcurrency, tasks.length),
        errorBudget: errorBudgetFor(plan.limits.maxErrors, tasks.length),
      },
      note:
        `${plural(plan.tasks.length, 'task')} can take the command now, but ${fleet.taskCount} were approved: ` +
        `it runs on ${fleet.taskCount} only.`,
    };
  }
  return {
    plan,
    note:
      `${fleet.taskCount} tasks were approved, but only ${plan.tasks.length} can take the command now: ` +
      `it runs on those ${plan.tasks.length}.`,
  };
}

/** How the whole fan-out ended, for the request's final state. */
function finishStateOf(result: FleetResult, anySession: boolean): FinishState {
  if (!anySession) return result.stopped?.reason === 'aborted' ? 'cancelled' : 'error';
  if (result.stopped?.reason === 'aborted') return 'cancelled';
  return result.results.some(isFailure) ? 'failed' : 'succeeded';
}

/** The stored result of a fan-out: totals, the worst exit code, a digest over the tasks' digests, the summary. */
function runResultOf(result: FleetResult, durationMs: number): RunResult {
  const ran = result.results.filter((r) => r.output);
  const codes = ran.map((r) => r.exitCode).filter((code): code is number => code !== null);
  const digest = createHash('sha256');
  for (const r of ran) digest.update(`${r.task.taskId}:${r.output?.sha256}\n`);
  const summary = result.summary.length > 900 ? `${result.summary.slice(0, 897)}...` : result.summary;
  return {
    ...(codes.length > 0 ? { exitCode: Math.max(...codes) } : {}),
    bytes: ran.reduce((sum, r) => sum + (r.output?.bytes ?? 0), 0),
    sha256: digest.digest('hex'),
    redactions: ran.reduce((sum, r) => sum + (r.output?.redactions ?? 0), 0),
    durationMs,
    detail: summary,
  };
}

/** What the audit keeps of one task's part: which task, how it ended, and a digest of its output (not the output). */
function taskAuditDetail(result: TaskResult): Record<string, unknown> {
  return {
    taskId: result.task.taskId,
    taskArn: result.task.taskArn,
    ...('container' in result.task ? { container: result.task.container } : {}),
    status: result.status,
    exitCode: result.exitCode,
    ...(result.reason ? { reason: result.reason } : {}),
    ...(result.sessionId ? { sessionId: result.sessionId } : {}),
    ...(result.output
      ? {
          bytes: result.output.bytes,
          sha256: result.output.sha256,
          sha256Redacted: result.output.sha256Redacted,
          redactions: result.output.redactions,
        }
      : {}),
    throttled: result.throttled,
  };
}

/**
 * One command on the approved tasks of a service: planned again, bound to the approved count, run with the bot's
 * engine through `runFleet` (each task at most once), one audit entry per task, one message following the progress,
 * then the grouped result, the per-task output file, the final state and the card.
 */
export function createFleetRunStep(deps: WorkflowDeps, cards: RequestCards): RunStep {
  const { store, chat, logger } = deps;

  return async (record, { controller, catchUpOnStop, policy }) => {
    const fleet = record.fleet as FleetScope;
    const cluster = clusterSettingsFor(policy, record.target.clusterAlias);
    const started = deps.clock.now();
    const { lease, stopPoll } = holdRun(deps, record.id, controller, catchUpOnStop);
    let progress: FleetProgress = {
      total: fleet.taskCount,
      pending: fleet.taskCount,
      running: 0,
      succeeded: 0,
      failed: 0,
      skipped: 0,
      notRun: 0,
    };
    let note: string | undefined;
    let stopping: string | undefined;
    const view = (): FleetRunView => ({
      requestId: record.id,
      progress,
      elapsedMs: deps.clock.now() - started,
      ...(note ? { note } : {}),
      ...(stopping ? { stopping } : {}),
    });
    const report = chat.reportFleet(record, {
      view,
      mayWrite: lease.mayWrite,
      intervalMs: deps.liveTailIntervalMs ?? 1_500,
      delayMs: deps.liveTailDelayMs ?? 2_000,
    });
    // The request is `running` from its first session on: that is when Stop applies and a crash means "may have run".
    let runningMarked: Promise<void> | undefined;
    const markRunning = async (sessionId: string): Promise<void> => {
      try {
        await store.markRunning(record.id, sessionId);
      } catch (error) {
        if (!(error instanceof WrongStateError))
          logger.warn({ err: error, requestId: record.id }, 'not marked running');
      }
    };
    const audits: Promise<unknown>[] = [];
    const audit = (result: TaskResult): void => {
      audits.push(
        store
          .recordEvent({
            record: { id: record.id, state: 'running', version: record.version, policyVersion: record.policyVersion },
            action: 'task_run',
            actor: deps.replicaId,
            outcome: result.status,
            detail: taskAuditDetail(result),
          })
          .catch((error: unknown) => logger.error({ err: error, requestId: record.id }, 'task run not audited')),
      );
    };

    let result: FleetResult | undefined;
    let failure: string | undefined;
    try {
      if (!cluster) throw new Error(`cluster "${record.target.clusterAlias}" is no longer in the config`);
      report.start();
      const requester = { userId: record.requester };
      const planned = await planFleet(
        deps.engine.ecsFor(cluster, requester),
        {
          cluster,
          service: fleet.service,
          ...(record.target.container ? { container: record.target.container } : {}),
          selection: fleet.selection,
        },
        fleet.limits,
      );
      const bound = boundToApproval(planned, fleet);
      note = bound.note;
      result = await runFleet(bound.plan, {
        maxOutputBytes: policy.limits.maxOutputBytes,
        signal: controller.signal,
        runTask: fleetRunnerFor(deps.engine, {
          cluster,
          command: record.command,
          requester,
          ...(record.timeoutMs !== undefined ? { timeoutMs: record.timeoutMs } : {}),
          onSession: (_taskArn, sessionId) => {
            runningMarked ??= markRunning(sessionId);
          },
        }),
        onEvent: (event) => {
          progress = event.progress;
          if (event.kind === 'stopping') stopping = event.message;
          if (event.kind === 'task-finished') audit(event.result);
          report.changed();
        },
      });
      for (const task of result.results) if (task.status === 'skipped' || task.status === 'not_run') audit(task);
    } catch (error) {
      failure = isBotError(error) ? toUserMessage(error) : 'the fan-out failed before any task started; nothing ran';
      if (!isBotError(error)) logger.error({ err: error, requestId: record.id }, 'fan-out failed');
    } finally {
      clearInterval(stopPoll);
    }
    await Promise.allSettled(audits);
    await runningMarked;
    const durationMs = deps.clock.now() - started;
    const finishState = result ? finishStateOf(result, runningMarked !== undefined) : 'error';
    const runResult: RunResult = result
      ? runResultOf(result, durationMs)
      : { bytes: 0, sha256: '', redactions: 0, durationMs, detail: failure ?? 'nothing ran' };
    const stored = await lease.finish(finishState, runResult);
    lease.release();
    if (!stored.landed) {
      await report.abandon().catch(() => {});
      logger.info({ requestId: record.id }, 'fan-out closed elsewhere (or its final state is not stored yet)');
      return;
    }
    const delivery = result
      ? await report.finish(stored.record, result, note)
      : await report.finish(stored.record, emptyResult(started, deps.clock.now(), failure), note);
    const cardNote: CardNote | undefined =
      delivery === 'delivered' ? undefined : delivery === 'unconfirmed' ? 'result_unconfirmed' : 'result_undelivered';
    await cards.refresh(stored.record, cardNote).catch((error: unknown) => {
      logger.error({ err: error, requestId: record.id }, 'final card update failed');
    });
  };
}

/** The result of a fan-out that never got to its tasks (ECS could not be read): no task, the reason. */
function emptyResult(startedAt: number, endedAt: number, why: string | undefined): FleetResult {
  return {
    results: [],
    groups: [],
    summary: why ?? 'nothing ran',
    progress: { total: 0, pending: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, notRun: 0 },
    startedAt,
    endedAt,
  };
}
