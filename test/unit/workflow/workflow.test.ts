import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemoryApprovalStore } from '../../../src/approval/memory-approval-store.js';
import { LocalRunSignals } from '../../../src/approval/run-signals.js';
import type { AuditEntry } from '../../../src/audit/audit-entry.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { fixedPolicy } from '../../../src/config/policy-holder.js';
import { AmbiguousContainerError } from '../../../src/ecs/errors.js';
import type { ExecEngine } from '../../../src/ecs/exec-engine.js';
import { createLogger } from '../../../src/output/redacting-logger.js';
import type { ExecRequest } from '../../../src/workflow/requests.js';
import { createWorkflow } from '../../../src/workflow/workflow.js';
import { FakeChat } from './fake-chat.js';

const YAML = `
clusters:
  demo: { cluster: demo, region: us-east-1, shell: /bin/sh }
groups:
  sre: { users: [U0BOB] }
  devs: { users: [U0ALICE, U0BOB, U0CAROL] }
rules:
  - name: web-open
    effect: allow
    who: [devs]
    targets: ["demo/web"]
    commands: ["**"]
    maxTasks: 5
  - name: worker-needs-sre
    effect: allow
    who: [devs]
    targets: ["demo/*"]
    commands: ["**"]
    approval: { approvers: [sre], count: 1, selfApproval: false, ttl: 10m }
runbooks:
  restart-worker:
    target: demo/worker:app
    command: echo restart {{process}}
    params:
      process: { type: enum, values: [sidekiq, resque] }
    who: [devs]
    approval: none
limits: { timeout: 1m, maxOutputBytes: 1MiB, previewLines: 20 }
`;
const ENV = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secretsecret123', ECS_EXEC_CONFIG: 'x.yml' };

const quiet = createLogger({ destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });

/** A workflow over the in-memory store, a fake chat and an engine that echoes what it was asked to run. */
function setup(options: { containers?: string[] } = {}) {
  const config = loadConfig(ENV, () => YAML);
  const chat = new FakeChat();
  const audit: AuditEntry[] = [];
  const store = new MemoryApprovalStore({ auditSink: (entry) => audit.push(entry) });
  const ran: string[] = [];
  const engine: ExecEngine = {
    async resolve(cluster, target) {
      if (!target.container && options.containers) throw new AmbiguousContainerError('task', options.containers);
      return {
        cluster,
        service: target.kind === 'service' ? target.service : 'x',
        task: { taskArn: `arn:aws:ecs:us-east-1:111122223333:task/demo/${'a'.repeat(32)}` },
        container: { name: target.container ?? 'app' },
      } as never;
    },
    async run(request) {
      ran.push(`${request.container}: ${request.command}`);
      request.onSession?.('session-1');
      request.onOutput(new TextEncoder().encode(`ran ${request.command}\r\n`));
      return { outcome: 'completed', exitCode: 0, target: {} as never, sessionId: 'session-1', bytes: 1 };
    },
    async doctor() {
      return [];
    },
    ecsFor() {
      // Three running tasks with a running exec agent, for fan-out requests.
      const tasks = [1, 2, 3].map((n) => ({
        taskArn: `arn:aws:ecs:us-east-1:111122223333:task/demo/${String(n).repeat(32)}`,
        taskId: String(n).repeat(32),
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        enableExecuteCommand: true,
        startedAt: n,
        containers: [{ name: 'app', lastStatus: 'RUNNING', execAgent: { lastStatus: 'RUNNING' } }],
      }));
      return {
        listTasks: async () => tasks.map((task) => task.taskArn),
        describeTasks: async () => ({ tasks, failures: [] }),
      } as never;
    },
  };
  const workflow = createWorkflow({
    config: fixedPolicy(config.policy, config.policyVersion),
    store,
    chat,
    userGroups: { usersOf: async () => [] },
    people: { standing: async () => ({ ok: true }) },
    engine,
    runSignals: new LocalRunSignals(),
    clock: { now: () => Date.now() },
    logger: quiet,
    replicaId: 'replica-1',
    expirySweepIntervalMs: 0,
    reconcileCardsOnStart: false,
  });
  return { workflow, chat, store, ran, audit };
}

const exec = (target: string, command: string): ExecRequest => {
  const [cluster = '', rest = ''] = target.split('/');
  const [service = '', container] = rest.split(':');
  return {
    target: { kind: 'service', cluster, service, ...(container ? { container } : {}) },
    command,
    breakGlass: false,
    noWrap: false,
  };
};

