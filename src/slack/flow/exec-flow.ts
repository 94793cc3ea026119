import type { ApprovalRecord, TransitionResult } from '../../approval/approval-port.js';
import { currentBindingDigest } from '../../approval/binding-digest.js';
import { ApprovalError, WrongStateError } from '../../approval/errors.js';
import { toUserMessage } from '../../errors.js';
import { neutraliseSlackText } from '../../output/neutralise.js';
import { mayInspectService } from '../../policy/evaluate.js';
import { eligibleApprovers } from '../../policy/groups.js';
import { prepareRunbook, runbooksVisibleTo } from '../../policy/runbooks.js';
import { ACTION_IDS, type ActionId, CALLBACK_IDS, type CallbackId } from '../ids.js';
import type { ActionContext, InteractionContext, SlackHandlers } from '../listeners/index.js';
import type { SlashCommand } from '../parse-command.js';
import type { FlowDeps } from './flow-deps.js';
import { createRequestCards } from './request-cards.js';
import { createRequestIntake, type Reply } from './request-intake.js';
import { createRunDispatcher } from './run-dispatcher.js';
import { createStaleCards } from './stale-cards.js';
import { authorizeStop } from './stop-permission.js';
import { createSweeper } from './sweeper.js';
import * as views from './views.js';

/**
 * The click-to-thread flow: a request is checked against the policy, resolved to one task and container, stored,
 * shown as a card, approved by the right people, dispatched exactly once, run, and its output posted in the
 * card's thread. Every refusal is an ephemeral explanation; every accepted request ends in a terminal state that
 * is visible on its card.
 */
