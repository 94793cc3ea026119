import type { ApprovalRecord, DecisionInput, RequestState } from './approval-port.js';
import { ApprovalErrorCode } from './errors.js';

/**
 * Why a click is refused before it is decided, checked in the same order as `clickGuards` in the Lua include; the
 * expiry check comes after these, and undefined means none applies.
 */
export function clickRefusal(
  input: DecisionInput,
  record: ApprovalRecord | undefined,
  allowedStates: ReadonlySet<RequestState>,
): { code: number; detail?: Record<string, unknown> } | undefined {
  if (!record) return { code: ApprovalErrorCode.NotFound };
  if (!allowedStates.has(record.state)) return { code: ApprovalErrorCode.WrongState };
  if (input.expectedVersion !== undefined && input.expectedVersion !== record.version) {
    return { code: ApprovalErrorCode.VersionConflict };
  }
  const context = input.context;
  if (context?.origin === 'home') {
    if (input.expectedDigest === undefined || input.expectedDigest === '') {
      return { code: ApprovalErrorCode.ContextMismatch, detail: { ...context } };
    }
  } else if (
    context &&
    (!context.conversation ||
      !context.messageRef ||
      context.conversation !== record.channel ||
      context.messageRef !== record.cardRef)
  ) {
    return { code: ApprovalErrorCode.ContextMismatch, detail: { ...context } };
  }
  if (input.expectedDigest !== undefined && input.expectedDigest !== record.digest) {
    return { code: ApprovalErrorCode.DigestMismatch, detail: { presented: input.expectedDigest } };
  }
  return undefined;
}

/** Whether `userId` is on the list of who may decide ('*': anyone), as `isEligible` in the Lua include. */
export function isEligible(eligible: readonly string[], userId: string): boolean {
  return eligible.includes(userId) || eligible.includes('*');
}
