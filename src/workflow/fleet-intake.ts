import type { ApprovalRecord, FleetScope } from '../approval/approval-port.js';
import { toUserMessage } from '../errors.js';
import type { FleetAsk } from '../fleet/limits.js';
import { type FleetPlan, planFleet } from '../fleet/plan.js';
import type { PolicyDecision } from '../policy/evaluate.js';
import { approvalTerms } from './approval-terms.js';
import type { Asker } from './chat-port.js';
import type { RunDispatcher } from './dispatch.js';
import { postRequestCard } from './request-card-post.js';
import type { RequestCards } from './request-cards.js';
import type { PreparedRun } from './run-preparation.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** What the fan-out intake borrows from the one-task intake: the same policy questions and the same audit. */
export interface IntakeHelpers {
  groupsOf(userId: string): Promise<string[]>;
  decide(
    userId: string,
    userGroupIds: string[],
    channelId: string,
    run: { clusterAlias: string; service?: string; container?: string; command: string; unresolved?: boolean },
  ): PolicyDecision;
  reject(asker: Pick<Asker, 'userId' | 'conversation'>, requestText: string, why: string, rule?: string): Promise<void>;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Turns `--all` / `--tasks N` on a service into one stored request: the policy is asked before ECS is read, the
 * service's tasks are planned, the policy is asked again for the container(s) they run in, the rule's `maxTasks`
 * caps how many tasks it may be, and then one request (one card, one approval) covers them all, bound to the
 * command, the service and the number of tasks planned now.
 */
export function createFleetIntake(
  deps: WorkflowDeps,
  cards: RequestCards,
  runs: RunDispatcher,
  helpers: IntakeHelpers,
) {
  const { store, chat, logger } = deps;

  return async function submitFleet(run: PreparedRun, ask: FleetAsk, asker: Asker): Promise<void> {
    const { policy, policyVersion } = deps.config.current();
    const reply = asker.reply;
    if (run.target.kind !== 'service') {
      await reply(':x: --all and --tasks N run on the tasks of a service: the target must be <cluster>/<service>.');
      return;
    }
    const service = run.target.service;
    const requestText = asker.typedText ?? `${run.clusterAlias}/${service} --fan-out -- ${run.command}`;
    const userGroupIds = await helpers.groupsOf(asker.userId);
    const base = { clusterAlias: run.clusterAlias, service, command: run.command };
    const first = helpers.decide(asker.userId, userGroupIds, asker.conversation, {
      ...base,
      ...(run.target.container ? { container: run.target.container } : {}),
      unresolved: true,
    });
    if (first.effect === 'deny') {
      await helpers.reject(asker, requestText, first.reason, first.rule);
      await reply(chat.words.denied(first));
      return;
    }

    let plan: FleetPlan;
    try {
      const ecs = deps.engine.ecsFor(run.cluster, { userId: asker.userId, userName: asker.userName });
      plan = await planFleet(
        ecs,
        {
          cluster: run.cluster,
          service,
          ...(run.target.container ? { container: run.target.container } : {}),
          selection: ask.selection,
        },
        ask.limits,
      );
    } catch (error) {
      await helpers.reject(asker, requestText, toUserMessage(error));
      await reply(`:x: ${toUserMessage(error)}`);
      return;
    }
    if (plan.tasks.length === 0) {
      const why = `no task of ${service} can take a command now (${plural(plan.skipped.length, 'task')} skipped)`;
      await helpers.reject(asker, requestText, why);
      await reply(`:x: ${chat.plain(why)}; nothing was asked.`);
      return;
    }

    // Every container the tasks run the command in must be allowed, by the same rule, as a one-task request would be.
    const containers = [...new Set(plan.tasks.map((task) => task.container))];
    let decision: PolicyDecision | undefined;
    for (const container of containers) {
      const answer = helpers.decide(asker.userId, userGroupIds, asker.conversation, { ...base, container });
      if (answer.effect === 'deny' || (decision && answer.rule !== decision.rule)) {
        const refusal = answer.effect === 'deny' ? answer : { ...answer, effect: 'deny' as const };
        const why =
          answer.effect === 'deny' ? answer.reason : 'the tasks run in containers that different rules govern';
        await helpers.reject(asker, requestText, why, answer.rule);
        await reply(answer.effect === 'deny' ? chat.words.denied(refusal) : `:no_entry: ${why}; name the container.`);
        return;
      }
      decision ??= answer;
    }
    const allowed = decision as PolicyDecision;
    const maxTasks = allowed.maxTasks ?? 1;
    if (plan.tasks.length > maxTasks) {
      const why = `a fan-out to ${plural(plan.tasks.length, 'task')} is over the cap of rule "${allowed.rule}" (maxTasks ${maxTasks})`;
      await helpers.reject(asker, requestText, why, allowed.rule);
      await reply(
        `:no_entry: Rule "${chat.plain(allowed.rule)}" allows a fan-out to at most ${plural(maxTasks, 'task')}; ` +
          `this one would run on ${plan.tasks.length}. Ask with --tasks ${maxTasks}, or have the rule's maxTasks raised. ` +
          'Nothing was run.',
      );
      return;
    }
    if (run.breakGlass) {
      const refusal = !allowed.approval
        ? 'This needs no approval, so --break-glass is not needed; run it without.'
        : !allowed.breakGlassAllowed
          ? `Rule "${allowed.rule}" does not allow --break-glass. Ask for an approval instead.`
          : !run.reason
            ? '--break-glass needs a reason: add --reason "why this cannot wait".'
            : undefined;
      if (refusal) {
        await helpers.reject(asker, requestText, refusal, allowed.rule);
        await reply(`:no_entry: ${chat.plain(refusal)}`);
        return;
      }
    }

    const fleet: FleetScope = {
      service,
      selection: ask.selection,
      limits: ask.limits,
      taskCount: plan.tasks.length,
      skipped: plan.skipped.length,
      maxTasks,
    };
    const created = await store.create({
      requester: asker.userId,
      channel: asker.conversation,
      // No one task: the tasks are planned again at dispatch, and never more than `fleet.taskCount` run.
      target: {
        clusterAlias: run.clusterAlias,
        cluster: run.cluster.cluster,
        taskArn: '',
        container: containers[0] ?? '',
      },
      command: run.command,
      params: {},
      reason: run.reason ?? '',
      ruleName: allowed.rule,
      policyVersion,
      ...approvalTerms(allowed, policy.limits.timeoutMs),
      timeoutMs: allowed.timeoutMs,
      fleet,
    });
    let record: ApprovalRecord = await postRequestCard(deps, created.record, asker, policy);
    if (run.breakGlass && run.reason) {
      record = (await store.breakGlass({ id: record.id, userId: asker.userId, reason: run.reason })).record;
    }
    if (record.state === 'approved') runs.start(record);
    if (run.breakGlass) {
      void cards.refresh(record).catch((error: unknown) => logger.warn({ err: error }, 'card update failed'));
    }
  };
}
