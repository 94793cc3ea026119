import type { KnownBlock } from '@slack/types';
import type { OutputResult } from '../../output/pipeline.js';
import { utf8CutLength } from '../../output/utf8-boundary.js';
import { formatDuration } from '../../shared/duration.js';
import { neutraliseSlackText, slackUserMention } from '../slack-text.js';

/**
 * Slack's size limits for the messages the bot builds from command output. Builders stay under these whatever the
 * output looks like; a test checks every message they produce against them.
 */
export const MESSAGE_LIMITS = {
  /** Characters of a section block's text. */
  sectionText: 3000,
  blocks: 50,
  /**
   * Characters of text across all blocks of a message. Slack has answered `msg_blocks_too_long` from about 13,200
   * (slackapi/bolt-js#2509), and publishes no number: keep a margin.
   */
  blocksText: 12_000,
  /** `chat.update` refuses a `text` longer than this with `msg_too_long`. */
  fallbackText: 4000,
} as const;

/** ```` ```\n…\n``` ```` around a code section's text. */
export const CODE_FENCE_CHARS = 8;
/** Most characters of escaped output that fit in one code section. */
export const CODE_SECTION_CAPACITY = MESSAGE_LIMITS.sectionText - CODE_FENCE_CHARS;

/** One output line made safe for a code block, and whether it had to be shortened. */
export interface PreviewLine {
  readonly text: string;
  readonly shortened: boolean;
}

/**
 * Escapes one line for Slack and shortens it to `maxChars` escaped characters (with `…`), never splitting a
 * surrogate pair or an `&amp;` entity.
 */
export function previewLine(line: string, maxChars: number): PreviewLine {
  const escaped = neutraliseSlackText(line);
  if (escaped.length <= maxChars) return { text: escaped, shortened: false };
  // Grow a raw prefix by code points, counting each character at its largest escaped size (`&` -> `&amp;`, a
  // backtick -> up to 5/3 when fences are broken), then escape the prefix as a whole so no fence survives.
  let raw = '';
  let worst = 0;
  for (const char of line) {
    const size = char === '&' ? 5 : char === '<' || char === '>' ? 4 : char === '`' ? 2 : char.length;
    if (worst + size > maxChars - 1) break;
    raw += char;
    worst += size;
  }
  return { text: `${neutraliseSlackText(raw)}…`, shortened: true };
}

/** Joins escaped lines into code-block section texts, each within Slack's section limit. */
export function codeSections(lines: readonly string[]): string[] {
  const sections: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const line of lines) {
    const added = current.length === 0 ? line.length : line.length + 1;
    if (current.length > 0 && size + added > CODE_SECTION_CAPACITY) {
      sections.push(fence(current));
      current = [];
      size = 0;
    }
    current.push(line);
    size += current.length === 1 ? line.length : line.length + 1;
  }
  if (current.length > 0) sections.push(fence(current));
  return sections;
}

function fence(lines: readonly string[]): string {
  return `\`\`\`\n${lines.join('\n')}\n\`\`\``;
}

/** How a run ended, as the thread reports it. */
export const RUN_OUTCOMES = {
  succeeded: 'succeeded',
  failed: 'failed',
  timedOut: 'timed_out',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  error: 'error',
} as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[keyof typeof RUN_OUTCOMES];

/** What the result message is built from. */
export interface ExecResultInput {
  readonly requestId: string;
  readonly outcome: RunOutcome;
  /** Absent when it is not known (a run without the shell wrapper, or one that never finished). */
  readonly exitCode?: number;
  readonly durationMs: number;
  readonly output: Pick<
    OutputResult,
    'text' | 'tail' | 'totalBytes' | 'renderedBytes' | 'keptBytes' | 'truncated' | 'redactions' | 'lineCount'
  > &
    Partial<Pick<OutputResult, 'bytes'>>;
  /** `limits.previewLines`: lines shown in the thread, split between head and tail when the output is longer. */
  readonly previewLines: number;
  /** Why it ended that way (the timeout, the lost session, the error), in words safe to show. */
  readonly detail?: string;
  /** Slack user id of who stopped it, for a cancelled run. */
  readonly cancelledBy?: string;
}

/** The full output as a file for the thread. */
export interface ExecResultUpload {
  readonly filename: string;
  readonly title: string;
  readonly content: Uint8Array;
}

