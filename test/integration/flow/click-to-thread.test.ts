import { afterEach, describe, expect, inject, it } from 'vitest';
import { defaultSeed } from '../../../src/sandbox/index.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import {
  ALICE,
  BOB,
  CHANNEL,
  everythingSlackReceived,
  FLOW_CONFIG,
  type FlowFixture,
  GUEST,
  MALLORY,
  OUTSIDER,
  startFlow,
} from './flow-fixture.js';

let flow: FlowFixture | undefined;

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
});

const text = (value: unknown): string => JSON.stringify(value);

describe('from /ecs-exec to the output in the thread', () => {
  it('runs a command that needs no approval and posts exactly its output and exit code', async () => {
    flow = await startFlow(inject('redisUrl'));
    const ack = await flow.stack.slash(ALICE, CHANNEL, "demo/web -- printf 'one\\ntwo\\n'");
    expect(ack.status).toBe(200);
    const card = await flow.card();
    const status = await flow.finalStatus(card);
    expect(status.text).toMatch(/exit 0/);
    expect(text(status.blocks)).toContain('one\\ntwo');
    expect(flow.stack.sandbox.sessions).toHaveLength(1);
    // The card ends without buttons and says the run succeeded.
    const finalCard = flow.stack.slack.message(CHANNEL, card.ts);
    await expect
      .poll(() => text(flow?.stack.slack.message(CHANNEL, card.ts)?.blocks))
      .not.toContain(ACTION_IDS.approve);
    expect(finalCard).toBeDefined();
  });

  it('shows a failing command with its exit code', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, "demo/web -- sh -c 'echo broken >&2; exit 3'");
    const status = await flow.finalStatus(await flow.card());
    expect(status.text).toMatch(/exit 3/);
    expect(text(status.blocks)).toContain('broken');
    // Operators see it on /metrics too: the run's end and the request, counted from the audit trail.
    const metrics = await (await fetch(`${flow.stack.bot.url}/metrics`)).text();
    await expect
      .poll(async () => await (await fetch(`${flow?.stack.bot.url}/metrics`)).text())
      .toMatch(/^ecs_exec_runs_finished_total\{state="failed"\} 1$/m);
    expect(metrics).toMatch(/^ecs_exec_audit_entries_total\{action="create",outcome="ok"\} 1$/m);
  });

  it('waits for an SRE approval, refuses the requester and an outsider, then runs once', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker --reason "queue stuck" -- echo approved-run');
    // A copy, as a person's client still shows the card they clicked even after the bot updated it.
    const card = structuredClone(await flow.card());
    expect(text(card.blocks)).toContain('queue stuck');
    expect(flow.stack.sandbox.sessions).toHaveLength(0);

    await flow.stack.click(ALICE, card, ACTION_IDS.approve);
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toMatch(/own request|requested this|cannot approve/i);
    await flow.stack.click(MALLORY, card, ACTION_IDS.approve);
    await expect.poll(() => flow?.ephemerals(MALLORY).join('\n')).toMatch(/only members of|can decide|may approve/i);
    expect(flow.stack.sandbox.sessions).toHaveLength(0);

    // A guest and someone from another workspace are in the SRE user group, and still may not decide.
    await flow.stack.click(GUEST, card, ACTION_IDS.approve);
    await expect.poll(() => flow?.ephemerals(GUEST).join('\n')).toMatch(/guests cannot decide/);
    await flow.stack.click(OUTSIDER, card, ACTION_IDS.approve);
    await expect.poll(() => flow?.ephemerals(OUTSIDER).join('\n')).toMatch(/other workspaces cannot decide/);
    expect(flow.stack.sandbox.sessions).toHaveLength(0);

    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    const status = await flow.finalStatus(card);
    expect(text(status.blocks)).toContain('approved-run');
    // A second click after the run is refused and runs nothing.
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    await expect.poll(() => flow?.ephemerals(BOB).join('\n')).toMatch(/already|cannot/i);
    expect(flow.stack.sandbox.sessions).toHaveLength(1);
    await expect.poll(() => text(flow?.stack.slack.message(CHANNEL, card.ts)?.blocks)).toMatch(/Approved by|approved/);
  });

  it('denies through the modal with a reason and never runs', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker -- echo never');
    const card = await flow.card();
    await flow.stack.click(BOB, card, ACTION_IDS.deny);
    await expect.poll(() => flow?.stack.slack.views({ user: BOB, openOnly: true }).length).toBe(1);
    const view = flow.stack.slack.views({ user: BOB, openOnly: true })[0];
    const answer = await flow.stack.submitView(BOB, view?.id as string, { deny_reason: 'not during the freeze' });
    expect(answer.status).toBe(200);
    await expect
      .poll(() => text(flow?.stack.slack.message(CHANNEL, card.ts)?.blocks))
      .toContain('not during the freeze');
    expect(text(flow.stack.slack.message(CHANNEL, card.ts)?.blocks)).not.toContain(ACTION_IDS.approve);
    expect(flow.stack.sandbox.sessions).toHaveLength(0);
  });

  it('runs a runbook with parameters, quoted so a value stays one argument', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, 'run greet "name=Jane; $(id)"');
    const status = await flow.finalStatus(await flow.card());
    expect(text(status.blocks)).toContain('hello Jane; $(id)');
  });

  it('asks for missing runbook parameters in a modal and runs after submission', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, 'run greet');
    await expect.poll(() => flow?.stack.slack.views({ user: ALICE, openOnly: true }).length).toBe(1);
    const view = flow.stack.slack.views({ user: ALICE, openOnly: true })[0];
    await flow.stack.submitView(ALICE, view?.id as string, { param_name: 'Ada' });
    const status = await flow.finalStatus(await flow.card());
    expect(text(status.blocks)).toContain('hello Ada');
  });

  it('refuses what the policy forbids with an ephemeral reason and creates no request', async () => {
    flow = await startFlow(inject('redisUrl'));
    const response = await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- rm -rf /tmp/x');
    expect(response.status).toBe(200);
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toMatch(/no-destructive/);
    await flow.stack.slash(MALLORY, CHANNEL, 'demo/web -- ls');
    await expect.poll(() => flow?.ephemerals(MALLORY).join('\n')).toMatch(/not allowed|no rule/i);
    expect(flow.stack.slack.messages(CHANNEL).filter((m) => m.source === 'chat.postMessage')).toHaveLength(0);
    expect(flow.stack.sandbox.calls.filter((call) => call.operation === 'ExecuteCommand')).toHaveLength(0);
  });

  it('ends a command that runs too long as timed out', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, 'demo/web --timeout 2s -- sleep 30');
    const status = await flow.finalStatus(await flow.card(), 25_000);
    expect(status.text).toMatch(/timed out/i);
  });

  it('stops a running command from the live tail', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, "demo/web -- sh -c 'echo started; sleep 30'");
    const card = await flow.card();
    let tail: ReturnType<FlowFixture['thread']>[number] | undefined;
    await expect
      .poll(
        () => {
          tail = flow?.thread(card).find((message) => text(message.blocks).includes(ACTION_IDS.stop));
          return tail !== undefined && text(tail.blocks).includes('started');
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await flow.stack.click(ALICE, tail as NonNullable<typeof tail>, ACTION_IDS.stop);
    const status = await flow.finalStatus(card);
    expect(status.text).toMatch(/cancelled/i);
  });

  it('redacts secrets split across frames and uploads long output as a file', async () => {
    flow = await startFlow(inject('redisUrl'));
    const key = 'AKIAIOSFODNN7EXAMPLE';
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const token = 'xoxb-123456789012-123456789012-abcdefghijklmnopqrstuvwx';
    // ~5 MB of numbered lines with secrets planted at frame-straddling offsets.
    // The secrets exist only in the output: the command prints each from two halves.
    const halves = (value: string) => `${value.slice(0, 9)} ${value.slice(9)}`;
    // The command runs in the cluster's shell, as typed: single quotes keep $i for the inner sh.
    const script = `i=0; while [ $i -lt 60000 ]; do printf "line %08d ................................................................\\n" $i; i=$((i+1)); done; printf "aws_access_key_id=%s%s\\naws_secret_access_key=%s%s\\ntoken %s%s\\n" ${halves(key)} ${halves(secret)} ${halves(token)}; echo "<!channel> <@U0BOB>"`;
    await flow.stack.slash(ALICE, CHANNEL, `demo/web -- sh -c '${script}'`);
    const card = await flow.card();
    const status = await flow.finalStatus(card, 60_000);
    expect(status.text).toMatch(/exit 0/);
    await expect
      .poll(() => flow?.stack.slack.callsTo('files.completeUploadExternal').length, { timeout: 10_000 })
      .toBe(1);
    const received = everythingSlackReceived(flow);
    const uploads = flow.stack.slack.callsTo('upload').map((call) => JSON.stringify(call.args));
    for (const leaked of [key, secret, token]) {
      expect(received).not.toContain(leaked);
      expect(uploads.join('')).not.toContain(leaked);
      expect(flow.logs.join('')).not.toContain(leaked);
    }
    expect(received).not.toContain('<!channel>');
    expect(received).not.toContain('<@U0BOB>');
    expect(text(status.blocks)).toMatch(/omitted/);
  });

  it('offers a picker when the task has several containers, and runs in the one picked', async () => {
    const seed = defaultSeed();
    seed.services?.push({ name: 'multi', cluster: 'demo' });
    seed.tasks?.push({
      id: '2c3d4e5f60718293a4b5c6d7e8f90a1b',
      cluster: 'demo',
      service: 'multi',
      containers: [{ name: 'app' }, { name: 'sidecar' }],
    });
    flow = await startFlow(inject('redisUrl'), {
      configYaml: FLOW_CONFIG.replace('targets: ["demo/web"]', 'targets: ["demo/web", "demo/multi"]'),
      sandbox: { seed },
    });
    await flow.stack.slash(ALICE, CHANNEL, 'demo/multi -- echo picked');
    let picker: ReturnType<FlowFixture['stack']['slack']['ephemeralsFor']>[number] | undefined;
    await expect
      .poll(() => {
        picker = flow?.stack.slack.ephemeralsFor(ALICE, CHANNEL).find((e) => text(e.blocks).includes('sidecar'));
        return picker !== undefined;
      })
      .toBe(true);
    expect(flow.stack.slack.messages(CHANNEL).filter((m) => m.source === 'chat.postMessage')).toHaveLength(0);
    const blocks = (picker?.blocks ?? []) as { elements?: { value?: string; text?: { text: string } }[] }[];
    const sidecarBlock = blocks.find((block) => block.elements?.some((element) => element.text?.text === 'sidecar'));
    await flow.stack.actions.clickButton({
      user: ALICE,
      channel: CHANNEL,
      messageTs: picker?.ts as string,
      actionId: ACTION_IDS.pickContainer,
      value: sidecarBlock?.elements?.[0]?.value as string,
    });
    const status = await flow.finalStatus(await flow.card());
    expect(text(status.blocks)).toContain('picked');
    expect(flow.stack.sandbox.sessions.at(-1)?.containerName).toBe('sidecar');
  });
});
