import type { ApprovalRecord, ApprovalStore, FinishState, RunResult } from '../approval/approval-port.js';
import { ApprovalError } from '../approval/errors.js';
import type { Logger } from '../shared/logger.js';

/** How often a running request says it is alive (production); the stale-run sweeper waits three of these. */
export const HEARTBEAT_MS = 5_000;
/** How long without a heartbeat means a run's replica died (production). */
export const STALE_RUN_MS = 15_000;
/** How long the owner keeps trying to store a run's final state while the store is unreachable (production). */
export const FINAL_WRITE_RETRY_MS = 10 * 60_000;

/** Raised instead of a chat write about a run this replica no longer holds. */
export class RunNotOwnedError extends Error {
  constructor(requestId: string) {
    super(`this replica no longer holds ${requestId}; another replica closed it`);
    this.name = 'RunNotOwnedError';
  }
}

export interface RunLeaseOptions {
  store: ApprovalStore;
  requestId: string;
  replicaId: string;
  logger: Logger;
  heartbeatMs: number;
  finalWriteRetryMs: number;
  /** Called when the store says another replica closed the run (this one was paused or cut off too long). */
  onLost: () => void;
  sleep?: (ms: number) => Promise<void>;
}

/** How storing the final state ended. */
export type FinalWrite =
  | { landed: true; record: ApprovalRecord }
  /** The store holds another ending (the sweeper closed the run): nothing about the run may be posted. */
  | { landed: false; reason: 'closed_elsewhere'; record?: ApprovalRecord }
  /** The store stayed unreachable for the whole retry budget; its sweeper posts the run as interrupted later. */
  | { landed: false; reason: 'unreachable' };

export interface RunLease {
  /**
   * Stores the final state, retrying with backoff while the store is unreachable (the heartbeat goes on meanwhile,
   * so no sweeper takes the run for dead). Every attempt carries the same idempotency key: an attempt that landed
   * but whose answer was lost is answered with its first reply, not refused as a second ending.
   */
  finish(state: FinishState, result: RunResult): Promise<FinalWrite>;
  /**
   * Resolves while this replica holds the run, or after its own final write landed; rejects with RunNotOwnedError
   * once another replica closed it. Every chat write about the run waits on it.
   */
  mayWrite(): Promise<void>;
  /** Stops the heartbeat (after the final write, or when the run ends any other way). */
  release(): void;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The owner's hold on a run it dispatched: a heartbeat that keeps the run off the stale-run sweeper (and notices
 * when another replica closed it), the fence every chat write about the run passes, and the final write.
 */
export function createRunLease(options: RunLeaseOptions): RunLease {
  const { store, requestId, replicaId, logger } = options;
  const sleep = options.sleep ?? defaultSleep;
  let finalLanded = false;
  let lost = false;
  const beat = async (): Promise<void> => {
    try {
      await store.reportProgress(requestId);
      if (!finalLanded && !(await store.ownsRun(requestId, replicaId)) && !lost) {
        lost = true;
        logger.warn({ requestId }, 'another replica closed this run; stopping it here');
        options.onLost();
      }
    } catch {
      // The store is unreachable: the next beat tries again; the sweepers cannot reach it either.
    }
  };
  const heartbeat = setInterval(() => void beat(), options.heartbeatMs);
  heartbeat.unref();

  const mayWrite = async (): Promise<void> => {
    if (finalLanded) return;
    if (lost || !(await store.ownsRun(requestId, replicaId))) throw new RunNotOwnedError(requestId);
  };

  return {
    async finish(state, result) {
      const key = `final:${replicaId}`;
      const deadline = Date.now() + options.finalWriteRetryMs;
      for (let attempt = 0; ; attempt += 1) {
        try {
          const { record } = await store.finish(requestId, state, result, key);
          finalLanded = true;
          return { landed: true, record };
        } catch (error) {
          if (error instanceof ApprovalError) {
            logger.warn({ err: error, requestId }, 'the store holds another ending for this run; posting nothing');
            return { landed: false, reason: 'closed_elsewhere', ...(error.record ? { record: error.record } : {}) };
          }
          if (Date.now() >= deadline) {
            logger.error(
              { err: error, requestId, state, result },
              'could not store the final state; the run will be closed as interrupted when the store is back',
            );
            return { landed: false, reason: 'unreachable' };
          }
          // Backoff capped at the heartbeat period: once the store answers again, the final write lands at least as
          // soon as a heartbeat would, well before any sweeper could take the run for dead.
          const waitMs = Math.min(100 * 2 ** attempt, options.heartbeatMs);
          logger.warn({ err: error, requestId, attempt, waitMs }, 'final state not stored yet; retrying');
          await sleep(waitMs);
        }
      }
    },
    mayWrite,
    release() {
      clearInterval(heartbeat);
    },
  };
}
