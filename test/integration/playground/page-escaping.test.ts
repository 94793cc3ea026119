import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blocksToHtml,
  messageBodyToHtml,
  mrkdwnToHtml,
  type RenderContext,
  viewToHtml,
} from '../../../src/playground/client/render-blocks.js';
import { type RunningPlayground, startPlayground } from '../../../src/playground/start-playground.js';
import { bundledConfigPath } from '../../../src/playground/workspace-seed.js';

const HOSTILE = `<script>alert(1)</script><img src=x onerror=alert(2)>" onmouseover="alert(3)' x='`;
const context: RenderContext = {
  userName: (id) => (id === 'U0RILEY' ? 'riley' : undefined),
  groupHandle: (id) => (id === 'S0SRE' ? 'sre' : undefined),
};

/** What an HTML parser would turn into elements or attributes if the text had not been escaped. */
function expectInert(html: string): void {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<img[^>]*onerror/i);
  expect(html).not.toMatch(/"\s*onmouseover=/i);
  expect(html).not.toMatch(/'\s*x='/);
}

describe('the page renders hostile text as text', () => {
  it('escapes every kind of block the bot sends', () => {
    const text = { type: 'mrkdwn', text: HOSTILE };
    const plain = { type: 'plain_text', text: HOSTILE };
    const html = blocksToHtml(
      [
        { type: 'header', text: plain },
        { type: 'section', text, fields: [text, plain] },
        { type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${HOSTILE}\`\`\` and \`${HOSTILE}\`` } },
        { type: 'context', elements: [text, plain] },
        { type: 'divider' },
        {
          type: 'actions',
          block_id: HOSTILE,
          elements: [{ type: 'button', action_id: HOSTILE, value: HOSTILE, text: plain }],
        },
        {
          type: 'rich_text',
          elements: [
            { type: 'rich_text_section', elements: [{ type: 'text', text: HOSTILE, style: { bold: true } }] },
            { type: 'rich_text_preformatted', elements: [{ type: 'text', text: HOSTILE }] },
            { type: 'rich_text_section', elements: [{ type: 'link', url: 'javascript:alert(4)', text: HOSTILE }] },
          ],
        },
        { type: 'image', image_url: `javascript:${HOSTILE}`, alt_text: HOSTILE },
        { type: HOSTILE },
      ],
      context,
    );
    expectInert(html);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('javascript:');
  });

  it('shows Slack-escaped output as the characters the command printed, and refuses script links', () => {
    const html = mrkdwnToHtml('```&lt;script&gt;x&lt;/script&gt; &amp;amp;```', context);
    expect(html).toBe('<pre class="code-block">&lt;script&gt;x&lt;/script&gt; &amp;amp;</pre>');
    expect(mrkdwnToHtml('<javascript:alert(1)|click me>', context)).toBe('click me');
    expect(mrkdwnToHtml('<https://example.com/a?b=1&amp;c=2|docs>', context)).toBe(
      '<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">docs</a>',
    );
    expect(mrkdwnToHtml('*Requester*\n<@U0RILEY> for <!subteam^S0SRE>', context)).toBe(
      '<strong>Requester</strong>\n<span class="mention">@riley</span> for <span class="mention">@sre</span>',
    );
    expect(mrkdwnToHtml(`<@U0NOBODY|${HOSTILE}>`, context)).not.toMatch(/<script/);
  });

  it('escapes file names and modal titles, labels, values, options and errors', () => {
    const message = messageBodyToHtml(
      { ts: '1.000001', text: HOSTILE, files: [{ id: `F1"><script>`, name: HOSTILE, size: 10 }] },
      context,
    );
    expectInert(message);
    expect(message).toContain('href="/files/F1%22%3E%3Cscript%3E?download=1"');
    const plain = { type: 'plain_text', text: HOSTILE };
    const modal = viewToHtml(
      {
        id: `V1" onmouseover="x`,
        view: {
          title: plain,
          submit: plain,
          close: plain,
          blocks: [
            {
              type: 'input',
              block_id: HOSTILE,
              label: plain,
              hint: plain,
              element: { type: 'plain_text_input', action_id: HOSTILE, initial_value: HOSTILE },
            },
            {
              type: 'input',
              block_id: 'choice',
              label: plain,
              element: {
                type: 'static_select',
                action_id: 'value',
                options: [{ text: plain, value: HOSTILE }],
                initial_option: { text: plain, value: HOSTILE },
              },
            },
          ],
        },
        errors: { [HOSTILE]: HOSTILE, _: HOSTILE },
      },
      context,
    );
    expectInert(modal);
  });
});

