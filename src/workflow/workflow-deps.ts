import type { ApprovalStore } from '../approval/approval-port.js';
import type { RunSignals } from '../approval/run-signals.js';
import type { PolicyHolder } from '../config/policy-holder.js';
import type { ExecEngine } from '../ecs/exec-engine.js';
import type { UserGroupResolver } from '../policy/user-group-resolver-port.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { ChatPort } from './chat-port.js';

/** Whether someone may decide on requests at all, whatever their groups say. */
export type Standing = { ok: true } | { ok: false; reason: string };

/** Answers "is this a full member of our workspace?" for the approval checks. */
export interface PeopleDirectory {
  standing(userId: string): Promise<Standing>;
}

/** Everything the request workflow uses; the composition root (main.ts, the playground) builds each adapter. */
export interface WorkflowDeps {
  /** The policy in force; a request reads it once, when it is decided (it may be reloaded meanwhile). */
  config: PolicyHolder;
  store: ApprovalStore;
  chat: ChatPort;
  /** Chat user-group membership, cached for at most 60 s. */
  userGroups: UserGroupResolver;
  /** Whether a clicker is a full member of the workspace (no guests, no external or deactivated accounts). */
  people: PeopleDirectory;
  engine: ExecEngine;
  /** Stop requests between replicas: the one running a command acts on them. */
  runSignals: RunSignals;
  clock: Clock;
  logger: Logger;
  /** This process's name in audit entries (`dispatched by`). */
  replicaId: string;
  /** Minimum time between two live-tail updates of one run (the chat may slow it further). */
  liveTailIntervalMs?: number;
  /** How long a run must last before it gets a live tail at all. */
  liveTailDelayMs?: number;
  /** How often stale requests are looked for; 0 turns the sweeper off (tests drive it by hand). */
  expirySweepIntervalMs?: number;
  /** Whether a starting bot brings the cards of recently closed requests up to date (default true). */
  reconcileCardsOnStart?: boolean;
  /** How often a run's owner renews its hold on the run (default 5 s). */
  heartbeatMs?: number;
  /** How long a run may go without a heartbeat before the sweeper closes it as interrupted (default 15 s). */
  staleRunMs?: number;
  /** How long the owner keeps retrying a run's final write while the store is unreachable (default 10 min). */
  finalWriteRetryMs?: number;
  /**
   * How long an approved request may wait to be started before the sweeper starts it (its replica stopped between
   * the approval and the start; the normal path starts at once). Undefined: never; such a request waits for its
   * expiry. Only a store that cannot forget a stored claim may set it: one that loses the `dispatched` write in a
   * crash would show the request approved again after its command already started, and it would run twice.
   */
  startOrphansAfterMs?: number;
}

/** The workflow's pacing knobs, which tests and the playground tighten. */
export type FlowTuning = Partial<
  Pick<
    WorkflowDeps,
    | 'liveTailIntervalMs'
    | 'liveTailDelayMs'
    | 'expirySweepIntervalMs'
    | 'heartbeatMs'
    | 'staleRunMs'
    | 'finalWriteRetryMs'
  >
>;
