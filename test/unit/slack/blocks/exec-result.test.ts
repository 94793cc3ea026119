import type { KnownBlock } from '@slack/types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOutputPipeline, type OutputResult } from '../../../../src/output/pipeline.js';
import { blockProblems, blocksTextLength } from '../../../../src/sandbox/slack/block-limits.js';
import {
  buildExecResultMessage,
  type ExecResultInput,
  execStatusLine,
  formatBytes,
  MESSAGE_LIMITS,
} from '../../../../src/slack/blocks/exec-result.js';

function outputOf(text: string, maxOutputBytes = 10 * 1024 * 1024): OutputResult {
  const pipeline = createOutputPipeline({ maxOutputBytes });
  pipeline.write(new TextEncoder().encode(text));
  return pipeline.result();
}

function build(text: string, overrides: Partial<ExecResultInput> = {}, maxOutputBytes?: number) {
  return buildExecResultMessage({
    requestId: 'r-42',
    outcome: 'succeeded',
    exitCode: 0,
    durationMs: 12_300,
    output: outputOf(text, maxOutputBytes),
    previewLines: 40,
    ...overrides,
  });
}

/** Every way the message could break Slack's limits; what the Slack stand-in would refuse too. */
function expectWithinSlackLimits(message: { text: string; blocks: KnownBlock[] }): void {
  expect(blockProblems(message.blocks)).toEqual([]);
  expect(message.blocks.length).toBeLessThanOrEqual(MESSAGE_LIMITS.blocks);
  expect(blocksTextLength(message.blocks)).toBeLessThanOrEqual(MESSAGE_LIMITS.blocksText);
  expect(message.text.length).toBeLessThanOrEqual(MESSAGE_LIMITS.fallbackText);
  for (const block of message.blocks) {
    if (block.type === 'section') expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(MESSAGE_LIMITS.sectionText);
  }
}

function allText(blocks: KnownBlock[]): string {
  return JSON.stringify(blocks);
}

const lines = (count: number, width = 20) =>
  Array.from({ length: count }, (_, i) => `line ${String(i + 1).padStart(5, '0')} ${'x'.repeat(width)}\n`).join('');

describe('execStatusLine', () => {
  const base = { requestId: 'r-1', durationMs: 65_000, bytes: 2048 };
  it.each([
    [{ outcome: 'succeeded', exitCode: 0 }, '✅ exit 0 · 1m 5s · 2.0 KiB'],
    [{ outcome: 'failed', exitCode: 2 }, '❌ exit 2 · 1m 5s · 2.0 KiB'],
    [{ outcome: 'succeeded' }, '🔚 finished, exit code unknown · 1m 5s · 2.0 KiB'],
    [{ outcome: 'timed_out', detail: 'limit 1m' }, '⏱ timed out after 1m 5s · 1m 5s · 2.0 KiB — limit 1m'],
    [{ outcome: 'cancelled', cancelledBy: 'U0ABC123' }, '⛔ cancelled by <@U0ABC123> · 1m 5s · 2.0 KiB'],
    [
      { outcome: 'interrupted' },
      '⚠ interrupted: the bot lost the session, and the command may still be running in the container · 1m 5s · 2.0 KiB',
    ],
    [{ outcome: 'error', detail: 'TargetNotConnected' }, '🚫 could not run · 1m 5s · 2.0 KiB — TargetNotConnected'],
  ] as const)('%j', (input, expected) => {
    expect(execStatusLine({ ...base, ...input })).toBe(expected);
  });

  it('neutralises the detail and refuses a cancelledBy that is not a user id', () => {
    const line = execStatusLine({
      ...base,
      outcome: 'cancelled',
      cancelledBy: '!channel',
      detail: 'stopped <!channel> <@U1>',
    });
    expect(line).not.toMatch(/<[!@]/);
  });

  it('formats bytes for people', () => {
    expect([0, 1023, 1024, 1536, 10 * 1024 * 1024].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '1.5 KiB',
      '10.0 MiB',
    ]);
  });
});

