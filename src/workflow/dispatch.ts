import type { ApprovalRecord } from '../approval/approval-port.js';
import { currentBindingDigest } from '../approval/binding-digest.js';
import { ApprovalError, WrongStateError } from '../approval/errors.js';
import { toUserMessage } from '../errors.js';
import type { RequestCards } from './request-cards.js';
import type { RunStep } from './run-step.js';
import type { WorkflowDeps } from './workflow-deps.js';

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
 * Claims and hands over: `approved -> dispatched` (one winner across replicas), then the run step, with stop signals
 * from any replica reaching the run wherever it is.
 */
export function createRunDispatcher(deps: WorkflowDeps, cards: RequestCards, runStep: RunStep): RunDispatcher {
  const { store, chat, logger } = deps;
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
      await chat
        .tellThread(approved, { kind: 'not_started', why: toUserMessage(error), startsLater }, policy)
        .catch(() => {});
      // A claim the store took back (not confirmed by a Redis replica) ended the request: the card says so too.
      if (error instanceof ApprovalError && error.record) await cards.refresh(error.record).catch(() => {});
      return;
    }
    const controller = new AbortController();
    activeRuns.set(record.id, controller);
    try {
      await runStep(record, { controller, catchUpOnStop: () => void catchUpOnStop(record.id), policy });
    } finally {
      activeRuns.delete(record.id);
    }
  }

  let closing = false;

  return {
    start(record) {
      if (closing) {
        // Shutdown waits for in-flight chat handlers before closing the dispatcher, so this is a bug if it happens.
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
