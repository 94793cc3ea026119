import { verifySlackRequest } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import {
  blockActionsPayload,
  interactionBody,
  signSlackRequest,
  slashCommandBody,
  viewSubmissionPayload,
} from '../../../src/sandbox/slack/sign.js';

describe('signSlackRequest', () => {
  it("reproduces the worked example of Slack's request-verification guide", () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
      '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
      '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d' +
      '10d2c447fce8b6703c';
    expect(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', body, 1531420618)).toEqual({
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      'x-slack-request-timestamp': '1531420618',
    });
  });

  it("passes Bolt's own verifier, and a changed byte does not", () => {
    const body = slashCommandBody({ channel_id: 'C1OPS', user_id: 'U1ALICE', text: 'demo/web -- ls "a b"' });
    const headers = signSlackRequest('s3cret', body);
    const verify = (candidate: string): void =>
      verifySlackRequest({
        signingSecret: 's3cret',
        body: candidate,
        headers: {
          'x-slack-signature': headers['x-slack-signature'],
          'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
        },
      });
    expect(() => verify(body)).not.toThrow();
    expect(() => verify(body.replace('ls', 'rm'))).toThrow();
  });

  it('signs raw bytes and strings alike', () => {
    const text = 'payload=%7B%22type%22%3A%22block_actions%22%7D&é';
    expect(signSlackRequest('k', Buffer.from(text), 1)).toEqual(signSlackRequest('k', text, 1));
  });
});

describe('request bodies', () => {
  it('form-encodes a slash command with every field Slack sends', () => {
    const form = new URLSearchParams(
      slashCommandBody({
        channel_id: 'C1OPS',
        user_id: 'U1ALICE',
        user_name: 'alice',
        text: 'demo/web -- echo "a&b" +1',
        response_url: 'http://127.0.0.1:1/response-url/x',
        trigger_id: '1.2.3',
      }),
    );
    expect(Object.fromEntries(form)).toMatchObject({
      token: expect.any(String),
      team_id: 'T0SANDBOX',
      channel_id: 'C1OPS',
      user_id: 'U1ALICE',
      user_name: 'alice',
      command: '/ecs-exec',
      text: 'demo/web -- echo "a&b" +1',
      response_url: 'http://127.0.0.1:1/response-url/x',
      trigger_id: '1.2.3',
      api_app_id: 'A0ECSEXEC',
    });
  });

  it('puts an interaction payload in a single payload form field', () => {
    const body = interactionBody({ type: 'block_actions', actions: [{ value: 'a&b=c' }] });
    expect([...new URLSearchParams(body).keys()]).toEqual(['payload']);
    expect(JSON.parse(new URLSearchParams(body).get('payload') ?? '')).toEqual({
      type: 'block_actions',
      actions: [{ value: 'a&b=c' }],
    });
  });
});

describe('payload builders', () => {
  const message = {
    ts: '1700000000.000100',
    text: 'Approve?',
    blocks: [
      {
        type: 'actions',
        block_id: 'decision',
        elements: [
          {
            type: 'button',
            action_id: 'approve',
            value: 'req-1',
            style: 'primary',
            text: { type: 'plain_text', text: 'Approve' },
          },
          { type: 'button', action_id: 'deny', value: 'req-1', text: { type: 'plain_text', text: 'Deny' } },
        ],
      },
    ],
  };

  it('builds a button click the way Slack reports it', () => {
    const payload = blockActionsPayload({
      user: { id: 'U2BOB', name: 'bob' },
      channel: { id: 'C1OPS', name: 'ops' },
      message,
      action: { action_id: 'approve' },
      responseUrl: 'http://127.0.0.1:1/response-url/y',
      triggerId: '1.2.3',
    });
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U2BOB', username: 'bob', team_id: 'T0SANDBOX' },
      team: { id: 'T0SANDBOX' },
      channel: { id: 'C1OPS', name: 'ops' },
      container: { type: 'message', message_ts: message.ts, channel_id: 'C1OPS', is_ephemeral: false },
      message: { type: 'message', ts: message.ts, blocks: message.blocks },
      response_url: 'http://127.0.0.1:1/response-url/y',
      trigger_id: '1.2.3',
      actions: [
        {
          action_id: 'approve',
          block_id: 'decision',
          value: 'req-1',
          type: 'button',
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
        },
      ],
    });
  });

  it('leaves the message out of a click on an ephemeral, as Slack does', () => {
    const payload = blockActionsPayload({
      user: { id: 'U1ALICE' },
      channel: { id: 'C1OPS' },
      message,
      isEphemeral: true,
      action: { action_id: 'deny' },
      responseUrl: 'http://x/',
      triggerId: 't',
    });
    expect(payload['message']).toBeUndefined();
    expect(payload['container']).toMatchObject({ is_ephemeral: true });
  });

  it('fills view.state.values per element type for a submission', () => {
    const view = {
      id: 'V1',
      hash: 'h',
      callback_id: 'runbook_params',
      private_metadata: 'rb-1',
      blocks: [
        { type: 'input', block_id: 'reason', element: { type: 'plain_text_input', action_id: 'value' } },
        {
          type: 'input',
          block_id: 'env',
          element: {
            type: 'static_select',
            action_id: 'choice',
            options: [{ text: { type: 'plain_text', text: 'Staging' }, value: 'staging' }],
          },
        },
      ],
    };
    const payload = viewSubmissionPayload({
      user: { id: 'U1ALICE' },
      view,
      values: { reason: { value: 'deploy' }, env: { choice: 'staging' } },
      triggerId: 't',
    });
    expect(payload).toMatchObject({
      type: 'view_submission',
      view: {
        id: 'V1',
        callback_id: 'runbook_params',
        private_metadata: 'rb-1',
        state: {
          values: {
            reason: { value: { type: 'plain_text_input', value: 'deploy' } },
            env: {
              choice: {
                type: 'static_select',
                selected_option: { text: { type: 'plain_text', text: 'Staging' }, value: 'staging' },
              },
            },
          },
        },
      },
    });
  });
});
