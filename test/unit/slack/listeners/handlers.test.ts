import type { View } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../../../src/approval/approval-port.js';
import { ACTION_IDS, CALLBACK_IDS } from '../../../../src/slack/ids.js';
import { createSlackHandlers } from '../../../../src/slack/listeners/handlers.js';
import type { ActionContext } from '../../../../src/slack/listeners/index.js';
import type { SlackMessage, SlackNotifier } from '../../../../src/slack/slack-port.js';
import type { Asker } from '../../../../src/workflow/chat-port.js';
import type { Workflow } from '../../../../src/workflow/workflow.js';

/** A workflow that records which method each Slack input reached, with the asker it was given. */
function recordingWorkflow() {
  const calls: { method: string; args: unknown[]; asker: Asker }[] = [];
  const workflow = new Proxy({} as Workflow, {
    get:
      (_target, method: string) =>
      async (...args: unknown[]) => {
        const asker = args.find((arg): arg is Asker => typeof arg === 'object' && arg !== null && 'reply' in arg);
        if (asker) calls.push({ method, args: args.filter((arg) => arg !== asker), asker });
        if (method === 'askToDeny' && asker)
          await asker.askForDenyReason({ id: args[0], command: 'rake jobs' } as ApprovalRecord);
        if (method === 'deny' && asker?.clickedHome) await asker.reply(`:white_check_mark: ${String(args[0])} denied`);
        if (method === 'homePage') return { userId: args[0], awaiting: [], awaitingMore: 0, recent: [], runbooks: [] };
        return undefined;
      },
  });
  return { workflow, calls };
}

function recordingNotifier() {
  const modals: View[] = [];
  const ephemerals: { channel: string; user: string; message: SlackMessage }[] = [];
  const notifier: SlackNotifier = {
    postMessage: async () => ({ ts: '1.1' }),
    updateMessage: async () => {},
    postEphemeral: async (channel, user, message) => {
      ephemerals.push({ channel, user, message });
    },
    uploadFile: async () => {},
    openModal: async (_trigger, view) => {
      modals.push(view);
    },
  };
  return { notifier, modals, ephemerals };
}

const click = (userId: string, messageTs: string): ActionContext => ({
  userId,
  userName: userId,
  channelId: 'C0OPS',
  teamId: 'T1',
  triggerId: `trigger-${userId}`,
  messageTs,
  client: {} as never,
  respond: async () => {},
});

