import { describe, expect, it } from 'vitest';
import { blockProblems, blocksTextLength } from '../../../src/sandbox/slack/block-limits.js';
import { extractUploadBytes, parseApiArgs, parseMultipart } from '../../../src/sandbox/slack/http-body.js';

describe('parseApiArgs', () => {
  it('decodes form fields and the JSON-valued ones Slack clients send', () => {
    const body = new URLSearchParams({
      channel: 'C1',
      text: '{not json}',
      blocks: JSON.stringify([{ type: 'divider' }]),
      thread_ts: '1.2',
    }).toString();
    expect(parseApiArgs('application/x-www-form-urlencoded', Buffer.from(body))).toEqual({
      channel: 'C1',
      text: '{not json}',
      blocks: [{ type: 'divider' }],
      thread_ts: '1.2',
    });
  });

  it('reads JSON bodies and keeps a malformed JSON-valued form field as text', () => {
    expect(parseApiArgs('application/json; charset=utf-8', Buffer.from('{"channel":"C1","blocks":[]}'))).toEqual({
      channel: 'C1',
      blocks: [],
    });
    expect(parseApiArgs(undefined, Buffer.from('blocks=%5Bbroken'))).toEqual({ blocks: '[broken' });
  });

  it('reads a multipart body as Node 20 fetch sends FormData', async () => {
    const form = new FormData();
    form.append('channel', 'C1');
    form.append('body', new Blob([Buffer.from([0, 1, 2, 0x0d, 0x0a, 255])]), 'Untitled');
    const request = new Request('http://127.0.0.1/', { method: 'POST', body: form });
    const contentType = request.headers.get('content-type') ?? '';
    const raw = Buffer.from(await request.arrayBuffer());
    expect(parseApiArgs(contentType, raw)).toEqual({ channel: 'C1' });
    const parts = parseMultipart(contentType, raw);
    expect(parts.map((part) => [part.name, part.filename])).toEqual([
      ['channel', undefined],
      ['body', 'Untitled'],
    ]);
    expect([...extractUploadBytes(contentType, raw)]).toEqual([0, 1, 2, 0x0d, 0x0a, 255]);
  });

  it('treats any non-multipart upload as the raw bytes', () => {
    expect(extractUploadBytes('application/x-www-form-urlencoded', Buffer.from('a=b&c')).toString()).toBe('a=b&c');
  });
});

describe('blockProblems', () => {
  it('accepts what the bot sends', () => {
    expect(
      blockProblems([
        { type: 'header', text: { type: 'plain_text', text: 'Run on demo/web' } },
        { type: 'section', fields: [{ type: 'mrkdwn', text: '*By*' }] },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'x' }] },
        { type: 'divider' },
        { type: 'rich_text', elements: [] },
        { type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Go' } }] },
      ]),
    ).toEqual([]);
  });

  it("names each limit broken with Slack's json-pointer", () => {
    const problems = blockProblems([
      { type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } },
      { type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: 'a', value: 'v'.repeat(2001), text: { type: 'plain_text', text: 'ok' } },
        ],
      },
      { block_id: 'no type' },
      { type: 'divider', block_id: 'b'.repeat(256) },
    ]);
    expect(problems.map((problem) => /json-pointer:([^\]]+)/.exec(problem)?.[1])).toEqual([
      '/blocks/0/text',
      '/blocks/1/fields',
      '/blocks/2/text',
      '/blocks/3/elements/0/value',
      '/blocks/4',
      '/blocks/5/block_id',
    ]);
    expect(blockProblems(Array.from({ length: 51 }, () => ({ type: 'divider' })))).toHaveLength(1);
    expect(
      blockProblems(
        Array.from({ length: 51 }, () => ({ type: 'divider' })),
        100,
      ),
    ).toEqual([]);
  });
});

describe('blocksTextLength', () => {
  it('counts every text string in the tree, nested elements included', () => {
    expect(
      blocksTextLength([
        { type: 'section', text: { type: 'mrkdwn', text: 'abc' }, fields: [{ type: 'mrkdwn', text: 'de' }] },
        {
          type: 'rich_text',
          elements: [{ type: 'rich_text_preformatted', elements: [{ type: 'text', text: 'fghij' }] }],
        },
        {
          type: 'actions',
          elements: [{ type: 'button', value: 'not counted', text: { type: 'plain_text', text: 'k' } }],
        },
      ]),
    ).toBe(11);
  });
});
