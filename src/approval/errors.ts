import { BotError, type ErrorCode } from '../errors.js';
import type { ApprovalRecord } from './approval-port.js';

/**
 * Codes the transition scripts return, mirrored by the in-process store so both produce identical errors.
 * Keep in sync with the `Output:` blocks of `scripts/*.lua`.
 */
export const ApprovalErrorCode = {
  NotFound: -1,
  WrongState: -2,
  Expired: -3,
  SelfApproval: -4,
  NotEligible: -5,
  AlreadyApproved: -6,
  DigestMismatch: -7,
  VersionConflict: -8,
  IdTaken: -9,
  BreakGlassNotAllowed: -10,
  ReasonRequired: -11,
  ContextMismatch: -12,
  /** Not from a script: the dispatch was stored but not confirmed by enough replicas (Node-side check). */
  NotDurable: -13,
} as const;
/** One script result code. */
export type ApprovalErrorCode = (typeof ApprovalErrorCode)[keyof typeof ApprovalErrorCode];

/** Audit `outcome` names for the codes, so refusals read the same in Redis and in the embedded store. */
export const OUTCOME_BY_CODE: Readonly<Record<ApprovalErrorCode, string>> = {
  [-1]: 'not_found',
  [-2]: 'wrong_state',
  [-3]: 'expired',
  [-4]: 'self_approval',
  [-5]: 'not_eligible',
  [-6]: 'already_approved',
  [-7]: 'digest_mismatch',
  [-8]: 'version_conflict',
  [-9]: 'id_taken',
  [-10]: 'break_glass_not_allowed',
  [-11]: 'reason_required',
  [-12]: 'context_mismatch',
  [-13]: 'not_durable',
};

/** Base of every refusal by the approval state machine. `record` is the request as it stood when refused. */
export abstract class ApprovalError extends BotError {
  abstract override readonly code: ErrorCode;
  abstract readonly luaCode: ApprovalErrorCode;
  readonly requestId: string;
  readonly record: ApprovalRecord | undefined;

  constructor(requestId: string, record: ApprovalRecord | undefined, message: string, userMessage: string) {
    super(message, { userMessage });
    this.requestId = requestId;
    this.record = record;
  }
}

/** No request has that id. */
export class RequestNotFoundError extends ApprovalError {
  readonly code = 'approval.not_found';
  readonly luaCode = ApprovalErrorCode.NotFound;
  constructor(id: string) {
    super(id, undefined, `request ${id} not found`, `There is no request ${id}.`);
  }
}

/** The request is no longer in a state where this action applies (already decided, dispatched or final). */
export class WrongStateError extends ApprovalError {
  readonly code = 'approval.wrong_state';
  readonly luaCode = ApprovalErrorCode.WrongState;
  constructor(id: string, record: ApprovalRecord | undefined, action: string) {
    const state = record?.state ?? 'unknown';
    super(
      id,
      record,
      `request ${id} cannot ${action} in state ${state}`,
      `Request ${id} is already ${state.replace('_', ' ')}; it cannot ${action} any more.`,
    );
  }
}

/** The request expired by the store clock; it is now `expired` and nothing ran. */
export class RequestExpiredError extends ApprovalError {
  readonly code = 'approval.expired';
  readonly luaCode = ApprovalErrorCode.Expired;
  constructor(id: string, record: ApprovalRecord | undefined) {
    super(id, record, `request ${id} expired`, `Request ${id} has expired. Nothing ran; ask again if still needed.`);
  }
}

/** The requester tried to approve their own request where the rule forbids it. */
export class SelfApprovalError extends ApprovalError {
  readonly code = 'approval.self_approval';
  readonly luaCode = ApprovalErrorCode.SelfApproval;
  constructor(id: string, record: ApprovalRecord | undefined) {
    super(
      id,
      record,
      `requester may not approve ${id}`,
      `You asked for ${id}, so you cannot approve it: the rule needs someone else.`,
    );
  }
}

/** The user is not in the approver groups as resolved at click time. */
export class NotEligibleApproverError extends ApprovalError {
  readonly code = 'approval.not_eligible';
  readonly luaCode = ApprovalErrorCode.NotEligible;
  constructor(id: string, record: ApprovalRecord | undefined) {
    const groups = record?.approval.approverGroups.map((group) => `@${group}`).join(', ') ?? 'the approver groups';
    super(id, record, `user not eligible to decide ${id}`, `Only members of ${groups} can decide on ${id}.`);
  }
}

/** This approver was already counted; approvals must come from distinct people. */
export class AlreadyApprovedError extends ApprovalError {
  readonly code = 'approval.already_approved';
  readonly luaCode = ApprovalErrorCode.AlreadyApproved;
  constructor(id: string, record: ApprovalRecord | undefined) {
    super(id, record, `same approver twice on ${id}`, `You already approved ${id}; it needs a different approver.`);
  }
}

