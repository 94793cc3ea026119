import { AmbiguousContainerError } from '../../ecs/errors.js';
import { toUserMessage } from '../../errors.js';
import { evaluatePolicy, type PolicyDecision } from '../../policy/evaluate.js';
import { userGroupIdsOf } from '../../policy/groups.js';
import { prepareRunbook } from '../../policy/runbooks.js';
import type { InteractionContext } from '../listeners/index.js';
import type { SlashCommand } from '../parse-command.js';
import type { FlowDeps } from './flow-deps.js';
import type { RequestCards } from './request-cards.js';
import type { RunDispatcher } from './run-dispatcher.js';
import { createRunPreparation, type PreparedRun } from './run-preparation.js';
import * as views from './views.js';

type ExecCommand = Extract<SlashCommand, { kind: 'exec' }>;

/** A wait for the ECS budget shorter than this is not worth a message: the card follows as soon. */
const QUEUED_NOTICE_AFTER_MS = 1_000;

/**
 * Tells the person, once, that their request waits in the bot's ECS queue and roughly for how long, so a busy
 * moment reads as "queued", not as a bot that ignored them. The notice must never hold up or fail the request.
 */
function queuedNotice(reply: Reply): (waitMs: number) => void {
  let told = false;
  return (waitMs) => {
    if (told || waitMs < QUEUED_NOTICE_AFTER_MS) return;
    told = true;
    const seconds = Math.max(1, Math.round(waitMs / 1000));
    void reply(
      ':hourglass_flowing_sand: Many requests are reaching ECS right now; yours is queued and should be ' +
        `looked at in about ${seconds} s. Nothing to do: the request card follows here.`,
    ).catch(() => {});
  };
}

/** Where the person who asked can be answered privately. */
export type Reply = (text: string) => Promise<void>;

/** The target and policy helpers, exposed for the commands that only look (explain, doctor). */
export type RequestIntake = ReturnType<typeof createRequestIntake>;

/**
 * Turns what someone asked for (a typed command, a runbook, a picked container) into a stored request with its
 * card: the policy is asked before any AWS call, the target is resolved to one task and container, the policy is
 * asked again for that exact container, and only then is the request stored and shown. A request that needs no
 * approval (or runs with break-glass) is handed to the dispatcher at once.
 */
