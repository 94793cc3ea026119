import type { ApprovalRecord, ClickContext, TransitionResult } from '../approval/approval-port.js';
import { currentBindingDigest } from '../approval/binding-digest.js';
import { ApprovalError, WrongStateError } from '../approval/errors.js';
import type { Asker } from './chat-port.js';
import type { RunDispatcher } from './dispatch.js';
import { eligibleDeciders } from './eligible.js';
import type { RequestCards } from './request-cards.js';
import type { StaleCards } from './stale-cards.js';
import { authorizeStop } from './stop-permission.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** What people decide on a request: approve, deny, cancel, stop. Every refusal is a private explanation. */
export interface Decisions {
  approve(requestId: string, asker: Asker): Promise<void>;
  /** The first half of a deny: checks the person may deny, then asks for the optional reason. */
  askToDeny(requestId: string, asker: Asker): Promise<void>;
  deny(requestId: string, asker: Asker, reason?: string): Promise<void>;
  /** Cancels a waiting request, or stops a running one; from a card, a typed command or a running view. */
  cancel(requestId: string, asker: Asker): Promise<void>;
  /** Stop, from a view that follows the run (not the card). */
  stop(requestId: string, asker: Asker): Promise<void>;
}

export function createDecisions(
  deps: WorkflowDeps,
  cards: RequestCards,
  staleCards: StaleCards,
  runs: RunDispatcher,
  reject: (asker: Asker, requestText: string, why: string) => Promise<void>,
): Decisions {
  const { store, chat, logger } = deps;

  const eligibleFor = (record: ApprovalRecord): Promise<string[]> => eligibleDeciders(deps, record);

  /**
   * Where the click happened, checked by the store against the stored card; a click on the person's Home view has no
   * card, and the store checks the binding the view showed instead.
   */
  const clickContext = (asker: Asker): ClickContext =>
    asker.clickedHome
      ? { conversation: '', messageRef: '', origin: 'home' }
      : { conversation: asker.conversation, messageRef: asker.clickedMessage ?? '' };

  /**
   * The binding a decision must still have: the one in force now. A Home click also presents the one its view
   * showed; when they differ, that one is sent so the store refuses (and audits) a decision on what was not shown.
   */
  const expectedBinding = (record: ApprovalRecord, asker: Asker): string => {
    const current = currentBindingDigest(record, deps.config.current().policyVersion);
    return asker.clickedHome && asker.clickedHome.binding !== current ? asker.clickedHome.binding : current;
  };

  /**
   * Why someone other than the requester may not act on a request at all (a guest, another workspace, a deactivated
   * account), whatever their groups say; undefined when they may.
   */
  async function standingRefusal(record: ApprovalRecord, userId: string): Promise<string | undefined> {
    if (userId === record.requester) return undefined;
    const standing = await deps.people.standing(userId);
    return standing.ok ? undefined : standing.reason;
  }

  async function decision(
    requestId: string,
    asker: Asker,
    act: (record: ApprovalRecord, eligible: string[]) => Promise<TransitionResult>,
  ): Promise<ApprovalRecord | undefined> {
    const record = await store.get(requestId);
    if (await staleCards.onClick(requestId, record, asker)) return undefined;
    if (!record) {
      await asker.reply(`:x: There is no request ${requestId}.`);
      return undefined;
    }
    const refused = await standingRefusal(record, asker.userId);
    if (refused) {
      await reject(asker, `decision on ${record.id}`, `refused a click: ${refused}`);
      await asker.reply(`:no_entry: You cannot decide on ${record.id}: ${refused}.`);
      return undefined;
    }
    try {
      const next = (await act(record, await eligibleFor(record))).record;
      // The card update does not hold up what follows (an approval's dispatch starts at once); it is ordered after
      // the stored decision, which is all that matters for what the card shows.
      void cards.refresh(next).catch((error: unknown) => logger.warn({ err: error, requestId }, 'card update failed'));
      return next;
    } catch (error) {
      if (error instanceof ApprovalError) {
        const text =
          error instanceof WrongStateError && error.record ? chat.words.alreadyDecided(error.record) : undefined;
        await asker.reply(`:no_entry: ${text ?? chat.words.refusal(error)}`);
        if (error.record) await cards.refresh(error.record).catch(() => {});
        return undefined;
      }
      throw error;
    }
  }

  async function cancelRequest(record: ApprovalRecord, asker: Asker): Promise<void> {
    const { userId } = asker;
    const refused = await standingRefusal(record, userId);
    if (refused) {
      await asker.reply(`:no_entry: You cannot stop or cancel ${record.id}: ${refused}.`);
      return;
    }
    const running = record.state === 'dispatched' || record.state === 'running';
    if (running) {
      const refusal = await authorizeStop(deps, record, userId);
      if (refusal) {
        await asker.reply(`:no_entry: ${refusal}`);
        return;
      }
      // The run lives in whichever replica dispatched it; every replica hears the signal and the owner acts.
      await deps.runSignals.requestStop(record.id, userId);
      await asker.reply(
        `:octagonal_sign: Stopping ${record.id}: Ctrl-C is sent to the command, then the session is ended.`,
      );
      return;
    }
    try {
      const next = (await store.cancel({ id: record.id, userId, eligibleApprovers: await eligibleFor(record) })).record;
      // The cancel is stored: a card the chat will not update now is brought up to date later (on a click, at start).
      await cards
        .refresh(next)
        .catch((error: unknown) => logger.warn({ err: error, requestId: record.id }, 'card update failed'));
      await asker.reply(`:white_check_mark: ${record.id} is cancelled. Nothing ran.`);
    } catch (error) {
      if (error instanceof ApprovalError) {
        await asker.reply(`:no_entry: ${chat.words.refusal(error)}`);
        return;
      }
      throw error;
    }
  }

  /**
   * A Deny click from someone who may not decide is put to the store with the same approvers, so the store refuses
   * it and audits the attempt as it does a refused approval. The person's answer does not wait on that record.
   */
  async function auditRefusedDeny(record: ApprovalRecord, eligible: string[], asker: Asker): Promise<void> {
    try {
      const accepted = await store.deny({
        id: record.id,
        userId: asker.userId,
        eligibleApprovers: eligible,
        context: clickContext(asker),
        ...(asker.clickedHome ? { expectedDigest: expectedBinding(record, asker) } : {}),
        idempotencyKey: `deny-click:${record.id}:${asker.userId}:${asker.interactionId}`,
      });
      // Cannot happen with a list that leaves the person out; if it did, nothing runs, and the card must say so.
      logger.error({ requestId: record.id, userId: asker.userId }, 'the store accepted a deny the flow refused');
      await cards.refresh(accepted.record).catch(() => {});
    } catch (error) {
      if (error instanceof ApprovalError) {
        // The store may have expired the request on the way; the card then says so.
        if (error.record && error.record.state !== record.state) await cards.refresh(error.record).catch(() => {});
        return;
      }
      logger.error({ err: error, requestId: record.id }, 'could not audit a refused deny click');
    }
  }

  async function cancelOrStop(requestId: string, asker: Asker, onCard: boolean): Promise<void> {
    const record = await store.get(requestId);
    if (await staleCards.onClick(requestId, record, asker, onCard)) return;
    if (!record) return await asker.reply(`:x: There is no request ${requestId}.`);
    return await cancelRequest(record, asker);
  }

  return {
    async approve(requestId, asker) {
      const next = await decision(requestId, asker, (record, eligible) =>
        store.approve({
          id: record.id,
          userId: asker.userId,
          eligibleApprovers: eligible,
          // Recomputed under the policy loaded now: an approval after a policy change is refused on the click, not
          // discovered later when the run cannot be dispatched.
          expectedDigest: expectedBinding(record, asker),
          context: clickContext(asker),
          idempotencyKey: `approve:${record.id}:${asker.userId}:${asker.interactionId}`,
        }),
      );
      if (next?.state === 'approved') runs.start(next);
      else if (next) await asker.reply(`:+1: Your approval of ${next.id} is counted; it needs more approvals.`);
    },
    async askToDeny(requestId, asker) {
      const record = await store.get(requestId);
      if (await staleCards.onClick(requestId, record, asker)) return;
      if (!record) return await asker.reply(`:x: There is no request ${requestId}.`);
      const eligible = await eligibleFor(record);
      if (!eligible.includes(asker.userId) && !eligible.includes('*')) {
        await auditRefusedDeny(record, eligible, asker);
        return await asker.reply(`:no_entry: Only ${record.approval.approverGroups.join(', ')} can deny ${record.id}.`);
      }
      await asker.askForDenyReason(record);
    },
    async deny(requestId, asker, reason) {
      await decision(requestId, asker, (record, eligible) =>
        store.deny({
          id: record.id,
          userId: asker.userId,
          eligibleApprovers: eligible,
          context: clickContext(asker),
          ...(asker.clickedHome ? { expectedDigest: expectedBinding(record, asker) } : {}),
          ...(reason ? { reason } : {}),
        }),
      );
    },
    cancel: (requestId, asker) => cancelOrStop(requestId, asker, true),
    stop: (requestId, asker) => cancelOrStop(requestId, asker, false),
  };
}
