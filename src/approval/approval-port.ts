import type { AuditEntry } from '../audit/audit-entry.js';
import type { FleetLimits, FleetSelection } from '../fleet/limits.js';
import type { FinishState, RequestState } from './request-state.js';

export {
  type FinishState,
  isTerminal,
  RequestState,
  TERMINAL_STATES,
} from './request-state.js';

/** The container a request runs in, as resolved before anyone approves it. */
export interface ResolvedTarget {
  /** Cluster alias from the config (what users type). */
  clusterAlias: string;
  /** Full cluster ARN or name passed to ECS. */
  cluster: string;
  taskArn: string;
  container: string;
}

/**
 * A request that runs on several tasks of one service under one approval: the service, which of its tasks, the rate
 * rules, and how many tasks were planned when it was asked (what approvers saw and the approval binds).
 */
export interface FleetScope {
  service: string;
  selection: FleetSelection;
  limits: FleetLimits;
  /** Tasks the command was planned to run on at request time; no more ever run. */
  taskCount: number;
  /** Tasks of the service that could not take the command at request time (agent not RUNNING, ...). */
  skipped: number;
  /** The rule's cap on fan-out, for the card. */
  maxTasks: number;
}

/** What an approval must look like, copied from the matching rule when the request is made. */
export interface ApprovalRequirement {
  /** Policy group names whose members may approve (shown as "1 of @sre"). */
  approverGroups: readonly string[];
  /** Distinct eligible approvers needed; 0 means the rule needs no approval. */
  count: number;
  /** Whether the requester may count as one of the approvers. */
  selfApproval: boolean;
  /** Whether the rule lets the requester skip approval with `--break-glass` and a reason. */
  breakGlassAllowed: boolean;
}

/** One approver's click that was counted. */
export interface Approval {
  userId: string;
  atMs: number;
}

/** What the run produced, stored with the terminal state and written to the audit log. */
export interface RunResult {
  exitCode?: number;
  /** Output bytes captured (after reassembly, before truncation). */
  bytes: number;
  /** SHA-256 (hex) of the captured output. */
  sha256: string;
  /** How many secrets were redacted from what was shown or uploaded. */
  redactions: number;
  durationMs?: number;
  /** Why the run ended that way, in plain words (timeout, lost session, ECS refusal). */
  detail?: string;
}

/** A request as stored: immutable facts from creation plus the mutable lifecycle fields. */
export interface ApprovalRecord {
  /** Short, human-typable id such as `r-7f3k2m`. */
  id: string;
  state: RequestState;
  /** Increases by one on every stored change; callers may CAS on it. */
  version: number;
  requester: string;
  channel: string;
  /**
   * The request card's message within `channel`, as the chat adapter identifies it (opaque here: only kept and
   * compared); empty until the card is posted.
   */
  cardRef: string;
  target: ResolvedTarget;
  /** The exact command that will run, as shown on the card. */
  command: string;
  runbook?: string;
  params: Readonly<Record<string, string>>;
  reason: string;
  ruleName: string;
  policyVersion: string;
  approval: ApprovalRequirement;
  approvals: readonly Approval[];
  breakGlass: boolean;
  breakGlassReason?: string;
  deniedBy?: string;
  denyReason?: string;
  cancelledBy?: string;
  sessionId?: string;
  /** The replica that won the dispatch claim: the only one that may write about the run until it ends. */
  owner?: string;
  result?: RunResult;
  createdAtMs: number;
  expiresAtMs: number;
  updatedAtMs: number;
  /** How long the run may take once dispatched. */
  timeoutMs?: number;
  /** Run without the exit-code wrapper. */
  noWrap?: boolean;
  /** SHA-256 over the canonical binding (see `bindingDigest`); an approval is only good for this exact run. */
  digest: string;
  /** Set for a fan-out: `target.taskArn` is then empty and the tasks are chosen again (never more) at dispatch. */
  fleet?: FleetScope;
}

