import { AmbiguousContainerError } from '../ecs/errors.js';
import { toUserMessage } from '../errors.js';
import { evaluatePolicy, type PolicyDecision } from '../policy/evaluate.js';
import { userGroupIdsOf } from '../policy/groups.js';
import { prepareRunbook } from '../policy/runbooks.js';
import { approvalTerms } from './approval-terms.js';
import type { Asker } from './chat-port.js';
import type { RunDispatcher } from './dispatch.js';
import { createFleetIntake } from './fleet-intake.js';
import { postRequestCard } from './request-card-post.js';
import type { RequestCards } from './request-cards.js';
import type { ExecRequest, RunbookRequest } from './requests.js';
import { createRunPreparation, type PreparedRun } from './run-preparation.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** A wait for the ECS budget shorter than this is not worth a message: the card follows as soon. */
const QUEUED_NOTICE_AFTER_MS = 1_000;

/**
 * Tells the person, once, that their request waits in the bot's ECS queue and roughly for how long, so a busy
 * moment reads as "queued", not as a bot that ignored them. The notice must never hold up or fail the request.
 */
function queuedNotice(reply: Asker['reply']): (waitMs: number) => void {
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

/** The target and policy helpers, exposed for the commands that only look (explain, doctor). */
export type RequestIntake = ReturnType<typeof createRequestIntake>;

/**
 * Turns what someone asked for (a typed command, a runbook, a picked container) into a stored request with its
 * card: the policy is asked before any AWS call, the target is resolved to one task and container, the policy is
 * asked again for that exact container, and only then is the request stored and shown. A request that needs no
 * approval (or runs with break-glass) is handed to the dispatcher at once.
 */
export function createRequestIntake(deps: WorkflowDeps, cards: RequestCards, runs: RunDispatcher) {
  const { store, chat, logger } = deps;
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
    asker: Pick<Asker, 'userId' | 'conversation'>,
    requestText: string,
    why: string,
    rule?: string,
  ) {
    await store
      .recordRejection({
        requester: asker.userId,
        channel: asker.conversation,
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
  function requestTextOf(run: PreparedRun, asker: Asker): string {
    if (asker.typedText !== undefined) return asker.typedText;
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
  async function submit(run: PreparedRun, asker: Asker): Promise<void> {
    const reply = asker.reply;
    // The version this request is decided, stored and shown with, whatever a reload brings meanwhile.
    const { policy, policyVersion } = deps.config.current();
    if (run.runbook !== undefined) {
      // A runbook request must be exactly what the runbook renders to: its own `who` decides for it, so anything
      // else riding on its name would escape the rules.
      const again = prepareRunbook(policy, run.runbook, run.params);
      const same = again.ok && again.run.command === run.command && again.run.target.clusterAlias === run.clusterAlias;
      if (!same) {
        await reject(asker, requestTextOf(run, asker), 'the request does not match what the runbook renders to');
        await reply(`:no_entry: That request does not match runbook "${run.runbook}"; nothing was run.`);
        return;
      }
    }
    const requestText = requestTextOf(run, asker);
    const userGroupIds = await groupsOf(asker.userId, policy);
    const first = decide(
      asker.userId,
      userGroupIds,
      asker.conversation,
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
      await reject(asker, requestText, first.reason, first.rule);
      await reply(chat.words.denied(first));
      return;
    }

    let resolved: Awaited<ReturnType<WorkflowDeps['engine']['resolve']>>;
    try {
      resolved = await deps.engine.resolve(
        run.cluster,
        run.target,
        { userId: asker.userId, userName: asker.userName },
        { onQueued: queuedNotice(reply) },
      );
    } catch (error) {
      if (error instanceof AmbiguousContainerError) {
        const choices = error.choices.map((container) => ({ container, resume: encodePick(run, container) }));
        if (await asker.askForContainer(choices)) return;
      }
      await reject(asker, requestText, toUserMessage(error));
      await reply(`:x: ${toUserMessage(error)}`);
      return;
    }
    const decision = decide(
      asker.userId,
      userGroupIds,
      asker.conversation,
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
      await reject(asker, requestText, decision.reason, decision.rule);
      await reply(chat.words.denied(decision));
      return;
    }
    if (run.breakGlass) {
      if (!decision.approval) {
        await reject(asker, requestText, '--break-glass where no approval is needed', decision.rule);
        await reply(':information_source: This needs no approval, so --break-glass is not needed; run it without.');
        return;
      }
      if (!decision.breakGlassAllowed) {
        await reject(asker, requestText, 'break-glass not allowed', decision.rule);
        await reply(`:no_entry: Rule "${decision.rule}" does not allow --break-glass. Ask for an approval instead.`);
        return;
      }
      if (!run.reason) {
        await reject(asker, requestText, '--break-glass without a reason', decision.rule);
        await reply(':warning: --break-glass needs a reason: add --reason "why this cannot wait".');
        return;
      }
    }

    const created = await store.create({
      requester: asker.userId,
      channel: asker.conversation,
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
      ...approvalTerms(decision, policy.limits.timeoutMs),
      timeoutMs: decision.timeoutMs,
      noWrap: run.noWrap,
    });
    let record = await postRequestCard(deps, created.record, asker, policy);

    if (run.breakGlass && run.reason) {
      record = (await store.breakGlass({ id: record.id, userId: asker.userId, reason: run.reason })).record;
    }
    if (record.state === 'approved') runs.start(record);
    // The card shows the break-glass banner; the run does not wait for it, nor depends on it.
    if (run.breakGlass) {
      void cards.refresh(record).catch((error: unknown) => logger.warn({ err: error }, 'card update failed'));
    }
  }

  const submitFleet = createFleetIntake(deps, cards, runs, { groupsOf, decide, reject });

  async function exec(request: ExecRequest, asker: Asker): Promise<void> {
    const target = targetOf(request.target);
    if ('error' in target) {
      await reject(asker, asker.typedText ?? request.command, target.error);
      await asker.reply(`:x: ${target.error}`);
      return;
    }
    const prepared: PreparedRun = {
      ...target,
      command: request.command,
      params: {},
      ...(request.reason ? { reason: request.reason } : {}),
      ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
      breakGlass: request.breakGlass,
      noWrap: request.noWrap,
    };
    if (request.fleet) await submitFleet(prepared, request.fleet, asker);
    else await submit(prepared, asker);
  }

  async function runRunbook(request: RunbookRequest, asker: Asker): Promise<void> {
    const { runbook: name, params: given } = request;
    const options = {
      ...(request.reason ? { reason: request.reason } : {}),
      ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
      ...(request.breakGlass !== undefined ? { breakGlass: request.breakGlass } : {}),
    };
    const rendered = runbookRun(name, given, options);
    if (!rendered.ok && 'error' in rendered) {
      await reject(asker, asker.typedText ?? `run ${name}`, rendered.error);
      await asker.reply(`:x: ${rendered.error}`);
      return;
    }
    if (!rendered.ok) {
      const { prepared } = rendered;
      if (prepared.missing.length > 0 && prepared.problems.length === 0) {
        const form = {
          runbook: name,
          params: prepared.params,
          given,
          ...(request.reason ? { reason: request.reason } : {}),
        };
        if (await asker.askForParameters(form)) return;
      }
      const lines = [
        ...prepared.problems.map((p) => (p.param ? `• ${p.param}: ${p.message}` : `• ${p.message}`)),
        ...prepared.missing.map((m) => `• ${m}: missing`),
      ];
      await reject(asker, asker.typedText ?? `run ${name}`, lines.join('; '));
      await asker.reply(`:x: Runbook "${name}" cannot run with these values:\n${lines.join('\n')}`);
      return;
    }
    await submit(rendered.run, asker);
  }

  return { groupsOf, targetOf, decide, reject, submit, decodePick, exec, runRunbook };
}