describe('buildExecResultMessage', () => {
  it('shows short output whole, without a file', () => {
    const message = build('hello\nworld\n');
    expect(message.previewCut).toBe(false);
    expect(message.upload).toBeUndefined();
    expect(allText(message.blocks)).toContain('```\\nhello\\nworld\\n```');
    expect(message.text).toMatch(/^✅ exit 0 · 12s · 12 B$/);
    expectWithinSlackLimits(message);
  });

  it('says when there was no output', () => {
    const message = build('');
    expect(allText(message.blocks)).toContain('No output.');
    expect(message.upload).toBeUndefined();
  });

  it('shows head and tail of long output with the omitted count, and attaches the whole output', () => {
    const text = lines(1000);
    const message = build(text, { previewLines: 10 });
    const json = allText(message.blocks);
    expect(json).toContain('line 00001');
    expect(json).toContain('line 00005');
    expect(json).not.toContain('line 00006');
    expect(json).not.toContain('line 00995');
    expect(json).toContain('line 00996');
    expect(json).toContain('line 01000');
    const omittedBytes = Buffer.byteLength(text) - 10 * Buffer.byteLength(lines(1).replace('00001', '00002'));
    expect(json).toContain(`… 990 lines (${formatBytes(omittedBytes)}) omitted …`);
    expect(message.previewCut).toBe(true);
    expect(message.upload?.filename).toBe('ecs-exec-r-42.txt');
    expect(new TextDecoder().decode(message.upload?.content)).toBe(text);
    expectWithinSlackLimits(message);
  });

  it('builds the same preview from the kept bytes as from the whole text, without decoding megabytes', () => {
    const shapes = {
      'many short lines': lines(40_000),
      'wide lines of two-byte characters': `${'é'.repeat(2500)}\n`.repeat(300),
      'one line, wrapped by the renderer': 'x'.repeat(600_000),
      'short lines, then a wrapped one': `${lines(3)}${'→'.repeat(200_000)}\n${lines(5)}`,
      'many lines, then a wrapped one': `${lines(100)}${'→'.repeat(200_000)}\n${lines(100)}`,
    };
    for (const [shape, text] of Object.entries(shapes)) {
      const output = outputOf(text);
      expect(output.bytes.length, shape).toBeGreaterThan(256 * 1024);
      const { bytes: _kept, ...withoutBytes } = output;
      const input = { requestId: 'r-42', outcome: 'succeeded', exitCode: 0, durationMs: 1, previewLines: 40 } as const;
      const fromBytes = buildExecResultMessage({ ...input, output });
      const fromText = buildExecResultMessage({ ...input, output: withoutBytes });
      expect(fromBytes.blocks, shape).toEqual(fromText.blocks);
      expect(Buffer.from(fromBytes.upload?.content ?? []).equals(Buffer.from(text)), shape).toBe(true);
    }
  });

  it('keeps the preview within Slack limits however wide the lines are', () => {
    const message = build(lines(200, 2500), { previewLines: 40 });
    expectWithinSlackLimits(message);
    expect(message.previewCut).toBe(true);
    expect(allText(message.blocks)).toContain('line 00200');
  });

  it('counts escaped characters: a line of & < > still fits', () => {
    const message = build(`${'<&>'.repeat(3000)}\n`.repeat(50), { previewLines: 100 });
    expectWithinSlackLimits(message);
    expect(message.previewCut).toBe(true);
  });

  it('keeps multibyte text whole at the cut and within limits', () => {
    const message = build(`${'日本語😀'.repeat(800)}\n`.repeat(30), { previewLines: 60 });
    expectWithinSlackLimits(message);
    const json = allText(message.blocks);
    expect(json).not.toMatch(/\\ud83d(?!\\ude00)/i);
    expect(message.previewCut).toBe(true);
  });

  it('never lets output mention anyone or link anywhere', () => {
    const message = build('<!channel> deploy <@U123ABC> see <https://evil.example|here>\n```\n*bold*\n');
    const texts = message.blocks.flatMap((block) => (block.type === 'section' ? [block.text?.text ?? ''] : []));
    for (const text of texts) expect(text.slice(3, -3)).not.toMatch(/[<>]|```/);
    expect(allText(message.blocks)).toContain('&lt;!channel&gt;');
  });

  it('shows the true tail of output cut at maxOutputBytes, and says the file is truncated', () => {
    const text = lines(5000);
    const message = build(text, { previewLines: 6 }, 2000);
    const json = allText(message.blocks);
    expect(json).toContain('line 00001');
    expect(json).toContain('line 05000');
    expect(json).toMatch(/kept the first 1\.\d KiB of \d+\.\d KiB/);
    expect(json).toContain('… 4,994 lines');
    const file = new TextDecoder().decode(message.upload?.content);
    expect(file.startsWith('line 00001')).toBe(true);
    expect(file).toContain('[output truncated: kept the first');
    expect(Buffer.byteLength(file)).toBeLessThan(2200);
  });

  it('reports redactions without showing the secret', () => {
    const message = build('key AKIAIOSFODNN7EXAMPLE\n');
    expect(allText(message.blocks)).toContain('1 secret redacted');
    expect(allText(message.blocks)).not.toContain('IOSFODNN7EXAMPLE');
  });

  it('stays within Slack limits for any output and preview size (property)', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: fc.constantFrom('<', '&', '>', '`', '😀', 'é', 'a', ' '), maxLength: 4000 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 80 }), fc.integer({ min: 1, max: 500 }), (outputLines, previewLines) => {
        const message = build(outputLines.join('\n'), { previewLines });
        expectWithinSlackLimits(message);
        if (message.previewCut) expect(message.upload).toBeDefined();
      }),
      { numRuns: 150 },
    );
  });
});