export function createRequestIntake(deps: FlowDeps, cards: RequestCards, runs: RunDispatcher) {
  const { store, notifier, logger } = deps;
  // Read at each use: a reload applies to the next request. `submit` takes one snapshot for the whole request.
  const policyNow = () => deps.config.current().policy;
  const groupsOf = (userId: string, policy = policyNow()): Promise<string[]> =>
    userGroupIdsOf(policy, deps.userGroups, userId);
  type Preparation = ReturnType<typeof createRunPreparation>;
  const targetOf: Preparation['targetOf'] = (...args) => createRunPreparation(policyNow()).targetOf(...args);
  const runbookRun: Preparation['runbookRun'] = (...args) => createRunPreparation(policyNow()).runbookRun(...args);
  const encodePick: Preparation['encodePick'] = (...args) => createRunPreparation(policyNow()).encodePick(...args);
  const decodePick: Preparation['decodePick'] = (...args) => createRunPreparation(policyNow()).decodePick(...args);

  function decide(
    userId: string,
    userGroupIds: string[],
    channelId: string,
    run: {
      clusterAlias: string;
      service?: string;
      taskId?: string;
      container?: string;
      command: string;
      runbook?: string;
      timeoutMs?: number;
      /** Asked before ECS resolved the target: see PolicyTarget.unresolved. */
      unresolved?: boolean;
    },
    policy = policyNow(),
  ): PolicyDecision {
    return evaluatePolicy(policy, {
      userId,
      userGroupIds,
      channelId,
      target: {
        clusterAlias: run.clusterAlias,
        ...(run.service ? { service: run.service } : {}),
        ...(run.taskId ? { taskId: run.taskId } : {}),
        ...(run.container ? { container: run.container } : {}),
        ...(run.unresolved ? { unresolved: true } : {}),
      },
      command: run.command,
      ...(run.runbook ? { runbook: run.runbook } : {}),
      ...(run.timeoutMs !== undefined ? { requestedTimeoutMs: run.timeoutMs } : {}),
    });
  }

  /**
   * Audits a refusal. A store that cannot record it is logged, never passed on: the person still gets their answer,
   * and nothing was created that could be left behind.
   */
  async function reject(
    context: { userId: string; channelId: string },
    requestText: string,
    why: string,
    rule?: string,
  ) {
    await store
      .recordRejection({
        requester: context.userId,
        channel: context.channelId,
        requestText,
        why,
        ...(rule ? { ruleName: rule } : {}),
        policyVersion: deps.config.current().policyVersion,
      })
      .catch((error: unknown) => logger.error({ err: error }, 'could not audit a rejection'));
  }

  /**
   * What the audit keeps of a refused request: the text as typed when it was typed (its hash is what an auditor can
   * match), else a description of what a button or a form asked for.
   */
  function requestTextOf(run: PreparedRun, context: InteractionContext): string {
    if (context.typedText !== undefined) return context.typedText;
    if (run.runbook) return `run ${run.runbook}`;
    const where = run.target.kind === 'service' ? run.target.service : run.target.taskId;
    const container = run.target.container ? `:${run.target.container}` : '';
    return `${run.clusterAlias}/${where}${container} -- ${run.command}`;
  }

  /**
   * Checks, resolves, stores and announces one run request. The policy is asked twice: before touching AWS, with
   * what is not known yet (a task's service, an unnamed container) left open, so a request no rule could allow costs
   * nothing; and again with the task's real service and container, which the approval binds. Only that second answer
   * can let a request through.
   */
  async function submit(run: PreparedRun, context: InteractionContext, reply: Reply): Promise<void> {
    // The version this request is decided, stored and shown with, whatever a reload brings meanwhile.
    const { policy, policyVersion } = deps.config.current();
    if (run.runbook !== undefined) {
      // A runbook request must be exactly what the runbook renders to: its own `who` decides for it, so anything
      // else riding on its name would escape the rules.
      const again = prepareRunbook(policy, run.runbook, run.params);
      const same = again.ok && again.run.command === run.command && again.run.target.clusterAlias === run.clusterAlias;
      if (!same) {
        await reject(context, requestTextOf(run, context), 'the request does not match what the runbook renders to');
        await reply(`:no_entry: That request does not match runbook "${run.runbook}"; nothing was run.`);
        return;
      }
    }
    const requestText = requestTextOf(run, context);
    const userGroupIds = await groupsOf(context.userId, policy);
    const first = decide(
      context.userId,
      userGroupIds,
      context.channelId,
      {
        clusterAlias: run.clusterAlias,
        ...(run.target.kind === 'service' ? { service: run.target.service } : { taskId: run.target.taskId }),
        ...(run.target.container ? { container: run.target.container } : {}),
        command: run.command,
        ...(run.runbook ? { runbook: run.runbook } : {}),
        ...(run.timeoutMs !== undefined ? { timeoutMs: run.timeoutMs } : {}),
        unresolved: true,
      },
      policy,
    );
    if (first.effect === 'deny') {
      await reject(context, requestText, first.reason, first.rule);
      await reply(views.denied(first));
      return;
    }

    let resolved: Awaited<ReturnType<FlowDeps['engine']['resolve']>>;
    try {
      resolved = await deps.engine.resolve(
        run.cluster,
        run.target,
        { userId: context.userId, userName: context.userName },
        { onQueued: queuedNotice(reply) },
      );
    } catch (error) {
      if (error instanceof AmbiguousContainerError) {
        const picker = views.containerPicker(error.choices, (container) => encodePick(run, container));
        if (picker) {
          await context.respond(picker);
          return;
        }
      }
      await reject(context, requestText, toUserMessage(error));
      await reply(`:x: ${toUserMessage(error)}`);
      return;
    }
    const decision = decide(
      context.userId,
      userGroupIds,
      context.channelId,
      {
        clusterAlias: run.clusterAlias,
        ...(resolved.service
          ? { service: resolved.service }
          : { taskId: resolved.task.taskArn.slice(resolved.task.taskArn.lastIndexOf('/') + 1) }),
        container: resolved.container.name,
        command: run.command,
        ...(run.runbook ? { runbook: run.runbook } : {}),
        ...(run.timeoutMs !== undefined ? { timeoutMs: run.timeoutMs } : {}),
      },
      policy,
    );
    if (decision.effect === 'deny') {
      await reject(context, requestText, decision.reason, decision.rule);
      await reply(views.denied(decision));
      return;
    }
    if (run.breakGlass) {
      if (!decision.approval) {
        await reject(context, requestText, '--break-glass where no approval is needed', decision.rule);
        await reply(':information_source: This needs no approval, so --break-glass is not needed; run it without.');
        return;
      }
      if (!decision.breakGlassAllowed) {
        await reject(context, requestText, 'break-glass not allowed', decision.rule);
        await reply(`:no_entry: Rule "${decision.rule}" does not allow --break-glass. Ask for an approval instead.`);
        return;
      }
      if (!run.reason) {
        await reject(context, requestText, '--break-glass without a reason', decision.rule);
        await reply(':warning: --break-glass needs a reason: add --reason "why this cannot wait".');
        return;
      }
    }

    const approval = decision.approval;
    const created = await store.create({
      requester: context.userId,
      channel: context.channelId,
      target: {
        clusterAlias: run.clusterAlias,
        cluster: run.cluster.cluster,
        taskArn: resolved.task.taskArn,
        container: resolved.container.name,
      },
      command: run.command,
      ...(run.runbook ? { runbook: run.runbook } : {}),
      params: run.params,
      reason: run.reason ?? '',
      ruleName: decision.rule,
      policyVersion,
      approval: {
        approverGroups: approval?.approverGroups ?? [],
        count: approval?.count ?? 0,
        selfApproval: approval?.selfApproval ?? false,
        breakGlassAllowed: decision.breakGlassAllowed,
      },
      ttlMs: approval?.ttlMs ?? policy.limits.timeoutMs,
      timeoutMs: decision.timeoutMs,
      noWrap: run.noWrap,
    });
    let record = created.record;
    let cardTs: string | undefined;
    try {
      cardTs = (await notifier.postMessage(context.channelId, views.requestCard(record, policy, deps.clock.now()))).ts;
      record = (await store.attachCard(record.id, { channel: context.channelId, messageTs: cardTs })).record;
    } catch (error) {
      // The person is about to be told nothing ran and to try again, so the stored request must never run: cancel
      // it (and show that on a card that did get posted). Should the cancel fail too, the request has no card, and
      // nothing starts a request without one.
      const cancelled = await store
        .cancel({ id: record.id, userId: context.userId, eligibleApprovers: [context.userId] })
        .catch((cancelError: unknown) => {
          logger.warn({ err: cancelError, requestId: record.id }, 'could not cancel a request whose card failed');
          return undefined;
        });
      if (cancelled && cardTs) {
        await notifier
          .updateMessage(context.channelId, cardTs, views.requestCard(cancelled.record, policy, deps.clock.now()))
          .catch(() => {});
      }
      throw error;
    }

    if (run.breakGlass && run.reason) {
      record = (await store.breakGlass({ id: record.id, userId: context.userId, reason: run.reason })).record;
    }
    if (record.state === 'approved') runs.start(record);
    // The card shows the break-glass banner; the run does not wait for it, nor depends on it.
    if (run.breakGlass) {
      void cards.refresh(record).catch((error: unknown) => logger.warn({ err: error }, 'card update failed'));
    }
  }

  async function handleExec(command: ExecCommand, context: InteractionContext, reply: Reply): Promise<void> {
    const target = targetOf(command.target);
    if ('error' in target) {
      await reject(context, context.typedText ?? command.command, target.error);
      await reply(`:x: ${target.error}`);
      return;
    }
    await submit(
      {
        ...target,
        command: command.command,
        params: {},
        ...(command.reason ? { reason: command.reason } : {}),
        ...(command.timeoutMs !== undefined ? { timeoutMs: command.timeoutMs } : {}),
        breakGlass: command.breakGlass,
        noWrap: command.noWrap,
      },
      context,
      reply,
    );
  }

  async function handleRunbook(
    name: string,
    given: Record<string, string>,
    options: { reason?: string; timeoutMs?: number; breakGlass?: boolean },
    context: InteractionContext,
    reply: Reply,
  ): Promise<void> {
    const rendered = runbookRun(name, given, options);
    if (!rendered.ok && 'error' in rendered) {
      await reject(context, context.typedText ?? `run ${name}`, rendered.error);
      await reply(`:x: ${rendered.error}`);
      return;
    }
    if (!rendered.ok) {
      const { prepared } = rendered;
      if (prepared.missing.length > 0 && prepared.problems.length === 0 && context.triggerId) {
        const metadata = JSON.stringify({
          runbook: name,
          channel: context.channelId,
          given,
          reason: options.reason ?? '',
        });
        await notifier.openModal(context.triggerId, views.runbookModal(name, prepared.params, given, metadata));
        return;
      }
      const lines = [
        ...prepared.problems.map((p) => (p.param ? `• ${p.param}: ${p.message}` : `• ${p.message}`)),
        ...prepared.missing.map((m) => `• ${m}: missing`),
      ];
      await reject(context, context.typedText ?? `run ${name}`, lines.join('; '));
      await reply(`:x: Runbook "${name}" cannot run with these values:\n${lines.join('\n')}`);
      return;
    }
    await submit(rendered.run, context, reply);
  }

  return { groupsOf, targetOf, decide, reject, submit, decodePick, handleExec, handleRunbook };
}
