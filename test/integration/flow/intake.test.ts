import { createHash } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { DEFAULT_TASK_IDS } from '../../../src/sandbox/index.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { ALICE, CHANNEL, FLOW_CONFIG, type FlowFixture, MALLORY, startFlow } from './flow-fixture.js';

let flow: FlowFixture | undefined;

afterEach(async () => {
  await flow?.stack.stop();
  flow = undefined;
});

const text = (value: unknown): string => JSON.stringify(value);
const sha256 = (typed: string): string => createHash('sha256').update(typed, 'utf8').digest('hex');
const cards = (fixture: FlowFixture) =>
  fixture.stack.slack.messages(CHANNEL).filter((message) => message.source === 'chat.postMessage');
const executeCalls = (fixture: FlowFixture) =>
  fixture.stack.sandbox.calls.filter((call) => call.operation === 'ExecuteCommand');

describe('targets given by task id, or without a container, are checked once they are resolved', () => {
  it('runs a task-id target under a rule that names its service', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, `demo/${DEFAULT_TASK_IDS.web} -- echo by-task-id`);
    const status = await flow.finalStatus(await flow.card());
    expect(status.text).toMatch(/exit 0/);
    expect(text(status.blocks)).toContain('by-task-id');
    expect(flow.stack.sandbox.sessions.at(-1)?.containerName).toBe('app');
  });

  it('runs a target without a container under a rule about its only container', async () => {
    flow = await startFlow(inject('redisUrl'), {
      configYaml: FLOW_CONFIG.replace('targets: ["demo/web"]', 'targets: ["demo/web:app"]'),
    });
    await flow.stack.slash(ALICE, CHANNEL, 'demo/web -- echo only-app');
    const status = await flow.finalStatus(await flow.card());
    expect(text(status.blocks)).toContain('only-app');
  });

  it('still refuses a task-id target that a deny rule on the resolved service and container forbids', async () => {
    const denyWebApp = `
  - name: no-reading-web-app
    effect: deny
    targets: ["demo/web:app"]
    commands: ["cat *"]
`;
    flow = await startFlow(inject('redisUrl'), {
      configYaml: FLOW_CONFIG.replace('rules:\n', `rules:\n${denyWebApp.slice(1)}`),
    });
    const typed = `demo/${DEFAULT_TASK_IDS.web} -- cat /etc/hostname`;
    await flow.stack.slash(ALICE, CHANNEL, typed);
    await expect
      .poll(() => flow?.ephemerals(ALICE).join('\n'))
      .toMatch(/Not allowed: denied by rule "no-reading-web-app"/);
    expect(cards(flow)).toHaveLength(0);
    expect(executeCalls(flow)).toHaveLength(0);
    const rejections = (await flow.auditEntries()).filter((entry) => entry.action === 'reject');
    expect(rejections).toHaveLength(1);
    expect(rejections[0]?.detail).toMatchObject({ requestSha256: sha256(typed), rule: 'no-reading-web-app' });
  });

  it('explains a task-id target as allowed so far, saying it depends on the task', async () => {
    flow = await startFlow(inject('redisUrl'), {
      configYaml: FLOW_CONFIG.replace('targets: ["demo/web"]', 'targets: ["demo/web:app"]'),
    });
    await flow.stack.slash(ALICE, CHANNEL, `explain demo/${DEFAULT_TASK_IDS.web} -- uptime`);
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toMatch(/Allowed so far/);
    const answer = flow.ephemerals(ALICE).join('\n');
    expect(answer).toContain("checked again once the task's service and the container are known");
    expect(answer).not.toContain('name the container');
    expect(executeCalls(flow)).toHaveLength(0);
  });
});

describe('every refused request leaves one audit entry with the hash of what was typed', () => {
  it.each([
    ['a command that does not parse', ALICE, 'demo/web --force -- ls', /unknown option "--force"/, /malformed/],
    [
      '--break-glass without a reason',
      ALICE,
      'demo/worker --break-glass -- uptime',
      /needs a reason/,
      /without a reason/,
    ],
    [
      '--break-glass where no approval is needed',
      ALICE,
      'demo/web --break-glass --reason "now" -- uptime',
      /needs no approval/,
      /no approval is needed/,
    ],
    [
      'a policy refusal of a task-id target',
      MALLORY,
      `demo/${DEFAULT_TASK_IDS.web} -- x`,
      /Not allowed: no rule allows this/,
      /no rule allows this/,
    ],
  ])('%s', async (_name, user, typed, answer, why) => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(user, CHANNEL, typed);
    await expect.poll(() => flow?.ephemerals(user).join('\n')).toMatch(answer);
    let rejections: Awaited<ReturnType<FlowFixture['auditEntries']>> = [];
    await expect
      .poll(async () => {
        rejections = ((await flow?.auditEntries()) ?? []).filter((entry) => entry.action === 'reject');
        return rejections.length;
      })
      .toBe(1);
    expect(rejections[0]).toMatchObject({ actor: user, to: 'rejected' });
    expect(rejections[0]?.detail).toMatchObject({ requestSha256: sha256(typed), requestChars: typed.length });
    expect(String(rejections[0]?.detail['why'])).toMatch(why);
    expect(cards(flow)).toHaveLength(0);
    expect(executeCalls(flow)).toHaveLength(0);
  });

  it('audits a Deny click from someone who may not decide, and tells them so', async () => {
    flow = await startFlow(inject('redisUrl'));
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker -- echo never');
    const card = await flow.card();
    await flow.stack.click(MALLORY, card, ACTION_IDS.deny);
    await expect.poll(() => flow?.ephemerals(MALLORY).join('\n')).toMatch(/Only sre can deny r-/);
    const refused = (await flow.auditEntries()).filter((entry) => entry.actor === MALLORY);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ action: 'deny', outcome: 'not_eligible', from: 'pending_approval' });
    expect(flow.stack.slack.views({ user: MALLORY, openOnly: true })).toHaveLength(0);
  });
});