/** The result message, and the file to upload with it when the preview does not show everything. */
export interface ExecResultMessage {
  readonly text: string;
  readonly blocks: KnownBlock[];
  /** True when the preview leaves something out; then `upload` carries the whole (kept) output. */
  readonly previewCut: boolean;
  readonly upload?: ExecResultUpload;
}

/** Escaped characters one output line may take in the preview before it is shortened. */
const MAX_PREVIEW_LINE_CHARS = 1000;
/** Characters of preview code across all sections; the rest of the message budget is for status and notes. */
const PREVIEW_CHAR_BUDGET = 10_000;
/**
 * Kept output the head of the preview is read from. The head shows at most half the budget, in lines shortened to
 * `MAX_PREVIEW_LINE_CHARS`, of at most 8 Ki characters each (the renderer wraps longer ones): a handful of lines at
 * worst, well inside this, so megabytes of output are never decoded whole for a preview.
 */
const HEAD_SOURCE_BYTES = 256 * 1024;

/**
 * The status line for the card and the thread: outcome, exit code, duration, bytes.
 * Everything that came from outside (the detail text) is neutralised.
 */
export function execStatusLine(input: Omit<ExecResultInput, 'output' | 'previewLines'> & { bytes: number }): string {
  const exit = input.exitCode === undefined ? 'exit code unknown' : `exit ${input.exitCode}`;
  const duration = formatDuration(input.durationMs);
  const detail = input.detail ? ` — ${neutraliseSlackText(oneLine(input.detail))}` : '';
  const mention = input.cancelledBy ? slackUserMention(input.cancelledBy) : undefined;
  const who = mention ? ` by ${mention}` : '';
  const head = {
    // Without an exit status (no shell wrap) nothing says the command succeeded, so no ✅ either.
    succeeded: input.exitCode === undefined ? `🔚 finished, ${exit}` : `✅ ${exit}`,
    failed: `❌ ${exit}`,
    timed_out: `⏱ timed out after ${duration}`,
    cancelled: `⛔ cancelled${who}`,
    interrupted: '⚠ interrupted: the bot lost the session, and the command may still be running in the container',
    error: '🚫 could not run',
  }[input.outcome];
  return `${head} · ${duration} · ${formatBytes(input.bytes)}${detail}`;
}

/**
 * Builds the message posted in the thread when a run ends: status, a preview of the head and tail of the output
 * within Slack's limits with "… N lines (M bytes) omitted …" between them, and the full output as a file whenever
 * the preview leaves anything out.
 */
export function buildExecResultMessage(input: ExecResultInput): ExecResultMessage {
  const { output } = input;
  const status = execStatusLine({ ...input, bytes: output.totalBytes });
  const preview = buildPreview(input);
  const notes = [
    output.redactions > 0 ? `🔒 ${plural(output.redactions, 'secret')} redacted` : '',
    output.truncated
      ? `✂️ output too long: kept the first ${formatBytes(output.keptBytes)} of ${formatBytes(output.renderedBytes)}`
      : '',
    preview.cut ? '📎 full output attached below' : '',
  ].filter(Boolean);

  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: status.slice(0, 3000) } }];
  if (notes.length > 0) blocks.push(context(notes.join(' · ')));
  blocks.push(...preview.blocks);

  const message = {
    text: status.slice(0, MESSAGE_LIMITS.fallbackText),
    blocks,
    previewCut: preview.cut,
  };
  return preview.cut ? { ...message, upload: outputFile(input) } : message;
}

interface Preview {
  blocks: KnownBlock[];
  cut: boolean;
}