export function createExecFlow(
  deps: FlowDeps,
): SlackHandlers & { sweepExpired(): Promise<number>; close(graceMs?: number): Promise<void> } {
  const { store, notifier, logger } = deps;
  const policyNow = () => deps.config.current().policy;
  const cards = createRequestCards(deps);
  const runs = createRunDispatcher(deps, cards);
  const intake = createRequestIntake(deps, cards, runs);
  const { groupsOf, targetOf, decide, reject, submit, decodePick, handleExec, handleRunbook } = intake;
  /** Work that outlives the Slack request that started it (runbook modals), awaited on close. */
  const background = new Set<Promise<void>>();

  async function eligibleFor(record: ApprovalRecord): Promise<string[]> {
    const requirement = {
      approverGroups: [...record.approval.approverGroups],
      count: record.approval.count,
      // The store decides self-approval itself; give it the full list so it can say why a requester was refused.
      selfApproval: true,
      ttlMs: 0,
    };
    const { users, anyone } = await eligibleApprovers(policyNow(), requirement, deps.userGroups, record.requester);
    return anyone ? ['*', ...users] : users;
  }

  async function decision(
    context: ActionContext,
    requestId: string,
    act: (record: ApprovalRecord, eligible: string[]) => Promise<TransitionResult>,
  ): Promise<ApprovalRecord | undefined> {
    const record = await store.get(requestId);
    if (await staleCards.onClick(requestId, record, context)) return undefined;
    if (!record) {
      await context.respond({ text: `:x: There is no request ${requestId}.` });
      return undefined;
    }
    const refused = await standingRefusal(record, context.userId);
    if (refused) {
      await reject(context, `decision on ${record.id}`, `refused a click: ${refused}`);
      await context.respond({ text: `:no_entry: You cannot decide on ${record.id}: ${refused}.` });
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
        const text = error instanceof WrongStateError && error.record ? views.alreadyDecided(error.record) : undefined;
        await context.respond({ text: `:no_entry: ${text ?? toUserMessage(error)}` });
        if (error.record) await cards.refresh(error.record).catch(() => {});
        return undefined;
      }
      throw error;
    }
  }

  const clickContext = (context: ActionContext) => ({ channel: context.channelId, messageTs: context.messageTs ?? '' });

  async function handleCommand(command: Exclude<SlashCommand, { kind: 'help' }>, context: InteractionContext) {
    const reply: Reply = (text) => context.respond({ text });
    switch (command.kind) {
      case 'exec':
        return await handleExec(command, context, reply);
      case 'run':
        return await handleRunbook(command.runbook, command.params, { ...command }, context, reply);
      case 'runbooks': {
        const visible = runbooksVisibleTo(
          policyNow(),
          context.userId,
          await groupsOf(context.userId),
          context.channelId,
        );
        return await reply(views.runbookList(visible));
      }
      case 'explain': {
        const target = targetOf(command.target);
        if ('error' in target) return await reply(`:x: ${target.error}`);
        const spec = command.target;
        // Nothing is asked of ECS here, so the answer says what it still depends on, as a request's first check does.
        const decisionResult = decide(context.userId, await groupsOf(context.userId), context.channelId, {
          clusterAlias: target.clusterAlias,
          ...(spec.kind === 'service' ? { service: spec.service } : { taskId: spec.taskId }),
          ...(spec.container ? { container: spec.container } : {}),
          command: command.command,
          unresolved: true,
        });
        return await reply(views.explanation(decisionResult, command.command));
      }
      case 'status': {
        const record = await store.get(command.requestId);
        if (!record || (record.requester !== context.userId && record.channel !== context.channelId)) {
          return await reply(`:x: There is no request ${command.requestId} that you can see here.`);
        }
        return await reply(views.statusLine(record));
      }
      case 'history': {
        const records = await store.listByRequester(context.userId, command.limit);
        return await reply(views.history(records));
      }
      case 'cancel': {
        const record = await store.get(command.requestId);
        if (!record) return await reply(`:x: There is no request ${command.requestId}.`);
        return await cancelRequest(record, context.userId, reply);
      }
      case 'doctor': {
        const target = targetOf(command.target);
        if ('error' in target) return await reply(`:x: ${target.error}`);
        if (command.target.kind !== 'service') return await reply(':x: doctor takes <cluster>/<service>.');
        const inspectable = mayInspectService(policyNow(), {
          userId: context.userId,
          userGroupIds: await groupsOf(context.userId),
          channelId: context.channelId,
          clusterAlias: target.clusterAlias,
          service: command.target.service,
        });
        if (!inspectable) {
          const shown = `${target.clusterAlias}/${command.target.service}`;
          await reject(context, `doctor ${shown}`, 'no rule lets this person run anything on this service here');
          return await reply(
            `:no_entry: No rule lets you run anything on ${neutraliseSlackText(shown)} here, so the bot will not inspect it for you.`,
          );
        }
        const { cluster } = target;
        const checks = await deps.engine.doctor(cluster, command.target.service, { userId: context.userId });
        return await reply(views.doctor(target.clusterAlias, command.target.service, checks));
      }
    }
  }

  /**
   * Why someone other than the requester may not act on a request at all (a guest, another workspace, a deactivated
   * account), whatever their groups say; undefined when they may.
   */
  async function standingRefusal(record: ApprovalRecord, userId: string): Promise<string | undefined> {
    if (userId === record.requester) return undefined;
    const standing = await deps.people.standing(userId);
    return standing.ok ? undefined : standing.reason;
  }

  async function cancelRequest(record: ApprovalRecord, userId: string, reply: Reply): Promise<void> {
    const refused = await standingRefusal(record, userId);
    if (refused) {
      await reply(`:no_entry: You cannot stop or cancel ${record.id}: ${refused}.`);
      return;
    }
    const running = record.state === 'dispatched' || record.state === 'running';
    if (running) {
      const refusal = await authorizeStop(deps, record, userId);
      if (refusal) {
        await reply(`:no_entry: ${refusal}`);
        return;
      }
      // The run lives in whichever replica dispatched it; every replica hears the signal and the owner acts.
      await deps.runSignals.requestStop(record.id, userId);
      await reply(`:octagonal_sign: Stopping ${record.id}: Ctrl-C is sent to the command, then the session is ended.`);
      return;
    }
    try {
      const next = (await store.cancel({ id: record.id, userId, eligibleApprovers: await eligibleFor(record) })).record;
      // The cancel is stored: a card Slack will not update now is brought up to date later (on a click, at start).
      await cards
        .refresh(next)
        .catch((error: unknown) => logger.warn({ err: error, requestId: record.id }, 'card update failed'));
      await reply(`:white_check_mark: ${record.id} is cancelled. Nothing ran.`);
    } catch (error) {
      if (error instanceof ApprovalError) {
        await reply(`:no_entry: ${toUserMessage(error)}`);
        return;
      }
      throw error;
    }
  }

  /**
   * A Deny click from someone who may not decide is put to the store with the same approvers, so the store refuses
   * it and audits the attempt as it does a refused approval. The person's answer does not wait on that record.
   */
  async function auditRefusedDeny(record: ApprovalRecord, eligible: string[], context: ActionContext): Promise<void> {
    try {
      const accepted = await store.deny({
        id: record.id,
        userId: context.userId,
        eligibleApprovers: eligible,
        context: clickContext(context),
        idempotencyKey: `deny-click:${record.id}:${context.userId}:${context.triggerId}`,
      });
      // Cannot happen with a list that leaves the person out; if it did, nothing runs, and the card must say so.
      logger.error({ requestId: record.id, userId: context.userId }, 'the store accepted a deny the flow refused');
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

  async function handleAction(actionId: ActionId, requestId: string, context: ActionContext): Promise<void> {
    switch (actionId) {
      case ACTION_IDS.approve: {
        const next = await decision(context, requestId, (record, eligible) =>
          store.approve({
            id: record.id,
            userId: context.userId,
            eligibleApprovers: eligible,
            // Recomputed under the policy loaded now: an approval after a policy change is refused on the click,
            // not discovered later when the run cannot be dispatched.
            expectedDigest: currentBindingDigest(record, deps.config.current().policyVersion),
            context: clickContext(context),
            idempotencyKey: `approve:${record.id}:${context.userId}:${context.triggerId}`,
          }),
        );
        if (next?.state === 'approved') runs.start(next);
        else if (next)
          await context.respond({ text: `:+1: Your approval of ${next.id} is counted; it needs more approvals.` });
        return;
      }
      case ACTION_IDS.deny: {
        const record = await store.get(requestId);
        if (await staleCards.onClick(requestId, record, context)) return;
        if (!record) return await context.respond({ text: `:x: There is no request ${requestId}.` });
        const eligible = await eligibleFor(record);
        if (!eligible.includes(context.userId) && !eligible.includes('*')) {
          await auditRefusedDeny(record, eligible, context);
          return await context.respond({
            text: `:no_entry: Only ${record.approval.approverGroups.join(', ')} can deny ${record.id}.`,
          });
        }
        const metadata = JSON.stringify({
          id: requestId,
          channel: context.channelId,
          messageTs: context.messageTs ?? '',
        });
        await notifier.openModal(context.triggerId, views.denyModal(record, metadata));
        return;
      }
      case ACTION_IDS.cancel:
      case ACTION_IDS.stop: {
        const record = await store.get(requestId);
        if (await staleCards.onClick(requestId, record, context, actionId === ACTION_IDS.cancel)) return;
        if (!record) return await context.respond({ text: `:x: There is no request ${requestId}.` });
        return await cancelRequest(record, context.userId, (text) => context.respond({ text }));
      }
      case ACTION_IDS.pickContainer: {
        const run = decodePick(requestId);
        if (!run) return await context.respond({ text: ':x: This choice has expired; send the request again.' });
        return await submit(run, context, (text) => context.respond({ text }));
      }
    }
  }

  async function handleView(
    callbackId: CallbackId,
    submission: { privateMetadata: string; values: Record<string, string | undefined> },
    context: InteractionContext,
  ): Promise<{ errors?: Record<string, string> } | undefined> {
    if (callbackId === CALLBACK_IDS.denyReason) {
      const meta = JSON.parse(submission.privateMetadata) as { id: string; channel: string; messageTs: string };
      const reason = submission.values[views.DENY_REASON_BLOCK]?.trim();
      const ephemeral = (text: string) => notifier.postEphemeral(meta.channel, context.userId, { text });
      const actionContext: ActionContext = {
        ...context,
        channelId: meta.channel,
        messageTs: meta.messageTs,
        respond: (m) => ephemeral(m.text),
      };
      await decision(actionContext, meta.id, (record, eligible) =>
        store.deny({
          id: record.id,
          userId: context.userId,
          eligibleApprovers: eligible,
          context: { channel: meta.channel, messageTs: meta.messageTs },
          ...(reason ? { reason } : {}),
        }),
      );
      return undefined;
    }
    if (callbackId === CALLBACK_IDS.runbookParams) {
      const meta = JSON.parse(submission.privateMetadata) as {
        runbook: string;
        channel: string;
        given: Record<string, string>;
        reason: string;
      };
      const given: Record<string, string> = { ...meta.given };
      for (const [key, value] of Object.entries(submission.values)) {
        if (key.startsWith(views.PARAM_BLOCK_PREFIX) && value !== undefined && value !== '') {
          given[key.slice(views.PARAM_BLOCK_PREFIX.length)] = value;
        }
      }
      const prepared = prepareRunbook(policyNow(), meta.runbook, given);
      if (!prepared.ok) {
        const errors: Record<string, string> = {};
        for (const name of prepared.missing) errors[`${views.PARAM_BLOCK_PREFIX}${name}`] = 'required';
        for (const problem of prepared.problems)
          errors[`${views.PARAM_BLOCK_PREFIX}${problem.param}`] = problem.message;
        return { errors };
      }
      const runContext: InteractionContext = { ...context, channelId: meta.channel, triggerId: '' };
      const reply: Reply = (text) => notifier.postEphemeral(meta.channel, context.userId, { text });
      // The modal closes at once; the request continues in the channel like a typed one.
      const work = handleRunbook(
        meta.runbook,
        given,
        meta.reason ? { reason: meta.reason } : {},
        runContext,
        reply,
      ).catch(async (error: unknown) => {
        logger.error({ err: error }, 'runbook from modal failed');
        await reply(`:x: ${toUserMessage(error)}`).catch(() => {});
      });
      background.add(work);
      void work.finally(() => background.delete(work));
      return undefined;
    }
    return undefined;
  }

  const sweeper = createSweeper(deps, cards, runs);
  const staleCards = createStaleCards(deps, cards);
  // Once, in the background: cards of requests that ended while their last update was lost lose their buttons.
  const reconciling =
    deps.reconcileCardsOnStart === false
      ? Promise.resolve()
      : staleCards.reconcileOnStart().then(
          (count) => logger.info({ count }, 'final cards brought up to date'),
          (error: unknown) => logger.warn({ err: error }, 'could not bring final cards up to date'),
        );
  background.add(reconciling);

  /** Every handler call is tracked, so a shutdown lets the ones in flight finish before closing the dispatcher. */
  function tracked<Args extends unknown[], Result>(
    handler: (...args: Args) => Promise<Result>,
  ): (...args: Args) => Promise<Result> {
    return (...args) => {
      const work = handler(...args);
      const settled = work.then(
        () => undefined,
        () => undefined,
      );
      background.add(settled);
      void settled.then(() => background.delete(settled));
      return work;
    };
  }

  /** A command that does not parse is refused by the listener; only the record of it is left to do. */
  async function handleMalformed(typedText: string, why: string, context: InteractionContext): Promise<void> {
    await reject(context, typedText, `malformed command: ${why}`);
  }

  return {
    command: tracked(handleCommand),
    malformed: tracked(handleMalformed),
    action: tracked(handleAction),
    viewSubmission: tracked(handleView),
    sweepExpired: sweeper.sweep,
    async close(graceMs = 0) {
      sweeper.stop();
      await Promise.allSettled([...background]);
      await runs.close(graceMs);
    },
  };
}
