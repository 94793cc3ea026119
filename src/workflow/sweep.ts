import { currentBindingDigest } from '../approval/binding-digest.js';
import { createApprovalNudges } from './approval-nudges.js';
import type { RunDispatcher } from './dispatch.js';
import type { RequestCards } from './request-cards.js';
import { STALE_RUN_MS } from './run-lease.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** How often the sweeper looks (production): with STALE_RUN_MS, a dead replica's run is closed within 20 s. */
const SWEEP_EVERY_MS = 5_000;

export interface Sweeper {
  /** One pass; returns how many requests it closed. */
  sweep(): Promise<number>;
  stop(): void;
}

/**
 * Moves on what nobody else will: requests whose approval window passed, approved requests that were never
 * started, and runs whose replica stopped sending heartbeats (it died mid-run). Expired and lost ones get their
 * card updated; a lost run also gets a final status in its thread saying the command may still be running, and is
 * never re-run. With a store that cannot forget a claim, a request approved but not started (its replica stopped in
 * between) is started here: the claim lets exactly one replica run it, and only while it matches the loaded policy.
 */
export function createSweeper(deps: WorkflowDeps, cards: RequestCards, runs: RunDispatcher): Sweeper {
  const { store, chat, logger } = deps;
  const staleRunMs = deps.staleRunMs ?? STALE_RUN_MS;
  const nudges = createApprovalNudges(deps);
  /**
   * Since when this replica has reached the store without a failed pass. A run's owner that was cut off from the
   * store as well (an outage, not its death) renews its heartbeat, or lands its final write, within one heartbeat of
   * the store answering again; so a missing heartbeat proves death only once the store has been reachable for a
   * whole stale period. Without this, the first pass after an outage longer than that period would close every
   * run as interrupted, including ones whose owners are alive and about to store their real ending.
   */
  let reachableSince: number | undefined;

  async function sweep(): Promise<number> {
    try {
      const closed = await pass();
      // Counted from the end of the first whole pass: one that began while the store was away proves nothing.
      reachableSince ??= deps.clock.now();
      return closed;
    } catch (error) {
      reachableSince = undefined;
      throw error;
    }
  }

  async function pass(): Promise<number> {
    const expired = await store.expireDue();
    for (const { record } of expired) await cards.refresh(record).catch(() => {});
    // After the expiry pass, so a request that just ran out is not nudged; a failed nudge waits for the next sweep.
    await nudges.sweep().catch((error: unknown) => logger.warn({ err: error }, 'approver nudges failed'));
    const startAfter = deps.startOrphansAfterMs;
    const waiting = startAfter === undefined ? [] : await store.listWaitingForDispatch(deps.clock.now() - startAfter);
    for (const record of waiting) {
      // Under another policy the claim would be refused and say so in the thread at every sweep; left alone, the
      // request expires with its card updated.
      if (currentBindingDigest(record, deps.config.current().policyVersion) !== record.digest) continue;
      // Without a card its requester was told nothing ran (posting the card failed): it must never start.
      if (record.cardRef === '') continue;
      logger.info({ requestId: record.id }, 'starting a run whose approval was never started');
      runs.start(record);
    }
    if (reachableSince === undefined || deps.clock.now() - reachableSince < staleRunMs) return expired.length;
    const stale = await store.interruptStale(staleRunMs);
    for (const { record } of stale) {
      await cards.refresh(record).catch(() => {});
      await chat.tellThread(record, { kind: 'interrupted' }, deps.config.current().policy).catch(() => {});
    }
    return expired.length + stale.length;
  }

  const sweepEvery = deps.expirySweepIntervalMs ?? SWEEP_EVERY_MS;
  const timer =
    sweepEvery > 0
      ? setInterval(() => {
          void sweep().catch((error: unknown) => logger.warn({ err: error }, 'expiry sweep failed'));
        }, sweepEvery)
      : undefined;
  timer?.unref();
  return {
    sweep,
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
