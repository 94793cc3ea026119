import type { ApprovalRecord, TransitionResult } from '../../approval/approval-port.js';
import { ApprovalError } from '../../approval/errors.js';
import { AmbiguousContainerError } from '../../ecs/errors.js';
import type { ClusterSettings, TargetRequest } from '../../ecs/resolve-target.js';
import { toUserMessage } from '../../errors.js';
import { clusterAliasFor, evaluatePolicy, type PolicyDecision } from '../../policy/evaluate.js';
import { eligibleApprovers, userGroupIdsOf } from '../../policy/groups.js';
import { prepareRunbook, runbooksVisibleTo } from '../../policy/runbooks.js';
import { ACTION_IDS, type ActionId, CALLBACK_IDS, type CallbackId } from '../ids.js';
import type { ActionContext, InteractionContext, SlackHandlers } from '../listeners/index.js';
import type { SlashCommand, TargetSpec } from '../parse-command.js';
import { clusterSettingsFor } from './cluster-settings.js';
import type { FlowDeps } from './flow-deps.js';
import { createRequestCards } from './request-cards.js';
import { createRunDispatcher } from './run-dispatcher.js';
import * as views from './views.js';

type ExecCommand = Extract<SlashCommand, { kind: 'exec' }>;

/** A request ready to be stored: what will run, where, why, and under which policy decision. */
interface PreparedRun {
  clusterAlias: string;
  cluster: ClusterSettings;
  target: TargetRequest;
  command: string;
  runbook?: string;
  params: Record<string, string>;
  reason?: string;
  timeoutMs?: number;
  breakGlass: boolean;
  noWrap: boolean;
}

/** Where the person who asked can be answered privately. */
type Reply = (text: string) => Promise<void>;

/** How long without a heartbeat means a run's replica died. */
const STALE_RUN_MS = 3 * 60_000;

/**
 * The click-to-thread flow: a request is checked against the policy, resolved to one task and container, stored,
 * shown as a card, approved by the right people, dispatched exactly once, run, and its output posted in the
 * card's thread. Every refusal is an ephemeral explanation; every accepted request ends in a terminal state that
 * is visible on its card.
 */
