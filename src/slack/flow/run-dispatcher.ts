import type { ApprovalRecord, FinishState, RunResult } from '../../approval/approval-port.js';
import { currentBindingDigest } from '../../approval/binding-digest.js';
import { ApprovalError, WrongStateError } from '../../approval/errors.js';
import { isBotError, toUserMessage } from '../../errors.js';
import { createOutputPipeline } from '../../output/pipeline.js';
import { SlackPostUnconfirmedError } from '../slack-port.js';
import { clusterSettingsFor } from './cluster-settings.js';
import type { FlowDeps } from './flow-deps.js';
import { createLiveTail } from './live-tail-updater.js';
import type { RequestCards } from './request-cards.js';
import { createRunLease, FINAL_WRITE_RETRY_MS, HEARTBEAT_MS } from './run-lease.js';
import * as views from './views.js';

const OUTCOME_STATE: Record<string, FinishState> = {
  timed_out: 'timed_out',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  failed: 'interrupted',
};

/** Runs approved requests in this process. */
export interface RunDispatcher {
  /** Claims the request and runs it in the background; a lost claim (another replica won) is a no-op. */
  start(record: ApprovalRecord): void;
  /**
   * Shuts down: runs still going after `graceMs` are stopped (Ctrl-C, then the session is ended) with the bot's
   * shutdown as the reason; resolves once every run's final state is stored and posted.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Claims, runs and reports: `approved -> dispatched` (one winner across replicas), `ExecuteCommand` once, the
 * output through the pipeline into a live tail and the final result, heartbeats while it runs, and stop signals
 * from any replica.
 */
export function createRunDispatcher(deps: FlowDeps, cards: RequestCards): RunDispatcher {
  const { store, notifier, logger } = deps;
  /** Runs in this process, so a stop signal can reach them. */
  const activeRuns = new Map<string, AbortController>();
  const runPromises = new Set<Promise<void>>();
  const stopRun = (requestId: string, byUserId: string): void => {
    activeRuns.get(requestId)?.abort(new Error(`stopped by ${byUserId}`));
  };
  const stopListener = deps.runSignals.onStop(stopRun);
  /** Reads a stop request this replica may have missed (its subscription was down when it was sent). */
  const catchUpOnStop = async (requestId: string): Promise<void> => {
    const byUserId = await deps.runSignals.stopRequestedBy(requestId).catch(() => undefined);
    if (byUserId) stopRun(requestId, byUserId);
  };
  const reconnectListener = deps.runSignals.onReconnect(() => {
    for (const requestId of activeRuns.keys()) void catchUpOnStop(requestId);
  });

  /**
   * Claims the request (`approved -> dispatched`, one winner across replicas), then runs it. `ExecuteCommand` is
   * called only after the claim is stored, and at most once.
   */
  async function dispatchAndRun(approved: ApprovalRecord): Promise<void> {
    let record: ApprovalRecord;
    // The policy this run is decided and run with, whatever a reload brings while it runs.
    const { policy, policyVersion } = deps.config.current();
    try {
      // The digest is recomputed from what is about to run under the policy loaded now: a policy change since the
      // approval, or any change to the bound fields, makes the claim fail instead of running on a stale approval.
      const expectedDigest = currentBindingDigest(approved, policyVersion);
      record = (await store.dispatch({ id: approved.id, dispatcher: deps.replicaId, expectedDigest })).record;
    } catch (error) {
      if (error instanceof WrongStateError) return; // another replica won the claim
      // Nothing ran; say so where people look instead of leaving an approved card that never moves. A refusal (the
      // policy changed since the approval, the approval ran out) is final. Anything else (the store unreachable)
      // leaves the request approved; where the sweeper starts such requests, it does once the store answers again.
      logger.warn({ err: error, requestId: approved.id }, 'dispatch refused; nothing ran');
      const startsLater = deps.startOrphansAfterMs !== undefined && !(error instanceof ApprovalError);
      const text = startsLater
        ? `⏳ could not start ${approved.id} yet: ${toUserMessage(error)} Nothing ran yet; it starts on its own once ` +
          'that is fixed, while the approval lasts. Cancel it if it should not run.'
        : `🚫 could not start ${approved.id}: ${toUserMessage(error)} Nothing ran; ask again if it is still needed.`;
      await notifier.postMessage(approved.channel, { text }, approved.cardMessageTs).catch(() => {});
      // A claim the store took back (not confirmed by a Redis replica) ended the request: the card says so too.
      if (error instanceof ApprovalError && error.record) await cards.refresh(error.record).catch(() => {});
      return;
    }
    // The card is not refreshed here: Slack's chat.update budget (~50/min per workspace) is better spent on the
    // final state, and the live tail shows that a longer run started.
    const cluster = clusterSettingsFor(policy, record.target.clusterAlias);
    const started = deps.clock.now();
    const pipeline = createOutputPipeline({ maxOutputBytes: policy.limits.maxOutputBytes });
    const controller = new AbortController();
    activeRuns.set(record.id, controller);
    let receivedBytes = 0;
    let runningMarked: Promise<void> | undefined;
    // The heartbeat (output or not: a quiet `sleep` is still alive) keeps the run off the stale-run sweeper; it also
    // catches up on missed stop signals, and stops the run here if another replica closed it meanwhile.
    const lease = createRunLease({
      store,
      requestId: record.id,
      replicaId: deps.replicaId,
      logger,
      heartbeatMs: deps.heartbeatMs ?? HEARTBEAT_MS,
      finalWriteRetryMs: deps.finalWriteRetryMs ?? FINAL_WRITE_RETRY_MS,
      onLost: () => controller.abort(new Error('another replica closed this run')),
    });
    const stopPoll = setInterval(() => void catchUpOnStop(record.id), deps.heartbeatMs ?? HEARTBEAT_MS);
    stopPoll.unref();
    // Every Slack write about the run goes through the lease: a replica that lost the run writes nothing.
    const fenced = lease.fence(notifier);
    const tail = createLiveTail({
      notifier: fenced,
      channel: record.channel,
      threadTs: record.cardMessageTs,
      requestId: record.id,
      render: () =>
        views.liveTail({
          requestId: record.id,
          snapshot: pipeline.snapshot(),
          elapsedMs: deps.clock.now() - started,
          bytes: receivedBytes,
        }),
      intervalMs: deps.liveTailIntervalMs ?? 1_500,
      delayMs: deps.liveTailDelayMs ?? 2_000,
      clock: deps.clock,
      logger,
    });
    let finishState: FinishState = 'error';
    let exitCode: number | null = null;
    let detail: string | undefined;
    try {
      if (!cluster) throw new Error(`cluster "${record.target.clusterAlias}" is no longer in the config`);
      tail.start();
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
          tail.changed();
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
      activeRuns.delete(record.id);
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
      // Another replica closed the run (or will, once the store is back): its ending is the one people see. The live
      // tail is left as it is rather than risk a second, contradicting final word.
      // The tail only loses its Stop button, with no outcome of its own; it writes through the fence too, so even that
      // reaches Slack only if the store still names this replica.
      await tail
        .finish(
          views.liveTail({
            requestId: record.id,
            snapshot: pipeline.snapshot(),
            elapsedMs: durationMs,
            bytes: receivedBytes,
            finalStatus: 'the card shows how',
          }),
        )
        .catch(() => {});
      logger.info(
        { requestId: record.id },
        stored.reason === 'closed_elsewhere'
          ? 'run closed by another replica; nothing posted'
          : 'final state not stored; nothing posted (a sweeper closes the run once the store answers)',
      );
      return;
    }
    await deliverResult(stored.record, output, pipeline.snapshot(), tail, fenced, policy.limits.previewLines);
  }

  /**
   * Puts the result in the thread, then refreshes the card. Each message is posted once and afterwards only updated
   * by its ts: a run with a live tail gets its result in that message (an update, which may be retried freely);
   * a quick run posts its result, which the notifier sends again only when Slack's answer proves nothing was posted.
   * When the result cannot be delivered (or Slack never confirmed the post), the card says so.
   */
  async function deliverResult(
    finished: ApprovalRecord,
    output: ReturnType<ReturnType<typeof createOutputPipeline>['result']>,
    snapshot: string,
    tail: ReturnType<typeof createLiveTail>,
    fenced: typeof notifier,
    previewLines: number,
  ): Promise<void> {
    const message = views.resultMessage(finished, output, previewLines);
    const hadTail = tail.posted();
    let delivered = hadTail && (await tail.finish(message));
    let unconfirmed = false;
    if (!delivered) {
      try {
        await fenced.postMessage(finished.channel, message, finished.cardMessageTs);
        delivered = true;
      } catch (error) {
        unconfirmed = error instanceof SlackPostUnconfirmedError;
        logger.error({ err: error, requestId: finished.id }, 'result not posted in the thread');
      }
    }
    if (delivered && message.upload) {
      await fenced
        .uploadFile({ channel: finished.channel, threadTs: finished.cardMessageTs, ...message.upload })
        .catch((error: unknown) => logger.error({ err: error, requestId: finished.id }, 'output file not uploaded'));
    }
    const note = delivered ? undefined : undeliveredNote(finished, unconfirmed);
    await cards.refresh(finished, note).catch((error: unknown) => {
      logger.error({ err: error, requestId: finished.id }, 'final card update failed');
    });
    if (!hadTail) await tail.finish(views.liveTailDone(finished, snapshot));
  }

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

  let closing = false;

  return {
    start(record) {
      if (closing) {
        // Shutdown waits for in-flight Slack handlers before closing the dispatcher, so this is a bug if it happens.
        logger.error({ requestId: record.id }, 'run not started: the dispatcher is closed');
        return;
      }
      const promise = dispatchAndRun(record).catch((error: unknown) => {
        logger.error({ err: error, requestId: record.id }, 'run failed unexpectedly');
      });
      runPromises.add(promise);
      void promise.finally(() => runPromises.delete(promise));
    },
    async close(graceMs = 0) {
      closing = true;
      if (graceMs > 0 && runPromises.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...runPromises]),
          new Promise((resolve) => {
            timer = setTimeout(resolve, graceMs);
          }),
        ]);
        clearTimeout(timer);
      }
      stopListener();
      reconnectListener();
      for (const controller of activeRuns.values()) controller.abort(new Error('the bot was shut down'));
      await Promise.allSettled([...runPromises]);
    },
  };
}

/** What the card says when the result could not be put in the thread. */
function undeliveredNote(record: ApprovalRecord, unconfirmed: boolean): string {
  const digest = record.result?.sha256 ? ` (output sha256 ${record.result.sha256.slice(0, 12)}…)` : '';
  return unconfirmed
    ? `⚠ Slack did not confirm the result reply in the thread; it may be missing. Exit code and output digest${digest} are in the audit log.`
    : `⚠ The output could not be delivered to Slack. Exit code and output digest${digest} are in the audit log.`;
}