describe('the request workflow, against a fake chat', () => {
  it('shows a request that needs no approval, runs it once and shows its result, then the final card', async () => {
    const { workflow, chat, ran } = setup();
    await workflow.exec(exec('demo/web', 'uptime'), chat.asker('U0ALICE'));
    await expect.poll(() => chat.events.some((event) => event.kind === 'result')).toBe(true);
    await workflow.close();

    expect(ran).toEqual(['app: uptime']);
    const [card] = chat.events;
    expect(card).toMatchObject({ kind: 'card', state: 'approved' });
    const result = chat.events.find((event) => event.kind === 'result');
    expect(result).toMatchObject({ state: 'succeeded', output: expect.stringContaining('ran uptime') });
    expect(chat.events.at(-1)).toMatchObject({ kind: 'card-update', state: 'succeeded' });
  });

  it('runs a request that needs approval only once an eligible approver approves it from its card', async () => {
    const { workflow, chat, store, ran } = setup();
    await workflow.exec(exec('demo/worker', 'rake jobs'), chat.asker('U0ALICE'));
    const [request] = await store.listByRequester('U0ALICE', 1);
    if (!request) throw new Error('no request stored');
    const card = request.cardRef;

    await workflow.approve(request.id, chat.asker('U0CAROL', { clickedMessage: card }));
    expect(chat.repliesTo('U0CAROL').join('\n')).toMatch(/:no_entry:/);
    expect((await store.get(request.id))?.state).toBe('pending_approval');

    await workflow.approve(request.id, chat.asker('U0BOB', { clickedMessage: card }));
    await expect.poll(async () => (await store.get(request.id))?.state).toBe('succeeded');
    await workflow.close();
    expect(ran).toEqual(['app: rake jobs']);
  });

  it('retires a message that is not the request card instead of acting on its click', async () => {
    const { workflow, chat, store } = setup();
    await workflow.exec(exec('demo/worker', 'rake jobs'), chat.asker('U0ALICE'));
    const [request] = await store.listByRequester('U0ALICE', 1);
    if (!request) throw new Error('no request stored');

    await workflow.approve(request.id, chat.asker('U0BOB', { clickedMessage: 'some-older-card' }));
    await workflow.close();

    expect(chat.events).toContainEqual({ kind: 'retired', message: 'some-older-card', requestId: request.id });
    expect(chat.repliesTo('U0BOB')).toEqual([expect.stringContaining('That card is out of date')]);
    expect((await store.get(request.id))?.state).toBe('pending_approval');
  });

  it('asks which container when a task has several, and goes on with the one picked', async () => {
    const { workflow, chat, ran } = setup({ containers: ['app', 'sidecar'] });
    await workflow.exec(exec('demo/web', 'ls'), chat.asker('U0ALICE'));
    const offer = chat.events.find((event) => event.kind === 'choices');
    if (offer?.kind !== 'choices') throw new Error('no choice offered');
    expect(offer.choices.map((choice) => choice.container)).toEqual(['app', 'sidecar']);

    const sidecar = offer.choices.find((choice) => choice.container === 'sidecar');
    await workflow.pickContainer(sidecar?.resume ?? '', chat.asker('U0ALICE'));
    await expect.poll(() => ran).toEqual(['sidecar: ls']);
    await workflow.close();
  });

  it('refuses a forged container choice without running anything', async () => {
    const { workflow, chat, ran } = setup();
    await workflow.pickContainer('{"container":"app","clusterAlias":"nowhere","command":"id"}', chat.asker('U0ALICE'));
    await workflow.close();
    expect(chat.repliesTo('U0ALICE')).toEqual([expect.stringContaining('This choice has expired')]);
    expect(ran).toEqual([]);
  });

  it('asks for missing runbook parameters, names what is missing, and runs once they are given', async () => {
    const { workflow, chat, ran } = setup();
    await workflow.runRunbook({ runbook: 'restart-worker', params: {} }, chat.asker('U0ALICE'));
    const form = chat.events.find((event) => event.kind === 'form');
    expect(form).toMatchObject({ form: { runbook: 'restart-worker', given: {} } });

    const missing = await workflow.submitRunbookParameters(
      { runbook: 'restart-worker', given: {} },
      chat.asker('U0ALICE'),
    );
    expect(missing).toEqual({ fieldErrors: { process: 'required' } });

    const accepted = await workflow.submitRunbookParameters(
      { runbook: 'restart-worker', given: { process: 'resque' } },
      chat.asker('U0ALICE'),
    );
    expect(accepted).toBeUndefined();
    await expect.poll(() => ran).toEqual(['app: echo restart resque']);
    await workflow.close();
  });

  it('asks an eligible approver for a deny reason, and denies; nobody else gets the form', async () => {
    const { workflow, chat, store, ran } = setup();
    await workflow.exec(exec('demo/worker', 'rake jobs'), chat.asker('U0ALICE'));
    const [request] = await store.listByRequester('U0ALICE', 1);
    if (!request) throw new Error('no request stored');
    const card = request.cardRef;

    await workflow.askToDeny(request.id, chat.asker('U0CAROL', { clickedMessage: card }));
    expect(chat.repliesTo('U0CAROL')).toEqual([`:no_entry: Only sre can deny ${request.id}.`]);
    await workflow.askToDeny(request.id, chat.asker('U0BOB', { clickedMessage: card }));
    expect(chat.events).toContainEqual({ kind: 'deny-form', userId: 'U0BOB', requestId: request.id });

    await workflow.deny(request.id, chat.asker('U0BOB', { clickedMessage: card }), 'not during the freeze');
    await workflow.close();
    expect(await store.get(request.id)).toMatchObject({ state: 'denied', denyReason: 'not during the freeze' });
    expect(ran).toEqual([]);
  });

  it('says on the card when the result could not be delivered', async () => {
    const { workflow, chat } = setup();
    chat.resultDelivery = 'unconfirmed';
    await workflow.exec(exec('demo/web', 'uptime'), chat.asker('U0ALICE'));
    await expect
      .poll(() => chat.events.at(-1))
      .toMatchObject({ kind: 'card-update', state: 'succeeded', note: 'result_unconfirmed' });
    await workflow.close();
  });

  it('audits a command that could not be read, and answers nothing more', async () => {
    const { workflow, chat, store, audit } = setup();
    await workflow.refuseMalformed('demo/web --force -- ls', 'unknown option', chat.asker('U0ALICE'));
    await workflow.close();
    expect(chat.events).toEqual([]);
    expect(await store.listByRequester('U0ALICE', 5)).toEqual([]);
    expect(audit).toMatchObject([{ action: 'reject', actor: 'U0ALICE' }]);
  });
});