function buildPreview(input: ExecResultInput): Preview {
  const { output } = input;
  if (output.lineCount === 0) return { blocks: [context('_No output._')], cut: false };

  const wanted = Math.max(2, Math.floor(input.previewLines));
  // Output of few lines may still be long (a wrapped line is one line): it may be shown whole, so it is read whole.
  const head = !output.truncated && output.lineCount <= wanted ? { text: output.text, whole: true } : headOf(output);
  const headSource = splitLines(head.text);
  if (head.whole && !output.truncated && headSource.length <= wanted) {
    const lines = headSource.map((line) => previewLine(line, MAX_PREVIEW_LINE_CHARS));
    if (totalChars(lines) <= PREVIEW_CHAR_BUDGET) {
      return { blocks: codeBlocks(lines), cut: lines.some((line) => line.shortened) };
    }
  }

  // Head from the kept text, tail from the end of the whole output; never the same line twice.
  const tailSource = output.truncated || !head.whole ? splitLines(output.tail) : headSource;
  const headWanted = Math.ceil(wanted / 2);
  const headLines = fitLines(headSource.slice(0, headWanted), PREVIEW_CHAR_BUDGET / 2);
  const tailWanted = Math.min(wanted - headWanted, tailSource.length, Math.max(0, output.lineCount - headLines.shown));
  const tailLines = tailSource.slice(tailSource.length - tailWanted);
  const tail = fitLines(tailLines.reverse(), PREVIEW_CHAR_BUDGET - headLines.chars);
  tail.lines.reverse();

  const omittedLines = Math.max(0, output.lineCount - headLines.shown - tail.shown);
  const shownBytes = headLines.bytes + tail.bytes;
  const omittedBytes = Math.max(0, output.renderedBytes - shownBytes);
  const blocks = codeBlocks(headLines.lines);
  if (omittedLines > 0) {
    blocks.push(context(`… ${plural(omittedLines, 'line')} (${formatBytes(omittedBytes)}) omitted …`));
  }
  blocks.push(...codeBlocks(tail.lines));
  const shortened = [...headLines.lines, ...tail.lines].some((line) => line.shortened);
  return { blocks, cut: omittedLines > 0 || shortened || output.truncated };
}

/**
 * The start of the kept output, whole lines only, and whether it is all of it: decoded from the kept bytes when the
 * output carries them, so a long output's preview does not decode megabytes.
 */
function headOf(output: ExecResultInput['output']): { text: string; whole: boolean } {
  const { bytes } = output;
  if (!bytes || bytes.length <= HEAD_SOURCE_BYTES) return { text: output.text, whole: true };
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A newline byte is never part of a longer UTF-8 character: cutting after one never splits a character. Output
  // with no newline that early (one long wrapped line) is cut before the character that does not fit.
  const lineEnd = buffer.lastIndexOf(0x0a, HEAD_SOURCE_BYTES - 1) + 1;
  const end = lineEnd > 0 ? lineEnd : utf8CutLength(buffer, HEAD_SOURCE_BYTES);
  return { text: buffer.toString('utf8', 0, end), whole: false };
}

/** As many of `lines` (in the given order) as fit `budget` escaped characters. */
function fitLines(
  lines: readonly string[],
  budget: number,
): { lines: PreviewLine[]; shown: number; chars: number; bytes: number } {
  const kept: PreviewLine[] = [];
  let chars = 0;
  let bytes = 0;
  for (const line of lines) {
    const shown = previewLine(line, Math.min(MAX_PREVIEW_LINE_CHARS, CODE_SECTION_CAPACITY));
    if (chars + shown.text.length + 1 > budget) break;
    kept.push(shown);
    chars += shown.text.length + 1;
    bytes += Buffer.byteLength(line, 'utf8') + 1;
  }
  return { lines: kept, shown: kept.length, chars, bytes };
}

function codeBlocks(lines: readonly PreviewLine[]): KnownBlock[] {
  if (lines.length === 0) return [];
  return codeSections(lines.map((line) => line.text)).map((text) => ({
    type: 'section',
    text: { type: 'mrkdwn', text },
  }));
}

function outputFile(input: ExecResultInput): ExecResultUpload {
  const { output } = input;
  const note = output.truncated
    ? `\n[output truncated: kept the first ${output.keptBytes} of ${output.renderedBytes} bytes]\n`
    : '';
  const safeId = input.requestId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  return {
    filename: `ecs-exec-${safeId}.txt`,
    title: `Output of ${input.requestId}`.slice(0, 250),
    // The kept bytes go as they are: the output is never decoded and encoded again just to be uploaded.
    content: output.bytes ? Buffer.concat([output.bytes, Buffer.from(note, 'utf8')]) : Buffer.from(output.text + note),
  };
}

function context(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}

function splitLines(text: string): string[] {
  if (text.length === 0) return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function totalChars(lines: readonly PreviewLine[]): number {
  return lines.reduce((sum, line) => sum + line.text.length + 1, 0);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 500);
}

function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}

/** Bytes for people: `512 B`, `4.1 KiB`, `10.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
