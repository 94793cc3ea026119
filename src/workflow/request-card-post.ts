import type { ApprovalRecord } from '../approval/approval-port.js';
import type { PolicyConfig } from '../config/schema.js';
import type { Asker } from './chat-port.js';
import type { WorkflowDeps } from './workflow-deps.js';

/**
 * Posts a stored request's card and ties the card to the request; returns the request as stored then.
 *
 * When that fails, the person is about to be told nothing ran and to try again, so the stored request must never
 * run: it is cancelled (and a card that did get posted shows that). Should the cancel fail too, the request has no
 * card, and nothing starts a request without one. The same for a one-task request and a fan-out.
 * @throws what posting or attaching the card threw
 */
export async function postRequestCard(
  deps: Pick<WorkflowDeps, 'store' | 'chat' | 'logger'>,
  record: ApprovalRecord,
  asker: Pick<Asker, 'userId' | 'conversation'>,
  policy: PolicyConfig,
): Promise<ApprovalRecord> {
  const { store, chat, logger } = deps;
  let card: string | undefined;
  try {
    card = await chat.showRequest(record, policy);
    return (await store.attachCard(record.id, { conversation: asker.conversation, messageRef: card })).record;
  } catch (error) {
    const cancelled = await store
      .cancel({ id: record.id, userId: asker.userId, eligibleApprovers: [asker.userId] })
      .catch((cancelError: unknown) => {
        logger.warn({ err: cancelError, requestId: record.id }, 'could not cancel a request whose card failed');
        return undefined;
      });
    if (cancelled && card) await chat.updateRequest({ ...cancelled.record, cardRef: card }, policy).catch(() => {});
    throw error;
  }
}
