import type { ApprovalRecord, FinishState, RunResult } from '../approval/approval-port.js';
import { WrongStateError } from '../approval/errors.js';
import type { PolicyConfig } from '../config/schema.js';
import { isBotError, toUserMessage } from '../errors.js';
import { createOutputPipeline } from '../output/pipeline.js';
import type { CardNote, RunProgress } from './chat-port.js';
import { clusterSettingsFor } from './cluster-settings.js';
import type { RequestCards } from './request-cards.js';
import { createRunLease, FINAL_WRITE_RETRY_MS, HEARTBEAT_MS, type RunLease } from './run-lease.js';
import type { WorkflowDeps } from './workflow-deps.js';

const OUTCOME_STATE: Record<string, FinishState> = {
  timed_out: 'timed_out',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  failed: 'interrupted',
};

/** How a claimed run hears about stops: from any replica, and from its own lease. */
export interface RunControl {
  /** Aborted on a stop request, a lost lease or the bot's shutdown. */
  controller: AbortController;
  /** Reads a stop request this replica may have missed; called on every heartbeat. */
  catchUpOnStop(): void;
  /** The policy the run was claimed under; it runs under it whatever a reload brings meanwhile. */
  policy: PolicyConfig;
}

/**
 * Runs one claimed request: the step after the dispatch claim and before the report. It is the seam where another
 * way of running an approved request (the same command on several tasks) would plug in beside this one.
 */
export type RunStep = (claimed: ApprovalRecord, control: RunControl) => Promise<void>;

/**
 * One command in one container: `ExecuteCommand` once, the output through the pipeline into the chat's report of the
 * run, heartbeats while it runs, the final state stored, then the result and the card.
 */
export function createSingleRunStep(deps: WorkflowDeps, cards: RequestCards): RunStep {
  const { store, chat, logger } = deps;

  /** Records the session on the request, retrying a few times: a blip here would otherwise strand the run. */
  async function markRunning(requestId: string, sessionId: string): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await store.markRunning(requestId, sessionId);
        return;
      } catch (error) {
        if (error instanceof WrongStateError || attempt >= 5) {
          logger.warn({ err: error, requestId }, 'could not mark the run as running');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  return async (record, { controller, catchUpOnStop, policy }) => {
    // The card is not refreshed here: the chat's update budget is better spent on the final state, and the report
    // of the run shows that a longer run started.
    const cluster = clusterSettingsFor(policy, record.target.clusterAlias);
    const started = deps.clock.now();
    const pipeline = createOutputPipeline({ maxOutputBytes: policy.limits.maxOutputBytes });
    let receivedBytes = 0;
    let runningMarked: Promise<void> | undefined;
    // The heartbeat (output or not: a quiet `sleep` is still alive) keeps the run off the stale-run sweeper; it also
    // catches up on missed stop signals, and stops the run here if another replica closed it meanwhile.
    const { lease, stopPoll } = holdRun(deps, record.id, controller, catchUpOnStop);
    const progress = (elapsedMs = deps.clock.now() - started): RunProgress => ({
      requestId: record.id,
      snapshot: pipeline.snapshot(),
      elapsedMs,
      bytes: receivedBytes,
    });
    // Every chat write about the run goes through the lease: a replica that lost the run writes nothing.
    const report = chat.reportRun(record, {
      progress: () => progress(),
      mayWrite: lease.mayWrite,
      intervalMs: deps.liveTailIntervalMs ?? 1_500,
      delayMs: deps.liveTailDelayMs ?? 2_000,
      previewLines: policy.limits.previewLines,
    });
    let finishState: FinishState = 'error';
    let exitCode: number | null = null;
    let detail: string | undefined;
    try {
      if (!cluster) throw new Error(`cluster "${record.target.clusterAlias}" is no longer in the config`);
      report.start();
      const result = await deps.engine.run({
        cluster,
        taskArn: record.target.taskArn,
        container: record.target.container,
        command: record.command,
        requester: { userId: record.requester },
        ...(record.noWrap ? { noWrap: true } : {}),
        ...(record.timeoutMs !== undefined ? { timeoutMs: record.timeoutMs } : {}),
        signal: controller.signal,
        onSession: (sessionId) => {
          runningMarked = markRunning(record.id, sessionId);
        },
        onOutput: (chunk) => {
          receivedBytes += chunk.byteLength;
          pipeline.write(chunk);
          report.changed();
        },
      });
      exitCode = result.exitCode;
      detail = result.reason;
      if (result.outcome === 'completed') finishState = exitCode === null || exitCode === 0 ? 'succeeded' : 'failed';
      else finishState = OUTCOME_STATE[result.outcome] ?? 'interrupted';
    } catch (error) {
      finishState = 'error';
      detail = isBotError(error) ? toUserMessage(error) : 'the run failed before a session existed; nothing ran';
      if (!isBotError(error)) logger.error({ err: error, requestId: record.id }, 'dispatch failed');
    } finally {
      clearInterval(stopPoll);
    }

    const output = pipeline.result();
    const durationMs = deps.clock.now() - started;
    const runResult: RunResult = {
      ...(exitCode !== null ? { exitCode } : {}),
      bytes: output.totalBytes,
      sha256: output.sha256,
      redactions: output.redactions,
      durationMs,
      ...(detail ? { detail } : {}),
    };
    // `finish` only accepts a run that was marked running once a session existed; make sure that step landed.
    await runningMarked;
    const stored = await lease.finish(finishState, runResult);
    lease.release();
    if (!stored.landed) {
      // Another replica closed the run (or will, once the store is back): its ending is the one people see. The
      // report only loses its controls, with no outcome of its own; it writes through the lease too, so even that
      // reaches the chat only if the store still names this replica.
      await report.abandon(progress(durationMs)).catch(() => {});
      logger.info(
        { requestId: record.id },
        stored.reason === 'closed_elsewhere'
          ? 'run closed by another replica; nothing posted'
          : 'final state not stored; nothing posted (a sweeper closes the run once the store answers)',
      );
      return;
    }
    const delivery = await report.finish(stored.record, output, pipeline.snapshot());
    // When the result cannot be delivered (or the chat never confirmed it), the card says so.
    const note: CardNote | undefined =
      delivery === 'delivered' ? undefined : delivery === 'unconfirmed' ? 'result_unconfirmed' : 'result_undelivered';
    await cards.refresh(stored.record, note).catch((error: unknown) => {
      logger.error({ err: error, requestId: record.id }, 'final card update failed');
    });
    await report.close();
  };
}

/**
 * What every run step holds while its command runs, one task or a fan-out alike: the lease that keeps the run off
 * the stale-run sweeper and fences its writes, and a poll that catches up on stop signals it may have missed.
 */
export function holdRun(
  deps: Pick<WorkflowDeps, 'store' | 'logger' | 'replicaId' | 'heartbeatMs' | 'finalWriteRetryMs'>,
  requestId: string,
  controller: AbortController,
  catchUpOnStop: () => void,
): { lease: RunLease; stopPoll: NodeJS.Timeout } {
  const lease = createRunLease({
    store: deps.store,
    requestId,
    replicaId: deps.replicaId,
    logger: deps.logger,
    heartbeatMs: deps.heartbeatMs ?? HEARTBEAT_MS,
    finalWriteRetryMs: deps.finalWriteRetryMs ?? FINAL_WRITE_RETRY_MS,
    onLost: () => controller.abort(new Error('another replica closed this run')),
  });
  const stopPoll = setInterval(catchUpOnStop, deps.heartbeatMs ?? HEARTBEAT_MS);
  stopPoll.unref();
  return { lease, stopPoll };
}
