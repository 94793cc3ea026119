import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../shared/duration.js';
import { ACTION_IDS } from '../ids.js';
import { neutraliseSlackText } from '../slack-text.js';
import { CODE_SECTION_CAPACITY, codeSections, formatBytes, MESSAGE_LIMITS, previewLine } from './exec-result.js';

/** The Stop button's action id; its value is the request id. */
export const STOP_ACTION_ID = ACTION_IDS.stop;

/** What the live-tail message shows while a command runs. */
export interface LiveTailInput {
  readonly requestId: string;
  /** The end of the output as a terminal shows it now, already redacted (`OutputPipeline.snapshot()`). */
  readonly snapshot: string;
  readonly elapsedMs: number;
  /** Raw bytes received so far. */
  readonly bytes: number;
  /** Lines of output shown (default 15). */
  readonly maxLines?: number;
  /** Set once Stop was pressed: the button goes away and the message says it is stopping. */
  readonly stopping?: boolean;
  /**
   * Set when the run ended: the status line (as the result shows it) replaces "Running", the last output stays, and
   * the Stop button goes, since there is nothing left to stop.
   */
  readonly finalStatus?: string;
}

const DEFAULT_LINES = 15;

/**
 * The one message that follows a running command: a status line, the last lines of output in a code block (one
 * section, so within Slack's 3,000 characters), and a Stop button carrying the request id.
 */
export function buildLiveTailMessage(input: LiveTailInput): { text: string; blocks: KnownBlock[] } {
  const requestId = neutraliseSlackText(input.requestId).slice(0, 100);
  const state = input.stopping ? '⏳ Stopping' : '▶️ Running';
  const status =
    input.finalStatus !== undefined
      ? `🏁 *${requestId}* ended: ${input.finalStatus}`.slice(0, MESSAGE_LIMITS.sectionText)
      : `${state} *${requestId}* · ${formatDuration(input.elapsedMs)} · ${formatBytes(input.bytes)} so far`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: status } }];

  const lines = lastLines(input.snapshot, Math.max(1, input.maxLines ?? DEFAULT_LINES));
  if (lines.length > 0) {
    const [section] = codeSections(lines);
    if (section) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: section } });
  } else {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: '_No output yet._' }] });
  }

  if (!input.stopping && input.finalStatus === undefined) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: STOP_ACTION_ID,
          value: input.requestId.slice(0, 2000),
          style: 'danger',
          text: { type: 'plain_text', text: 'Stop' },
          confirm: {
            title: { type: 'plain_text', text: 'Stop this command?' },
            text: { type: 'plain_text', text: 'The bot sends Ctrl-C to the command, then ends the session.' },
            confirm: { type: 'plain_text', text: 'Stop it' },
            deny: { type: 'plain_text', text: 'Keep running' },
          },
        },
      ],
    });
  }
  const word = input.finalStatus !== undefined ? 'Ended' : input.stopping ? 'Stopping' : 'Running';
  return {
    text: `${word} ${requestId}`.slice(0, MESSAGE_LIMITS.fallbackText),
    blocks,
  };
}

/** The last `maxLines` lines of the snapshot, escaped, that fit together in one code section. */
function lastLines(snapshot: string, maxLines: number): string[] {
  const all = snapshot.split('\n');
  if (all[all.length - 1] === '') all.pop();
  const picked: string[] = [];
  let chars = 0;
  for (let i = all.length - 1; i >= 0 && picked.length < maxLines; i--) {
    const line = previewLine(all[i] ?? '', Math.min(500, CODE_SECTION_CAPACITY)).text;
    if (chars + line.length + 1 > CODE_SECTION_CAPACITY) break;
    picked.push(line);
    chars += line.length + 1;
  }
  return picked.reverse();
}