/** What a caller supplies to create a request; the store assigns id, state, version and timestamps. */
export interface CreateRequestInput {
  requester: string;
  channel: string;
  target: ResolvedTarget;
  command: string;
  runbook?: string;
  params?: Readonly<Record<string, string>>;
  reason: string;
  ruleName: string;
  policyVersion: string;
  approval: ApprovalRequirement;
  /** How long approvers have; the request expires (by the store's clock) after this. */
  ttlMs: number;
  /** How long the run may take once dispatched (rule, runbook or `--timeout`, capped by the limit). */
  timeoutMs?: number;
  /** Run the command as given, without the exit-code wrapper (`--no-wrap`). */
  noWrap?: boolean;
  /** A fan-out over the service's tasks instead of one task. */
  fleet?: FleetScope;
  /** Set by a retried command or chat event so the same request is not created twice. */
  idempotencyKey?: string;
}

/**
 * Where a button was clicked: the conversation and the message the button sits on, as the chat adapter identifies
 * it. Both must match the stored request (its channel and card reference) or the click is refused.
 */
export interface ClickContext {
  conversation: string;
  messageRef: string;
  /**
   * `home`: the button sits on the person's own Home view, which only the bot publishes and which carries no message;
   * the card check is replaced by the binding the view showed (`expectedDigest`, required), and the audit entry
   * records the origin. Absent: a click on a message, checked against the stored card.
   */
  origin?: 'home';
}

/** Fields every decision call shares. */
export interface DecisionInput {
  id: string;
  userId: string;
  /** Refuse unless the record is still at this version (optimistic concurrency from a card the user saw). */
  expectedVersion?: number;
  /** Refuse unless the request is still bound to this digest. */
  expectedDigest?: string;
  context?: ClickContext;
  /** Unique per user action (e.g. the chat interaction + user); a repeat with the same key returns the first answer. */
  idempotencyKey?: string;
}

/** An approve click. `eligibleApprovers` is resolved from the approver groups at click time (see ApproverDirectory). */
export interface ApproveInput extends DecisionInput {
  eligibleApprovers: readonly string[];
}

/** A deny click; eligibility is checked like approvals, so only someone who could approve can deny. */
export interface DenyInput extends DecisionInput {
  eligibleApprovers: readonly string[];
  reason?: string;
}

/** A cancel by the requester, or by an eligible approver. */
export interface CancelInput extends DecisionInput {
  eligibleApprovers: readonly string[];
}

/** The requester skipping approval where the rule allows it. */
export interface BreakGlassInput extends DecisionInput {
  reason: string;
}

/** The executor claiming a request; `expectedDigest` is recomputed from what is about to run. */
export interface DispatchInput {
  id: string;
  /** Replica or worker id, recorded in the audit entry. */
  dispatcher: string;
  expectedDigest: string;
  idempotencyKey?: string;
}

/** A policy or parse rejection: nothing is stored but an audit entry. */
export interface RejectionInput {
  requester: string;
  channel: string;
  /** What was asked, as typed (it may be hostile; it is only stored, never run). */
  requestText: string;
  why: string;
  ruleName?: string;
  /** The version of the policy that refused it, for its audit entry. */
  policyVersion?: string;
}

/** Something that happened to a request without changing it: a stop asked for or refused, a reminder sent. */
export interface RequestEventInput {
  /** The request as the caller saw it; its state and version go into the entry. */
  record: Pick<ApprovalRecord, 'id' | 'state' | 'version'> & Partial<Pick<ApprovalRecord, 'policyVersion'>>;
  action: 'stop' | 'remind' | 'task_run';
  /** Chat user id, or the replica that acted. */
  actor: string;
  /** `ok`, or why it was refused. */
  outcome: string;
  detail?: Readonly<Record<string, unknown>>;
  /**
   * Record it once only: the first call with this marker (on any replica, while the marker lasts) writes the entry,
   * later ones write nothing and get undefined. How reminders are sent once although every replica looks.
   */
  once?: { marker: string; ttlMs: number };
}