describe('fan-out requests, against a fake chat', () => {
  const fanOut = (target: string, command: string): ExecRequest => ({
    ...exec(target, command),
    fleet: {
      selection: { kind: 'all' },
      limits: { maxConcurrency: { kind: 'count', value: 2 }, maxErrors: { kind: 'count', value: 0 } },
    },
  });

  it('stores one request for all tasks, runs each task once, audits each and reports the grouped result', async () => {
    const { workflow, chat, store, ran, audit } = setup();
    await workflow.exec(fanOut('demo/web', 'uptime'), chat.asker('U0ALICE'));
    await expect.poll(() => chat.events.some((event) => event.kind === 'result')).toBe(true);
    await workflow.close();
    expect(ran).toEqual(['app: uptime', 'app: uptime', 'app: uptime']);
    const [request] = await store.listByRequester('U0ALICE', 1);
    expect(request?.fleet).toMatchObject({ service: 'web', taskCount: 3, skipped: 0, maxTasks: 5 });
    expect(request?.state).toBe('succeeded');
    expect(chat.events.find((event) => event.kind === 'result')).toMatchObject({
      output: '3 tasks: exit 0 `ran uptime`',
    });
    const perTask = audit.filter((entry) => entry.action === 'task_run');
    expect(perTask.map((entry) => entry.detail['exitCode'])).toEqual([0, 0, 0]);
  });

  it('refuses a fan-out where the rule sets no maxTasks, naming the rule and the cap; nothing is stored', async () => {
    const { workflow, chat, store, ran } = setup();
    await workflow.exec(fanOut('demo/worker', 'uptime'), chat.asker('U0ALICE'));
    expect(chat.repliesTo('U0ALICE').join('\n')).toContain(
      'Rule "worker-needs-sre" allows a fan-out to at most 1 task; this one would run on 3.',
    );
    expect(await store.listByRequester('U0ALICE', 1)).toHaveLength(0);
    expect(ran).toEqual([]);
    await workflow.close();
  });
});