describe('the Slack listeners', () => {
  it.each([
    [ACTION_IDS.approve, 'approve'],
    [ACTION_IDS.deny, 'askToDeny'],
    [ACTION_IDS.cancel, 'cancel'],
    [ACTION_IDS.stop, 'stop'],
    [ACTION_IDS.pickContainer, 'pickContainer'],
  ])('hand the %s button to one workflow method (%s) with the clicked card', async (actionId, method) => {
    const { workflow, calls } = recordingWorkflow();
    const { notifier } = recordingNotifier();
    const handlers = createSlackHandlers(workflow, notifier);
    await handlers.actions[actionId]?.('r-abc123', click('U0BOB', '1700.000200'));
    expect(calls.map((call) => call.method)).toEqual([method]);
    expect(calls[0]?.args).toEqual(['r-abc123']);
    expect(calls[0]?.asker).toMatchObject({ userId: 'U0BOB', conversation: 'C0OPS', clickedMessage: '1700.000200' });
  });

  it('bring a deny reason back to the card whose Deny button opened the form, answering in its channel', async () => {
    const { workflow, calls } = recordingWorkflow();
    const { notifier, modals, ephemerals } = recordingNotifier();
    const handlers = createSlackHandlers(workflow, notifier);
    await handlers.actions[ACTION_IDS.deny]?.('r-abc123', click('U0BOB', '1700.000200'));
    const [modal] = modals;
    if (modal?.type !== 'modal') throw new Error('no deny form opened');

    const submitted = { privateMetadata: modal.private_metadata ?? '', values: { deny_reason: '  not now  ' } };
    const formContext = { ...click('U0BOB', ''), channelId: '', triggerId: 'trigger-form' };
    await handlers.views[CALLBACK_IDS.denyReason]?.(submitted, formContext);

    const deny = calls.find((call) => call.method === 'deny');
    expect(deny?.args).toEqual(['r-abc123', 'not now']);
    expect(deny?.asker).toMatchObject({ userId: 'U0BOB', conversation: 'C0OPS', clickedMessage: '1700.000200' });
    await deny?.asker.reply('denied');
    expect(ephemerals).toEqual([{ channel: 'C0OPS', user: 'U0BOB', message: { text: 'denied' } }]);
  });

  it('take Approve and Deny from the Home tab only with the binding it showed, and publish the Home again', async () => {
    const { workflow, calls } = recordingWorkflow();
    const { notifier, modals } = recordingNotifier();
    const published: { user_id: string; view: { blocks: unknown[] } }[] = [];
    const client = { views: { publish: async (args: (typeof published)[number]) => void published.push(args) } };
    const handlers = createSlackHandlers(workflow, notifier);
    const binding = 'b'.repeat(64);
    const onHome: ActionContext = {
      ...click('U0BOB', ''),
      channelId: '',
      messageTs: undefined,
      onHome: true,
      client: client as never,
    };
    const replies: string[] = [];
    const fromMessage: ActionContext = {
      ...click('U0BOB', '1700.000200'),
      respond: async ({ text }) => void replies.push(text),
    };

    // The Home button's value sent from a message, or a value the bot did not make, reaches no workflow method.
    await handlers.actions[ACTION_IDS.homeApprove]?.(`r-abc123 ${binding}`, fromMessage);
    await handlers.actions[ACTION_IDS.homeApprove]?.('r-abc123', { ...onHome, respond: fromMessage.respond });
    expect(calls).toEqual([]);
    expect(replies).toEqual([
      expect.stringContaining('only works on your Home tab'),
      expect.stringContaining('only works on your Home tab'),
    ]);

    await handlers.actions[ACTION_IDS.homeApprove]?.(`r-abc123 ${binding}`, onHome);
    expect(calls[0]).toMatchObject({ method: 'approve', args: ['r-abc123'] });
    expect(calls[0]?.asker.clickedHome).toEqual({ binding });
    expect(calls[0]?.asker.clickedMessage).toBeUndefined();
    expect(published.map((call) => call.user_id)).toEqual(['U0BOB']);

    await handlers.actions[ACTION_IDS.homeDeny]?.(`r-abc123 ${binding}`, onHome);
    const [modal] = modals;
    if (modal?.type !== 'modal') throw new Error('no deny form opened');
    const submitted = { privateMetadata: modal.private_metadata ?? '', values: { deny_reason: 'not now' } };
    await handlers.views[CALLBACK_IDS.denyReason]?.(submitted, { ...onHome, triggerId: 'trigger-form' });
    const deny = calls.find((call) => call.method === 'deny');
    expect(deny?.args).toEqual(['r-abc123', 'not now']);
    expect(deny?.asker.clickedHome).toEqual({ binding });
    // The answer is on top of the Home published after the submission.
    expect(JSON.stringify(published.at(-1)?.view.blocks)).toContain('r-abc123 denied');
  });

  it('turn a runbook form refusal into errors on the fields that caused it', async () => {
    const { notifier } = recordingNotifier();
    const workflow = {
      submitRunbookParameters: async () => ({ fieldErrors: { process: 'required' } }),
    } as unknown as Workflow;
    const handlers = createSlackHandlers(workflow, notifier);
    const metadata = JSON.stringify({ runbook: 'restart-worker', channel: 'C0OPS', given: {}, reason: '' });
    const outcome = await handlers.views[CALLBACK_IDS.runbookParams]?.(
      { privateMetadata: metadata, values: {} },
      { ...click('U0ALICE', ''), channelId: '' },
    );
    expect(outcome).toEqual({ errors: { param_process: 'required' } });
  });
});
