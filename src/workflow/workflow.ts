import { toUserMessage } from '../errors.js';
import { mayInspectService } from '../policy/evaluate.js';
import { prepareRunbook, runbooksVisibleTo } from '../policy/runbooks.js';
import type { Asker } from './chat-port.js';
import { createDecisions, type Decisions } from './decide.js';
import { createRunDispatcher } from './dispatch.js';
import { createFleetRunStep } from './fleet-run-step.js';
import { type HomePage, readHomePage } from './home.js';
import { createRequestIntake } from './intake.js';
import { createRequestCards } from './request-cards.js';
import type { ExecRequest, ExplainRequest, RunbookRequest, TargetSpec } from './requests.js';
import { createSingleRunStep } from './run-step.js';
import { createStaleCards } from './stale-cards.js';
import { createSweeper } from './sweep.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** A runbook's parameters as a form sent them back: all of them, by name. */
export interface RunbookParameters {
  runbook: string;
  given: Record<string, string>;
  reason?: string;
}

/**
 * The request lifecycle, one method per thing a person can do. Intake checks a request against the policy,
 * resolves it to one task and container, stores it and shows its card; decisions approve, deny, cancel or stop it;
 * an approved request is dispatched exactly once, run, and reported in the card's thread; the sweep moves on what
 * nobody else will. Every refusal is a private explanation; every accepted request ends in a terminal state that is
 * visible on its card.
 */
export interface Workflow extends Decisions {
  exec(request: ExecRequest, asker: Asker): Promise<void>;
  runRunbook(request: RunbookRequest, asker: Asker): Promise<void>;
  /** A runbook form came back: field errors to show on the form, or undefined once the request goes on. */
  submitRunbookParameters(
    submitted: RunbookParameters,
    asker: Asker,
  ): Promise<{ fieldErrors: Record<string, string> } | undefined>;
  /** A container was picked from an offer; `resume` is what the offer carried, checked again as user input. */
  pickContainer(resume: string, asker: Asker): Promise<void>;
  /** A command that could not be read; the person was answered already, this keeps the record of it. */
  refuseMalformed(typedText: string, why: string, asker: Asker): Promise<void>;
  listRunbooks(asker: Asker): Promise<void>;
  explain(request: ExplainRequest, asker: Asker): Promise<void>;
  status(requestId: string, asker: Asker): Promise<void>;
  history(limit: number, asker: Asker): Promise<void>;
  doctor(target: TargetSpec, asker: Asker): Promise<void>;
  /** One person's home page: the requests waiting for their decision, their recent requests, their runbooks. */
  homePage(userId: string): Promise<HomePage>;
  /** One sweep pass (tests and the sweeper's own timer); returns how many requests it closed. */
  sweepExpired(): Promise<number>;
  /** Lets work in flight finish, then stops runs still going after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

export function createWorkflow(deps: WorkflowDeps): Workflow {
  const { store, chat, logger } = deps;
  const policyNow = () => deps.config.current().policy;
  const cards = createRequestCards(deps);
  const singleRun = createSingleRunStep(deps, cards);
  const fleetRun = createFleetRunStep(deps, cards);
  const runs = createRunDispatcher(deps, cards, (record, control) =>
    record.fleet ? fleetRun(record, control) : singleRun(record, control),
  );
  const intake = createRequestIntake(deps, cards, runs);
  const { groupsOf, targetOf, decide, reject, submit, decodePick } = intake;
  const staleCards = createStaleCards(deps, cards);
  const decisions = createDecisions(deps, cards, staleCards, runs, reject);
  const sweeper = createSweeper(deps, cards, runs);
  /** Work that outlives the interaction that started it (runbook forms), awaited on close. */
  const background = new Set<Promise<void>>();

  // Once, in the background: cards of requests that ended while their last update was lost lose their buttons.
  const reconciling =
    deps.reconcileCardsOnStart === false
      ? Promise.resolve()
      : staleCards.reconcileOnStart().then(
          (count) => logger.info({ count }, 'final cards brought up to date'),
          (error: unknown) => logger.warn({ err: error }, 'could not bring final cards up to date'),
        );
  background.add(reconciling);

  /** Every call is tracked, so a shutdown lets the ones in flight finish before closing the dispatcher. */
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

