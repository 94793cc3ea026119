import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemoryApprovalStore } from '../../../src/approval/memory-approval-store.js';
import { LocalRunSignals, type RunSignals } from '../../../src/approval/run-signals.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { fixedPolicy } from '../../../src/config/policy-holder.js';
import type { ExecEngine } from '../../../src/ecs/exec-engine.js';
import { createLogger } from '../../../src/output/redacting-logger.js';
import { systemClock } from '../../../src/shared/clock.js';
import type { ActionId } from '../../../src/slack/ids.js';
import { createSlackHandlers } from '../../../src/slack/listeners/handlers.js';
import type { ActionContext, InteractionContext } from '../../../src/slack/listeners/index.js';
import { parseSlashCommand } from '../../../src/slack/parse-command.js';
import { SlackChat } from '../../../src/slack/slack-chat.js';
import type { SlackMessage, SlackNotifier } from '../../../src/slack/slack-port.js';
import { createWorkflow } from '../../../src/workflow/workflow.js';

const YAML = `
clusters:
  demo: { cluster: demo, region: us-east-1, shell: /bin/sh }
groups:
  sre: { users: [U0BOB] }
  oncall: { users: [U0ALICE] }
  devs: { users: [U0ALICE, U0BOB] }
rules:
  - name: web-open
    effect: allow
    who: [devs]
    targets: ["demo/web"]
    commands: ["**"]
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
      process: { type: enum, values: [sidekiq, resque], default: sidekiq }
    who: [oncall]
    approval: none
limits: { timeout: 1m, maxOutputBytes: 8MiB, previewLines: 20 }
`;
const env = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secretsecret123',
  ECS_EXEC_CONFIG: 'x.yml',
  AWS_REGION: 'us-east-1',
};

function setup(
  opts: {
    failResultPost?: boolean;
    /** Posting the next request card fails (Slack down for a moment). */
    failCardPost?: boolean;
    policyVersion?: string;
    store?: MemoryApprovalStore;
    runSignals?: RunSignals;
    /** The command runs until it is stopped. */
    untilStopped?: boolean;
    startOrphansAfterMs?: number;
  } = {},
) {
  const config = loadConfig(env, () => YAML);
  const calls: { m: string; channel: string; ts?: string; thread?: string; msg?: SlackMessage; user?: string }[] = [];
  let n = 0;
  const notifier: SlackNotifier = {
    async postMessage(channel, msg, thread) {
      if (opts.failResultPost && thread && /exit|succeeded|could not/i.test(msg.text)) {
        throw new Error('Slack 500');
      }
      if (opts.failCardPost && !thread) {
        opts.failCardPost = false;
        throw new Error('Slack 500');
      }
      n += 1;
      const ts = `1000.${n}`;
      calls.push({ m: 'post', channel, ts, ...(thread ? { thread } : {}), msg });
      return { ts };
    },
    async updateMessage(channel, ts, msg) {
      calls.push({ m: 'update', channel, ts, msg });
    },
    async postEphemeral(channel, user, msg) {
      calls.push({ m: 'ephemeral', channel, user, msg });
    },
    async uploadFile() {},
    async openModal() {},
  };
  const ran: string[] = [];
  const inspected: string[] = [];
  const engine: ExecEngine = {
    async resolve(cluster, target) {
      const service = target.kind === 'service' ? target.service : 'x';
      return {
        cluster,
        service,
        task: { taskArn: `arn:aws:ecs:us-east-1:111122223333:task/demo/${'a'.repeat(32)}` },
        container: { name: target.container ?? 'app' },
      } as never;
    },
    async run(req) {
      ran.push(`${req.container}: ${req.command}`);
      req.onSession?.('sess-1');
      req.onOutput(new TextEncoder().encode('hello\r\n'));
      if (opts.untilStopped) {
        await new Promise((resolve) => req.signal?.addEventListener('abort', resolve, { once: true }));
        return { outcome: 'cancelled', exitCode: 130, target: {} as never, sessionId: 'sess-1', bytes: 7 };
      }
      return { outcome: 'completed', exitCode: 0, target: {} as never, sessionId: 'sess-1', bytes: 7 };
    },
    async doctor(cluster, service) {
      inspected.push(`${cluster.cluster}/${service}`);
      return [];
    },
    ecsFor() {
      throw new Error('no fan-out in this test');
    },
  };
  const logs: string[] = [];
  const dest = new PassThrough();
  dest.on('data', (c) => logs.push(String(c)));
  const store = opts.store ?? new MemoryApprovalStore();
  const logger = createLogger({ destination: dest });
  const workflow = createWorkflow({
    config: fixedPolicy(config.policy, opts.policyVersion ?? config.policyVersion),
    store,
    chat: new SlackChat(notifier, { clock: systemClock, logger }),
    userGroups: { usersOf: async () => [] },
    people: { standing: async () => ({ ok: true }) },
    engine,
    runSignals: opts.runSignals ?? new LocalRunSignals(),
    clock: systemClock,
    logger,
    replicaId: 'r1',
    liveTailDelayMs: 60_000,
    expirySweepIntervalMs: 0,
    ...(opts.startOrphansAfterMs !== undefined ? { startOrphansAfterMs: opts.startOrphansAfterMs } : {}),
  });
  // Slack's listeners as registered: one handler per button, each calling one workflow method.
  const handlers = createSlackHandlers(workflow, notifier);
  const flow = {
    ...handlers,
    action: (actionId: ActionId, value: string, context: ActionContext) => {
      const handler = handlers.actions[actionId];
      if (!handler) throw new Error(`no listener for ${actionId}`);
      return handler(value, context);
    },
    sweepExpired: workflow.sweepExpired,
    close: workflow.close,
  };
  const replies: string[] = [];
  const ctx = (userId: string, extra: Partial<ActionContext> = {}): ActionContext => ({
    userId,
    userName: userId,
    channelId: 'C1',
    teamId: 'T1',
    triggerId: `trig-${Math.random()}`,
    client: {} as never,
    respond: async (m) => {
      replies.push(m.text);
    },
    messageTs: undefined,
    ...extra,
  });
  return { flow, store, calls, ran, inspected, logs, replies, ctx, config };
}

