import type { ActionsBlock, KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { blockProblems, blocksTextLength } from '../../../../src/sandbox/slack/block-limits.js';
import { MESSAGE_LIMITS } from '../../../../src/slack/blocks/exec-result.js';
import { buildLiveTailMessage, STOP_ACTION_ID } from '../../../../src/slack/blocks/live-tail.js';
import { ACTION_IDS } from '../../../../src/slack/ids.js';

const base = { requestId: 'r-7', elapsedMs: 4200, bytes: 3 * 1024 * 1024 };

function codeText(blocks: KnownBlock[]): string {
  const code = blocks.find((block) => block.type === 'section' && block.text?.text.startsWith('```'));
  return code?.type === 'section' ? (code.text?.text ?? '') : '';
}

describe('buildLiveTailMessage', () => {
  it('shows progress, the last lines and a Stop button carrying the request id', () => {
    const message = buildLiveTailMessage({ ...base, snapshot: 'one\ntwo\nupload 80%' });
    expect(message.blocks[0]).toMatchObject({ text: { text: '▶️ Running *r-7* · 4s · 3.0 MiB so far' } });
    expect(codeText(message.blocks)).toBe('```\none\ntwo\nupload 80%\n```');
    const actions = message.blocks.find((block): block is ActionsBlock => block.type === 'actions');
    expect(actions?.elements[0]).toMatchObject({ type: 'button', action_id: 'ecs_exec_stop', value: 'r-7' });
    expect(STOP_ACTION_ID).toBe(ACTION_IDS.stop);
    expect(blockProblems(message.blocks)).toEqual([]);
  });

  it('ends with the final status and the last output, without a Stop button', () => {
    const message = buildLiveTailMessage({ ...base, snapshot: 'one\ntwo', finalStatus: '✅ exit 0 · 4s · 3.0 MiB' });
    expect(message.blocks[0]).toMatchObject({ text: { text: '🏁 *r-7* ended: ✅ exit 0 · 4s · 3.0 MiB' } });
    expect(codeText(message.blocks)).toBe('```\none\ntwo\n```');
    expect(message.blocks.some((block) => block.type === 'actions')).toBe(false);
    expect(message.text).toBe('Ended r-7');
    expect(blockProblems(message.blocks)).toEqual([]);
  });

  it('shows only the last maxLines lines', () => {
    const snapshot = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const code = codeText(buildLiveTailMessage({ ...base, snapshot, maxLines: 5 }).blocks);
    expect(code).toBe('```\nline 95\nline 96\nline 97\nline 98\nline 99\n```');
  });

  it('stays in one section within Slack limits for wide and escaped lines', () => {
    const snapshot = `${'<&>😀'.repeat(2000)}\n`.repeat(40);
    const message = buildLiveTailMessage({ ...base, snapshot, maxLines: 40 });
    const code = codeText(message.blocks);
    expect(code.length).toBeLessThanOrEqual(MESSAGE_LIMITS.sectionText);
    expect(code.slice(3, -3)).not.toMatch(/[<>]/);
    expect(blocksTextLength(message.blocks)).toBeLessThanOrEqual(MESSAGE_LIMITS.blocksText);
    expect(blockProblems(message.blocks)).toEqual([]);
  });

  it('cannot mention anyone from output', () => {
    const code = codeText(buildLiveTailMessage({ ...base, snapshot: '<!here> <@U999> <!channel>' }).blocks);
    expect(code).toBe('```\n&lt;!here&gt; &lt;@U999&gt; &lt;!channel&gt;\n```');
  });

  it('says when there is no output yet, and drops the button once stopping', () => {
    const message = buildLiveTailMessage({ ...base, snapshot: '', stopping: true });
    expect(JSON.stringify(message.blocks)).toContain('No output yet.');
    expect(message.blocks.some((block) => block.type === 'actions')).toBe(false);
    expect(message.text).toBe('Stopping r-7');
  });
});