export function createExecFlow(
  deps: FlowDeps,
): SlackHandlers & { sweepExpired(): Promise<number>; close(): Promise<void> } {
  const { policy, store, notifier, logger } = deps;
  const cards = createRequestCards(deps);
  const runs = createRunDispatcher(deps, cards);
  /** Work that outlives the Slack request that started it (runbook modals), awaited on close. */
  const background = new Set<Promise<void>>();

  const groupsOf = (userId: string): Promise<string[]> => userGroupIdsOf(policy, deps.userGroups, userId);

  const clusterFor = (alias: string): ClusterSettings | undefined => clusterSettingsFor(policy, alias);

  /**
   * The config alias, its cluster settings and the ECS target for what the user typed; a task ARN names the real
   * cluster, not the alias.
   */
  function targetOf(
    spec: TargetSpec,
  ): { clusterAlias: string; cluster: ClusterSettings; target: TargetRequest } | { error: string } {
    if (spec.kind === 'task-arn') {
      const alias = clusterAliasFor(policy, spec.cluster, spec.region);
      if (!alias) return { error: `the cluster "${spec.cluster}" of that task ARN is not in the config` };
      const cluster = clusterFor(alias) as ClusterSettings;
      return {
        clusterAlias: alias,
        cluster,
        target: {
          kind: 'task-arn',
          taskArn: spec.taskArn,
          cluster: cluster.cluster,
          taskId: spec.taskId,
          region: spec.region,
          ...(spec.container ? { container: spec.container } : {}),
        },
      };
    }
    const cluster = clusterFor(spec.cluster);
    if (!cluster) {
      return { error: `unknown cluster "${spec.cluster}" (clusters: ${Object.keys(policy.clusters).join(', ')})` };
    }
    const container = spec.container ? { container: spec.container } : {};
    const target: TargetRequest =
      spec.kind === 'service'
        ? { kind: 'service', cluster: cluster.cluster, service: spec.service, ...container }
        : { kind: 'task', cluster: cluster.cluster, taskId: spec.taskId, ...container };
    return { clusterAlias: spec.cluster, cluster, target };
  }

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
    },
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
      },
      command: run.command,
      ...(run.runbook ? { runbook: run.runbook } : {}),
      ...(run.timeoutMs !== undefined ? { requestedTimeoutMs: run.timeoutMs } : {}),
    });
  }

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
      })
      .catch((error: unknown) => logger.error({ err: error }, 'could not audit a rejection'));
  }

  /**
   * Checks, resolves, stores and announces one run request. The policy is asked twice: before touching AWS (so a
   * forbidden request costs nothing), and again with the task's real service and container, which the approval binds.
   */
  async function submit(run: PreparedRun, context: InteractionContext, reply: Reply): Promise<void> {
    const requestText = `${run.runbook ? `run ${run.runbook}` : run.clusterAlias} -- ${run.command}`;
    const userGroupIds = await groupsOf(context.userId);
    const first = decide(context.userId, userGroupIds, context.channelId, {
      clusterAlias: run.clusterAlias,
      ...(run.target.kind === 'service' ? { service: run.target.service } : { taskId: run.target.taskId }),
      ...(run.target.container ? { container: run.target.container } : {}),
      command: run.command,
      ...(run.runbook ? { runbook: run.runbook } : {}),
      ...(run.timeoutMs !== undefined ? { timeoutMs: run.timeoutMs } : {}),
    });
    if (first.effect === 'deny') {
      await reject(context, requestText, first.reason, first.rule);
      await reply(views.denied(first));
      return;
    }

    let resolved: Awaited<ReturnType<FlowDeps['engine']['resolve']>>;
    try {
      resolved = await deps.engine.resolve(run.cluster, run.target, {
        userId: context.userId,
        userName: context.userName,
      });
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
    const decision = decide(context.userId, userGroupIds, context.channelId, {
      clusterAlias: run.clusterAlias,
      ...(resolved.service
        ? { service: resolved.service }
        : { taskId: resolved.task.taskArn.slice(resolved.task.taskArn.lastIndexOf('/') + 1) }),
      container: resolved.container.name,
      command: run.command,
      ...(run.runbook ? { runbook: run.runbook } : {}),
      ...(run.timeoutMs !== undefined ? { timeoutMs: run.timeoutMs } : {}),
    });
    if (decision.effect === 'deny') {
      await reject(context, requestText, decision.reason, decision.rule);
      await reply(views.denied(decision));
      return;
    }
    if (run.breakGlass) {
      if (!decision.approval) {
        await reply(':information_source: This needs no approval, so --break-glass is not needed; run it without.');
        return;
      }
      if (!decision.breakGlassAllowed) {
        await reject(context, requestText, 'break-glass not allowed', decision.rule);
        await reply(`:no_entry: Rule "${decision.rule}" does not allow --break-glass. Ask for an approval instead.`);
        return;
      }
      if (!run.reason) {
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
      policyVersion: deps.policyVersion,
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
    const card = await notifier.postMessage(context.channelId, views.requestCard(record, policy, deps.clock.now()));
    record = (await store.attachCard(record.id, { channel: context.channelId, messageTs: card.ts })).record;

    if (run.breakGlass && run.reason) {
      record = (await store.breakGlass({ id: record.id, userId: context.userId, reason: run.reason })).record;
      await cards.refresh(record);
    }
    if (record.state === 'approved') runs.start(record);
  }

  async function eligibleFor(record: ApprovalRecord): Promise<string[]> {
    const requirement = {
      approverGroups: [...record.approval.approverGroups],
      count: record.approval.count,
      // The store decides self-approval itself; give it the full list so it can say why a requester was refused.
      selfApproval: true,
      ttlMs: 0,
    };
    const { users, anyone } = await eligibleApprovers(policy, requirement, deps.userGroups, record.requester);
    return anyone ? ['*', ...users] : users;
  }

  async function decision(
    context: ActionContext,
    requestId: string,
    act: (record: ApprovalRecord, eligible: string[]) => Promise<TransitionResult>,
  ): Promise<ApprovalRecord | undefined> {
    const record = await store.get(requestId);
    if (!record) {
      await context.respond({ text: `:x: There is no request ${requestId}.` });
      return undefined;
    }
    if (context.userId !== record.requester) {
      const standing = await deps.people.standing(context.userId);
      if (!standing.ok) {
        await reject(context, `decision on ${record.id}`, `refused a click: ${standing.reason}`);
        await context.respond({ text: `:no_entry: You cannot decide on ${record.id}: ${standing.reason}.` });
        return undefined;
      }
    }
    try {
      const next = (await act(record, await eligibleFor(record))).record;
      // The card update does not hold up what follows (an approval's dispatch starts at once); it is ordered after
      // the stored decision, which is all that matters for what the card shows.
      void cards.refresh(next).catch((error: unknown) => logger.warn({ err: error, requestId }, 'card update failed'));
      return next;
    } catch (error) {
      if (error instanceof ApprovalError) {
        await context.respond({ text: `:no_entry: ${toUserMessage(error)}` });
        if (error.record) await cards.refresh(error.record).catch(() => {});
        return undefined;
      }
      throw error;
    }
  }

  /**
   * A container choice travels in the button's value, so whichever replica gets the click can continue the request.
   * The value holds only what the user asked for; everything is checked again (policy, target, approvals) on click.
   */
  function encodePick(run: PreparedRun, container: string): string {
    const { cluster: _settings, ...asked } = run;
    return JSON.stringify({ ...asked, target: { ...run.target, container } });
  }

  function decodePick(value: string): PreparedRun | undefined {
    try {
      const asked = JSON.parse(value) as Omit<PreparedRun, 'cluster'>;
      const cluster = clusterFor(asked.clusterAlias);
      return cluster && typeof asked.command === 'string' ? { ...asked, cluster } : undefined;
    } catch {
      return undefined;
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
        const visible = runbooksVisibleTo(policy, context.userId, await groupsOf(context.userId), context.channelId);
        return await reply(views.runbookList(visible));
      }
      case 'explain': {
        const target = targetOf(command.target);
        if ('error' in target) return await reply(`:x: ${target.error}`);
        const spec = command.target;
        const decisionResult = decide(context.userId, await groupsOf(context.userId), context.channelId, {
          clusterAlias: target.clusterAlias,
          ...(spec.kind === 'service' ? { service: spec.service } : { taskId: spec.taskId }),
          ...(spec.container ? { container: spec.container } : {}),
          command: command.command,
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
        const { cluster } = target;
        const checks = await deps.engine.doctor(cluster, command.target.service, { userId: context.userId });
        return await reply(views.doctor(target.clusterAlias, command.target.service, checks));
      }
    }
  }

  async function handleExec(command: ExecCommand, context: InteractionContext, reply: Reply): Promise<void> {
    const target = targetOf(command.target);
    if ('error' in target) {
      await reject(context, command.command, target.error);
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
    const prepared = prepareRunbook(policy, name, given);
    if (!prepared.ok) {
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
      await reject(context, `run ${name}`, lines.join('; '));
      await reply(`:x: Runbook "${name}" cannot run with these values:\n${lines.join('\n')}`);
      return;
    }
    const { run } = prepared;
    const target = targetOf({
      kind: 'service',
      cluster: run.target.clusterAlias,
      service: run.target.service ?? '',
      ...(run.target.container ? { container: run.target.container } : {}),
    });
    if ('error' in target) {
      await reply(`:x: ${target.error}`);
      return;
    }
    await submit(
      {
        ...target,
        command: run.command,
        runbook: name,
        params: Object.fromEntries(Object.entries(run.values).map(([k, v]) => [k, String(v)])),
        ...(options.reason ? { reason: options.reason } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        breakGlass: options.breakGlass ?? false,
        noWrap: false,
      },
      context,
      reply,
    );
  }

  async function cancelRequest(record: ApprovalRecord, userId: string, reply: Reply): Promise<void> {
    if (userId !== record.requester) {
      const standing = await deps.people.standing(userId);
      if (!standing.ok) {
        await reply(`:no_entry: You cannot stop or cancel ${record.id}: ${standing.reason}.`);
        return;
      }
    }
    const running = record.state === 'dispatched' || record.state === 'running';
    if (running) {
      const eligible = await eligibleFor(record);
      const allowed = userId === record.requester || eligible.includes(userId) || eligible.includes('*');
      if (!allowed) {
        await reply(`:no_entry: Only the requester or an approver can stop ${record.id}.`);
        return;
      }
      // The run lives in whichever replica dispatched it; every replica hears the signal and the owner acts.
      await deps.runSignals.requestStop(record.id, userId);
      await reply(`:octagonal_sign: Stopping ${record.id}: Ctrl-C is sent to the command, then the session is ended.`);
      return;
    }
    try {
      const next = (await store.cancel({ id: record.id, userId, eligibleApprovers: await eligibleFor(record) })).record;
      await cards.refresh(next);
      await reply(`:white_check_mark: ${record.id} is cancelled. Nothing ran.`);
    } catch (error) {
      if (error instanceof ApprovalError) {
        await reply(`:no_entry: ${toUserMessage(error)}`);
        return;
      }
      throw error;
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
            expectedDigest: record.digest,
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
        if (!record) return await context.respond({ text: `:x: There is no request ${requestId}.` });
        const eligible = await eligibleFor(record);
        if (!eligible.includes(context.userId) && !eligible.includes('*')) {
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
      const prepared = prepareRunbook(policy, meta.runbook, given);
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

  /**
   * Closes what nobody will close otherwise: requests whose approval window passed, and runs whose replica stopped
   * sending heartbeats (it died mid-run). Each gets its card updated; a lost run also gets a final status in its
   * thread saying the command may still be running. Nothing is re-run.
   */
  async function sweepExpired(): Promise<number> {
    const expired = await store.expireDue();
    for (const { record } of expired) await cards.refresh(record).catch(() => {});
    const stale = await store.interruptStale(STALE_RUN_MS);
    for (const { record } of stale) {
      await cards.refresh(record).catch(() => {});
      const text =
        '⚠ interrupted: the bot replica running this stopped, and the command may still be running in the container.';
      await notifier.postMessage(record.channel, { text }, record.cardMessageTs).catch(() => {});
    }
    return expired.length + stale.length;
  }

  const sweepEvery = deps.expirySweepIntervalMs ?? 15_000;
  const sweeper =
    sweepEvery > 0
      ? setInterval(() => {
          void sweepExpired().catch((error: unknown) => logger.warn({ err: error }, 'expiry sweep failed'));
        }, sweepEvery)
      : undefined;
  sweeper?.unref();

  return {
    command: handleCommand,
    action: handleAction,
    viewSubmission: handleView,
    sweepExpired,
    async close() {
      if (sweeper) clearInterval(sweeper);
      await runs.close();
      await Promise.allSettled([...background]);
    },
  };
}