async function slash(t: ReturnType<typeof setup>, user: string, text: string) {
  const parsed = parseSlashCommand(text);
  if (!parsed.ok || parsed.value.kind === 'help') throw new Error('parse');
  await t.flow.command(parsed.value, t.ctx(user) as InteractionContext);
}

const settle = () => new Promise((r) => setTimeout(r, 200));

describe('the flow at its edges (in-memory store, scripted engine and Slack)', () => {
  it('refuses an approval given under another policy version, telling the approver, and runs nothing', async () => {
    const store = new MemoryApprovalStore();
    const a = setup({ store });
    const b = setup({ store, policyVersion: 'sha256:another-policy' });
    await slash(a, 'U0ALICE', 'demo/worker -- uptime');
    const [request] = await store.listByRequester('U0ALICE', 1);
    if (!request) throw new Error('no request');
    await b.flow.action('ecs_exec_approve', request.id, b.ctx('U0BOB', { messageTs: request.cardRef }));
    await settle();
    expect((await store.get(request.id))?.state).toBe('pending_approval');
    expect(b.replies.join('\n')).toMatch(/no longer what was approved/);
    expect(b.ran).toEqual([]);
    await a.flow.close();
    await b.flow.close();
  });

  it('stops a run whose Stop signal passed this replica by, once its subscription is back', async () => {
    // Signals as a replica with a broken subscription sees them: nothing is delivered, but the request is stored.
    const stored = new Map<string, string>();
    let reconnected: () => void = () => {};
    const deaf: RunSignals = {
      async requestStop(requestId, byUserId) {
        stored.set(requestId, byUserId);
      },
      onStop: () => () => {},
      stopRequestedBy: async (requestId) => stored.get(requestId),
      onReconnect(handler) {
        reconnected = handler;
        return () => {};
      },
      async close() {},
    };
    const t = setup({ runSignals: deaf, untilStopped: true });
    await slash(t, 'U0ALICE', 'demo/web -- tail -f /var/log/app.log');
    await settle();
    const [request] = await t.store.listByRequester('U0ALICE', 1);
    if (!request) throw new Error('no request');
    expect(request.state).toBe('running');
    await slash(t, 'U0ALICE', `cancel ${request.id}`);
    await settle();
    expect((await t.store.get(request.id))?.state).toBe('running');
    reconnected();
    await expect.poll(async () => (await t.store.get(request.id))?.state).toBe('cancelled');
    await t.flow.close();
  });

  it('starts, once, an approved request whose replica stopped before starting it', async () => {
    const t = setup({ startOrphansAfterMs: 0 });
    // What a replica that died right after the approval leaves behind: an approved request nobody started.
    const orphan = {
      requester: 'U0ALICE',
      channel: 'C1',
      target: {
        clusterAlias: 'demo',
        cluster: 'demo',
        taskArn: `arn:aws:ecs:us-east-1:111122223333:task/demo/${'a'.repeat(32)}`,
        container: 'app',
      },
      reason: '',
      ruleName: 'worker-needs-sre',
      approval: { approverGroups: [], count: 0, selfApproval: false, breakGlassAllowed: false },
      ttlMs: 600_000,
    };
    const { record } = await t.store.create({
      ...orphan,
      command: 'echo left behind',
      policyVersion: t.config.policyVersion,
    });
    await t.store.attachCard(record.id, { conversation: 'C1', messageRef: '1000.90' });
    // One whose card never made it (and whose cancel failed too): its requester was told nothing ran.
    const cardless = await t.store.create({
      ...orphan,
      command: 'echo no card',
      policyVersion: t.config.policyVersion,
    });
    const underOldPolicy = await t.store.create({
      ...orphan,
      command: 'echo approved under an older policy',
      policyVersion: 'sha256:an-older-policy',
    });
    // Where the store could forget a claim, nothing starts it: its command may already have started.
    const cautious = setup({ store: t.store });
    await cautious.flow.sweepExpired();
    await settle();
    expect(cautious.ran).toEqual([]);
    expect((await t.store.get(record.id))?.state).toBe('approved');
    await cautious.flow.close();

    await t.flow.sweepExpired();
    await expect.poll(async () => (await t.store.get(record.id))?.state).toBe('succeeded');
    await t.flow.sweepExpired();
    await settle();
    expect(t.ran).toEqual(['app: echo left behind']);
    expect((await t.store.get(underOldPolicy.record.id))?.state).toBe('approved');
    expect((await t.store.get(cardless.record.id))?.state).toBe('approved');
    await t.flow.close();
  });

  it('never runs a request whose card could not be posted: its requester was told nothing ran', async () => {
    const t = setup({ failCardPost: true, startOrphansAfterMs: 0 });
    await expect(slash(t, 'U0ALICE', 'demo/web -- uptime')).rejects.toThrow(/Slack 500/);
    const [request] = await t.store.listByRequester('U0ALICE', 1);
    expect(request?.state).toBe('cancelled');
    await t.flow.sweepExpired();
    await settle();
    expect(t.ran).toEqual([]);
    await t.flow.close();
  });

  it('says a run held up by an unreachable store starts on its own, and starts it once the store answers', async () => {
    const store = new MemoryApprovalStore();
    const realDispatch = store.dispatch.bind(store);
    let outages = 1;
    store.dispatch = async (input) => {
      if (outages-- > 0) throw new Error('connect ECONNREFUSED 10.0.0.5:6379');
      return await realDispatch(input);
    };
    const t = setup({ store, startOrphansAfterMs: 0 });
    await slash(t, 'U0ALICE', 'demo/web -- uptime');
    await settle();
    const [request] = await store.listByRequester('U0ALICE', 1);
    expect(request?.state).toBe('approved');
    const notes = t.calls.filter((call) => call.m === 'post' && call.thread).map((call) => call.msg?.text ?? '');
    expect(notes.join('\n')).toMatch(/could not start r-\S+ yet: .*it starts on its own once that is fixed/s);
    expect(t.ran).toEqual([]);
    await t.flow.sweepExpired();
    await expect.poll(async () => (await store.get(request?.id ?? ''))?.state).toBe('succeeded');
    expect(t.ran).toEqual(['app: uptime']);
    await t.flow.close();
  });

  it('tells whoever clicks after the decision who made it', async () => {
    const t = setup();
    await slash(t, 'U0ALICE', 'demo/worker -- uptime');
    const [request] = await t.store.listByRequester('U0ALICE', 1);
    if (!request) throw new Error('no request');
    const click = () => t.ctx('U0BOB', { messageTs: request.cardRef });
    await t.flow.action('ecs_exec_approve', request.id, click());
    await expect.poll(async () => (await t.store.get(request.id))?.state).toBe('succeeded');
    await t.flow.action('ecs_exec_approve', request.id, click());
    expect(t.replies.at(-1)).toBe(`:no_entry: ${request.id} is already succeeded (approved by <@U0BOB>).`);
    expect(t.ran).toEqual(['app: uptime']);
    await t.flow.close();
  });

  it('inspects a service only for someone who may run something on it', async () => {
    const t = setup();
    await slash(t, 'U0CAROL', 'doctor demo/web');
    expect(t.replies.at(-1)).toMatch(/^:no_entry: No rule lets you run anything on demo\/web here/);
    expect(t.inspected).toEqual([]);
    const audited = [];
    for await (const entry of t.store.auditReader().entries()) audited.push(entry.fields);
    expect(audited).toEqual([expect.objectContaining({ action: 'reject', actor: 'U0CAROL' })]);
    await slash(t, 'U0ALICE', 'doctor demo/web');
    expect(t.inspected).toEqual(['demo/web']);
    await t.flow.close();
  });

  it('still updates the card to the final state when posting the result fails', async () => {
    const t = setup({ failResultPost: true });
    await slash(t, 'U0ALICE', 'demo/web -- uptime');
    await settle();
    const [request] = await t.store.listByRequester('U0ALICE', 1);
    expect(request?.state).toBe('succeeded');
    const cardUpdates = t.calls.filter((c) => c.m === 'update' && c.ts === request?.cardRef);
    expect(cardUpdates.at(-1)?.msg?.text).toMatch(/Succeeded/);
    await t.flow.close();
  });

  it('never runs a command smuggled into a container-pick button under a runbook name', async () => {
    const t = setup();
    const forged = JSON.stringify({
      container: 'app',
      clusterAlias: 'demo',
      service: 'api',
      command: 'cat /etc/shadow',
      runbook: 'restart-worker',
      params: {},
      breakGlass: false,
    });
    await t.flow.action('ecs_exec_pick_container', forged, t.ctx('U0ALICE'));
    await settle();
    expect(t.ran.join('\n')).not.toContain('/etc/shadow');
    // What ran, if anything, is the runbook itself, rendered from its own template.
    for (const run of t.ran) expect(run).toBe('app: echo restart sidekiq');
    await t.flow.close();
  });

  it('rides out a failed "running" write: the run still ends in its real final state, once', async () => {
    let now = Date.now();
    const store = new MemoryApprovalStore({ clock: { now: () => now } });
    const realMarkRunning = store.markRunning.bind(store);
    let failures = 1;
    store.markRunning = async (id, sessionId) => {
      if (failures-- > 0) throw new Error('redis blip');
      return await realMarkRunning(id, sessionId);
    };
    const t = setup({ store });
    await slash(t, 'U0ALICE', 'demo/web -- uptime');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const [request] = await store.listByRequester('U0ALICE', 1);
    expect(request?.state).toBe('succeeded');
    now += 4 * 60_000;
    await t.flow.sweepExpired();
    const endings = t.calls.filter((c) => c.m === 'post' && c.thread && /exit|interrupted/.test(c.msg?.text ?? ''));
    expect(endings).toHaveLength(1);
    await t.flow.close();
  });

  it('lets an approval that is in flight at shutdown start its run, and finishes it within the grace period', async () => {
    const store = new MemoryApprovalStore();
    const t = setup({ store });
    await slash(t, 'U0ALICE', 'demo/worker -- uptime');
    const [request] = await store.listByRequester('U0ALICE', 1);
    if (!request) throw new Error('no request');
    const realApprove = store.approve.bind(store);
    store.approve = async (input) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return await realApprove(input);
    };
    const click = t.flow.action('ecs_exec_approve', request.id, t.ctx('U0BOB', { messageTs: request.cardRef }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await t.flow.close(5_000);
    expect(t.ran).toEqual(['app: uptime']);
    expect((await store.get(request.id))?.state).toBe('succeeded');
    await click;
  });

  it('answers a refusal as a refusal when the store cannot record it, and logs the lost audit entry', async () => {
    class UnreachableAuditStore extends MemoryApprovalStore {
      override async recordRejection(): Promise<never> {
        throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      }
    }
    const t = setup({ store: new UnreachableAuditStore() });
    await slash(t, 'U0MALLORY', 'demo/web -- uptime');
    await slash(t, 'U0ALICE', 'demo/worker --break-glass --reason "now" -- uptime');
    await t.flow.malformed('demo/web --force -- ls', 'unknown option "--force"', t.ctx('U0ALICE'));
    expect(t.replies).toHaveLength(2);
    expect(t.replies[0]).toMatch(/^:no_entry: Not allowed: no rule allows this/);
    expect(t.replies[1]).toMatch(/does not allow --break-glass/);
    expect(t.replies.join('\n')).not.toMatch(/try again/i);
    expect(t.logs.filter((line) => line.includes('could not audit a rejection'))).toHaveLength(3);
    expect(t.ran).toHaveLength(0);
  });
});