/** Outcome of a store call that changed (or deliberately refused to change) a request. */
export interface TransitionResult {
  record: ApprovalRecord;
  /** The audit entry written by the same atomic step. */
  audit: AuditEntry;
}

/**
 * Resolves who may approve at the moment of a click (group membership changes; the cache is at most 60 s old).
 * `'*'` in the answer means "any user".
 */
export interface ApproverDirectory {
  eligibleApprovers(requirement: ApprovalRequirement): Promise<readonly string[]>;
}

/**
 * The approval state machine's storage. Every mutating call is one atomic compare-and-set plus one audit entry;
 * refusals throw an `ApprovalError` subclass (which carries the record when there is one) and are audited too.
 */
export interface ApprovalStore {
  /** Stores a new request: `pending_approval`, or `approved` at once when the rule needs no approval. */
  create(input: CreateRequestInput): Promise<TransitionResult>;
  get(id: string): Promise<ApprovalRecord | undefined>;
  /** Records where the request card was posted, so later clicks can be checked against it. */
  attachCard(id: string, context: ClickContext): Promise<TransitionResult>;
  approve(input: ApproveInput): Promise<TransitionResult>;
  deny(input: DenyInput): Promise<TransitionResult>;
  cancel(input: CancelInput): Promise<TransitionResult>;
  breakGlass(input: BreakGlassInput): Promise<TransitionResult>;
  /** Moves every request whose expiry passed (store clock) to `expired`; returns those it moved. */
  expireDue(limit?: number): Promise<TransitionResult[]>;
  /** `approved -> dispatched`: exactly one caller wins; everyone else gets `WrongStateError`. */
  dispatch(input: DispatchInput): Promise<TransitionResult>;
  markRunning(id: string, sessionId: string): Promise<TransitionResult>;
  /** Marks a dispatched or running request as alive (call while output flows), keeping it off `interruptStale`. */
  reportProgress(id: string): Promise<void>;
  /**
   * Closes requests that were dispatched or running but showed no progress for `idleForMs` (their replica died) as
   * `interrupted`: the command may have run, and nothing re-runs it. Returns the requests it closed.
   */
  interruptStale(idleForMs: number, limit?: number): Promise<TransitionResult[]>;
  /**
   * Ends a dispatched or running request. A caller that retries after losing the answer passes the same
   * `idempotencyKey` and gets the first answer back instead of a refusal.
   */
  finish(id: string, state: FinishState, result: RunResult, idempotencyKey?: string): Promise<TransitionResult>;
  /**
   * Whether `owner` still holds the run: the request is dispatched or running and that replica claimed it. One cheap
   * read, made right before each Slack write about a run so a replica that was paused while another closed the run
   * writes nothing.
   */
  ownsRun(id: string, owner: string): Promise<boolean>;
  /**
   * Requests still `approved` (not dispatched, not expired) whose last change is at or before `approvedBeforeMs`:
   * the replica that took the approval stopped before it could start them. Oldest first.
   */
  listWaitingForDispatch(approvedBeforeMs: number, limit?: number): Promise<ApprovalRecord[]>;
  recordRejection(input: RejectionInput): Promise<AuditEntry>;
  /** Audits an event that changes nothing in the request; undefined when `once` says it was already recorded. */
  recordEvent(input: RequestEventInput): Promise<AuditEntry | undefined>;
  /** Requests waiting for approval (not yet expired), oldest first. */
  listPending(limit?: number): Promise<ApprovalRecord[]>;
  /** Newest first. */
  listByRequester(requester: string, limit: number): Promise<ApprovalRecord[]>;
  /** Newest first, all requesters. */
  recent(limit: number): Promise<ApprovalRecord[]>;
}