/** What would run no longer matches what was approved (target, command, requester, runbook or policy). */
export class DigestMismatchError extends ApprovalError {
  readonly code = 'approval.digest_mismatch';
  readonly luaCode = ApprovalErrorCode.DigestMismatch;
  constructor(id: string, record: ApprovalRecord | undefined) {
    super(
      id,
      record,
      `binding digest of ${id} does not match`,
      `What would run for ${id} is no longer what was approved (target, command or policy changed). Ask again.`,
    );
  }
}

/** The request changed after the caller read it (optimistic version check). */
export class VersionConflictError extends ApprovalError {
  readonly code = 'approval.version_conflict';
  readonly luaCode = ApprovalErrorCode.VersionConflict;
  constructor(id: string, record: ApprovalRecord | undefined) {
    super(id, record, `request ${id} changed meanwhile`, `Request ${id} changed while you looked at it. Try again.`);
  }
}

/** No free request id could be allocated. */
export class RequestIdTakenError extends ApprovalError {
  readonly code = 'approval.id_taken';
  readonly luaCode = ApprovalErrorCode.IdTaken;
  constructor(id: string) {
    super(id, undefined, `request id ${id} already exists`, 'Could not allocate a request id. Try again.');
  }
}

/** Break-glass used by someone other than the requester, or where the rule does not allow it. */
export class BreakGlassNotAllowedError extends ApprovalError {
  readonly code = 'approval.break_glass_not_allowed';
  readonly luaCode = ApprovalErrorCode.BreakGlassNotAllowed;
  constructor(id: string, record: ApprovalRecord | undefined) {
    super(
      id,
      record,
      `break-glass not allowed for ${id}`,
      `Break-glass is not allowed for ${id}: only the requester can use it, and only where the rule permits it.`,
    );
  }
}

/** Break-glass without a reason. */
export class ReasonRequiredError extends ApprovalError {
  readonly code = 'approval.reason_required';
  readonly luaCode = ApprovalErrorCode.ReasonRequired;
  constructor(id: string, record: ApprovalRecord | undefined) {
    super(id, record, `reason required for ${id}`, 'Break-glass needs a reason: add --reason "why this cannot wait".');
  }
}

/** The click came from another channel or an old copy of the card. */
export class ClickContextMismatchError extends ApprovalError {
  readonly code = 'approval.context_mismatch';
  readonly luaCode = ApprovalErrorCode.ContextMismatch;
  constructor(id: string, record: ApprovalRecord | undefined) {
    super(
      id,
      record,
      `click for ${id} came from another channel or message`,
      `That button is not on the current card for ${id}. Use the card in the request's channel.`,
    );
  }
}

/** The dispatch was not confirmed by enough Redis replicas; the request was closed as `error`, nothing ran. */
export class DispatchNotDurableError extends ApprovalError {
  readonly code = 'approval.not_durable';
  readonly luaCode = ApprovalErrorCode.NotDurable;
  constructor(id: string, record: ApprovalRecord | undefined) {
    super(
      id,
      record,
      `dispatch of ${id} was not confirmed by enough Redis replicas`,
      `Request ${id} was not started: no Redis replica confirmed its start in time, so a Redis failover could ` +
        'forget it and run the command twice. Nothing ran; ask again, and tell whoever runs Redis if it keeps happening.',
    );
  }
}

/**
 * Maps a negative script code to its error, once, for both stores (bullmq's `finished-errors.ts` idea): the same
 * refusal reads the same whichever backend produced it.
 */
export function toApprovalError(
  code: number,
  context: { id: string; record?: ApprovalRecord | undefined; action: string },
): ApprovalError {
  const { id, record, action } = context;
  switch (code) {
    case ApprovalErrorCode.NotFound:
      return new RequestNotFoundError(id);
    case ApprovalErrorCode.WrongState:
      return new WrongStateError(id, record, action);
    case ApprovalErrorCode.Expired:
      return new RequestExpiredError(id, record);
    case ApprovalErrorCode.SelfApproval:
      return new SelfApprovalError(id, record);
    case ApprovalErrorCode.NotEligible:
      return new NotEligibleApproverError(id, record);
    case ApprovalErrorCode.AlreadyApproved:
      return new AlreadyApprovedError(id, record);
    case ApprovalErrorCode.DigestMismatch:
      return new DigestMismatchError(id, record);
    case ApprovalErrorCode.VersionConflict:
      return new VersionConflictError(id, record);
    case ApprovalErrorCode.IdTaken:
      return new RequestIdTakenError(id);
    case ApprovalErrorCode.BreakGlassNotAllowed:
      return new BreakGlassNotAllowedError(id, record);
    case ApprovalErrorCode.ReasonRequired:
      return new ReasonRequiredError(id, record);
    case ApprovalErrorCode.ContextMismatch:
      return new ClickContextMismatchError(id, record);
    case ApprovalErrorCode.NotDurable:
      return new DispatchNotDurableError(id, record);
    default:
      throw new Error(`unknown approval script code ${code} for ${id}`);
  }
}