  async function explain(request: ExplainRequest, asker: Asker): Promise<void> {
    const target = targetOf(request.target);
    if ('error' in target) return await asker.reply(`:x: ${target.error}`);
    const spec = request.target;
    // Nothing is asked of ECS here, so the answer says what it still depends on, as a request's first check does.
    const decision = decide(asker.userId, await groupsOf(asker.userId), asker.conversation, {
      clusterAlias: target.clusterAlias,
      ...(spec.kind === 'service' ? { service: spec.service } : { taskId: spec.taskId }),
      ...(spec.container ? { container: spec.container } : {}),
      command: request.command,
      unresolved: true,
    });
    await asker.reply(chat.words.explanation(decision, request.command));
  }

  async function doctor(spec: TargetSpec, asker: Asker): Promise<void> {
    const target = targetOf(spec);
    if ('error' in target) return await asker.reply(`:x: ${target.error}`);
    if (spec.kind !== 'service') return await asker.reply(':x: doctor takes <cluster>/<service>.');
    const inspectable = mayInspectService(policyNow(), {
      userId: asker.userId,
      userGroupIds: await groupsOf(asker.userId),
      channelId: asker.conversation,
      clusterAlias: target.clusterAlias,
      service: spec.service,
    });
    if (!inspectable) {
      const shown = `${target.clusterAlias}/${spec.service}`;
      await reject(asker, `doctor ${shown}`, 'no rule lets this person run anything on this service here');
      return await asker.reply(
        `:no_entry: No rule lets you run anything on ${chat.plain(shown)} here, so the bot will not inspect it for you.`,
      );
    }
    const checks = await deps.engine.doctor(target.cluster, spec.service, { userId: asker.userId });
    await asker.reply(chat.words.doctor(target.clusterAlias, spec.service, checks));
  }

  async function submitRunbookParameters(
    submitted: RunbookParameters,
    asker: Asker,
  ): Promise<{ fieldErrors: Record<string, string> } | undefined> {
    const prepared = prepareRunbook(policyNow(), submitted.runbook, submitted.given);
    if (!prepared.ok) {
      const fieldErrors: Record<string, string> = {};
      for (const name of prepared.missing) fieldErrors[name] = 'required';
      for (const problem of prepared.problems) fieldErrors[problem.param] = problem.message;
      return { fieldErrors };
    }
    // The form closes at once; the request continues in the conversation like a typed one.
    const work = intake
      .runRunbook(
        {
          runbook: submitted.runbook,
          params: submitted.given,
          ...(submitted.reason ? { reason: submitted.reason } : {}),
        },
        asker,
      )
      .catch(async (error: unknown) => {
        logger.error({ err: error }, 'runbook from a form failed');
        await asker.reply(`:x: ${toUserMessage(error)}`).catch(() => {});
      });
    background.add(work);
    void work.finally(() => background.delete(work));
    return undefined;
  }

  return {
    exec: tracked(intake.exec),
    runRunbook: tracked(intake.runRunbook),
    submitRunbookParameters: tracked(submitRunbookParameters),
    pickContainer: tracked(async (resume: string, asker: Asker) => {
      const run = decodePick(resume);
      if (!run) return await asker.reply(':x: This choice has expired; send the request again.');
      return await submit(run, asker);
    }),
    refuseMalformed: tracked(async (typedText: string, why: string, asker: Asker) => {
      await reject(asker, typedText, `malformed command: ${why}`);
    }),
    listRunbooks: tracked(async (asker: Asker) => {
      const visible = runbooksVisibleTo(policyNow(), asker.userId, await groupsOf(asker.userId), asker.conversation);
      await asker.reply(chat.words.runbooks(visible));
    }),
    explain: tracked(explain),
    status: tracked(async (requestId: string, asker: Asker) => {
      const record = await store.get(requestId);
      if (!record || (record.requester !== asker.userId && record.channel !== asker.conversation)) {
        return await asker.reply(`:x: There is no request ${requestId} that you can see here.`);
      }
      await asker.reply(chat.words.status(record));
    }),
    history: tracked(async (limit: number, asker: Asker) => {
      await asker.reply(chat.words.history(await store.listByRequester(asker.userId, limit)));
    }),
    doctor: tracked(doctor),
    homePage: (userId: string) => readHomePage(deps, userId),
    approve: tracked(decisions.approve),
    askToDeny: tracked(decisions.askToDeny),
    deny: tracked(decisions.deny),
    cancel: tracked(decisions.cancel),
    stop: tracked(decisions.stop),
    sweepExpired: sweeper.sweep,
    async close(graceMs = 0) {
      sweeper.stop();
      await Promise.allSettled([...background]);
      await runs.close(graceMs);
    },
  };
}