describe('the running playground', () => {
  let playground: RunningPlayground;
  let url: URL;

  beforeAll(async () => {
    playground = await startPlayground({
      configYaml: readFileSync(bundledConfigPath(), 'utf8'),
      policyName: 'ecs-exec.playground.yml',
      port: 0,
    });
    url = new URL(playground.url);
  });

  afterAll(async () => {
    await playground?.stop();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(new URL(path, url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  interface PageState {
    messages: Array<{
      ts: string;
      thread_ts?: string;
      text: string;
      blocks?: unknown[];
      files?: Array<{ id: string; name: string; size: number }>;
    }>;
    ephemerals: Array<{ ts: string; user: string; text: string }>;
  }
  const state = async (): Promise<PageState> => (await (await fetch(new URL('/api/state', url))).json()) as PageState;

  it("renders a command's hostile output as text, from the bot's real messages", async () => {
    const answer = await post('/api/slash', {
      user: 'U0RILEY',
      text: `/ecs-exec demo/web -- printf '%s\\n' '<script>alert(1)</script>' '<img src=x onerror=alert(2)>'`,
    });
    expect(answer.status).toBe(200);
    let finished: PageState['messages'][number] | undefined;
    await expect
      .poll(
        async () => {
          finished = (await state()).messages.find((message) => /exit 0/.test(message.text));
          return finished !== undefined;
        },
        { timeout: 20_000 },
      )
      .toBe(true);
    const html = messageBodyToHtml(finished as PageState['messages'][number], context);
    expectInert(html);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
  });

  it('shows a refusal only to the person who was refused', async () => {
    await post('/api/slash', { user: 'U0OSCAR', text: '/ecs-exec demo/worker -- ls' });
    await expect
      .poll(async () => (await state()).ephemerals.filter((ephemeral) => ephemeral.user === 'U0OSCAR').length)
      .toBeGreaterThan(0);
    const refusal = (await state()).ephemerals.find((ephemeral) => ephemeral.user === 'U0OSCAR');
    expect(refusal?.text).toMatch(/not allowed|no rule/i);
    expect((await state()).messages.some((message) => /demo\/worker/.test(JSON.stringify(message.blocks)))).toBe(false);
  });

  it('offers long output as a download link that serves the file as text', async () => {
    await post('/api/slash', { user: 'U0RILEY', text: '/ecs-exec demo/web -- seq 1 3000' });
    let shared: PageState['messages'][number] | undefined;
    await expect
      .poll(
        async () => {
          shared = (await state()).messages.find((message) => (message.files?.length ?? 0) > 0);
          return shared !== undefined;
        },
        { timeout: 20_000 },
      )
      .toBe(true);
    const file = shared?.files?.[0] as { id: string; name: string; size: number };
    const html = messageBodyToHtml({ ts: '1.1', text: '', files: [file] }, context);
    expect(html).toContain(`href="/files/${file.id}?download=1"`);
    const download = await fetch(new URL(`/files/${file.id}?download=1`, url));
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(download.headers.get('content-disposition')).toContain('attachment');
    const body = await download.text();
    expect(body.split('\n').filter(Boolean).at(-1)).toBe('3000');
    expect((await fetch(new URL('/files/F0NOPE', url))).status).toBe(404);
  });

  it('takes commands only from its own page', async () => {
    const other = await post(
      '/api/slash',
      { user: 'U0RILEY', text: '/ecs-exec demo/web -- id' },
      { origin: 'https://evil.example' },
    );
    expect(other.status).toBe(403);
    const form = await fetch(new URL('/api/slash', url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'user=U0RILEY&text=/ecs-exec+demo/web+--+id',
    });
    expect(form.status).toBe(415);
    const stranger = await post('/api/slash', { user: 'U0SOMEONE', text: '/ecs-exec demo/web -- id' });
    expect(stranger.status).toBe(400);
    const notOurs = await post('/api/slash', { user: 'U0RILEY', text: '/deploy now' });
    expect(notOurs.status).toBe(400);
    // A name that resolves to 127.0.0.1 (DNS rebinding) is not this page.
    const rebound = await new Promise<number>((resolve, reject) => {
      const call = request(
        { host: '127.0.0.1', port: url.port, path: '/api/state', headers: { host: `evil.example:${url.port}` } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      call.on('error', reject);
      call.end();
    });
    expect(rebound).toBe(403);
  });
});
