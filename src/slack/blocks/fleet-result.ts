import type { KnownBlock } from '@slack/types';
import type { ApprovalRecord } from '../../approval/approval-port.js';
import type { FleetResult, TaskResult } from '../../fleet/fan-out.js';
import type { ResultGroup } from '../../fleet/grouping.js';
import { redactText } from '../../output/redacting-logger.js';
import { formatDuration } from '../../shared/duration.js';
import type { FleetRunView } from '../../workflow/chat-port.js';
import { ACTION_IDS } from '../ids.js';
import type { SlackMessage } from '../slack-port.js';
import { neutraliseSlackText } from '../slack-text.js';
import { MESSAGE_LIMITS } from './exec-result.js';

/** Slack's cap on blocks per message; groups past it are folded into one line (the file has every task). */
const MAX_GROUP_BLOCKS = 40;
/** Short task ids listed per group before "and N more". */
const MAX_IDS_PER_GROUP = 60;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
/** Text from the run (output excerpts, reasons) as the message shows it: redacted, then inert. */
const shown = (text: string): string => neutraliseSlackText(redactText(text));

/** `done 12 · running 10 · failed 1 · skipped 4 · pending 33` */
export function progressLine(view: FleetRunView): string {
  const p = view.progress;
  const done = p.succeeded + p.failed;
  const parts = [`done ${done}/${p.total - p.skipped}`, `running ${p.running}`, `failed ${p.failed}`];
  parts.push(`skipped ${p.skipped}`);
  if (p.notRun > 0) parts.push(`not run ${p.notRun}`);
  return parts.join(' · ');
}

/** The message that follows a fan-out: progress counts, a note, and Stop (which stops every task). */
export function fleetProgressMessage(view: FleetRunView, finalStatus?: string): SlackMessage {
  const id = neutraliseSlackText(view.requestId);
  const head =
    finalStatus !== undefined
      ? `🏁 *${id}* ended: ${neutraliseSlackText(finalStatus)}`
      : `${view.stopping ? '⏳ Stopping' : '▶️ Running'} *${id}* on ${plural(view.progress.total - view.progress.skipped, 'task')} · ${formatDuration(view.elapsedMs)}`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clip(head, MESSAGE_LIMITS.sectionText) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: progressLine(view) }] },
  ];
  const notes = [view.note, view.stopping ? `No new task starts: ${view.stopping}.` : undefined].filter(Boolean);
  if (notes.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `:warning: ${shown(notes.join(' '))}` } });
  }
  if (finalStatus === undefined && !view.stopping) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: ACTION_IDS.stop,
          value: view.requestId.slice(0, 2000),
          style: 'danger',
          text: { type: 'plain_text', text: 'Stop all' },
          confirm: {
            title: { type: 'plain_text', text: 'Stop every task?' },
            text: { type: 'plain_text', text: 'No new task starts; running ones get Ctrl-C, then their sessions end.' },
            confirm: { type: 'plain_text', text: 'Stop all' },
            deny: { type: 'plain_text', text: 'Keep running' },
          },
        },
      ],
    });
  }
  return { text: `${finalStatus !== undefined ? 'Ended' : 'Running'} ${id}: ${progressLine(view)}`, blocks };
}

/** `37 tasks: exit 0, same output` and the short ids of its tasks. */
function groupBlock(group: ResultGroup): KnownBlock {
  const n = group.tasks.length;
  const count =
    group.status === 'skipped' ? `${n} skipped` : group.status === 'not_run' ? `${n} not run` : plural(n, 'task');
  const ids = group.tasks.slice(0, MAX_IDS_PER_GROUP).map((r) => r.task.shortId);
  const more = n > ids.length ? ` and ${n - ids.length} more` : '';
  const icon =
    group.status === 'completed' && group.exitCode === 0
      ? ':white_check_mark:'
      : group.status === 'skipped' || group.status === 'not_run'
        ? ':fast_forward:'
        : ':x:';
  const text = `${icon} *${count}*: ${shown(group.headline)}\n${ids.map((id) => `\`${id}\``).join(' ')}${more}`;
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, MESSAGE_LIMITS.sectionText) } };
}

/** The final message of a fan-out: its state, the summary line, then one block per group saying which tasks. */
export function fleetResultMessage(record: ApprovalRecord, result: FleetResult, note?: string): SlackMessage {
  const id = neutraliseSlackText(record.id);
  const ran = result.results.filter((r) => r.status !== 'skipped' && r.status !== 'not_run').length;
  const head = `🏁 *${id}* ${record.state.replace('_', ' ')} · ${plural(ran, 'task')} ran in ${formatDuration(result.endedAt - result.startedAt)}`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: head } }];
  const notes = [note, result.stopped ? `Stopped starting tasks: ${result.stopped.message}.` : undefined];
  for (const line of notes) {
    if (line) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `:warning: ${shown(line)}` }] });
  }
  const groups = result.groups.slice(0, MAX_GROUP_BLOCKS);
  for (const group of groups) blocks.push(groupBlock(group));
  if (result.groups.length > groups.length) {
    const rest = result.groups.slice(groups.length).reduce((sum, g) => sum + g.tasks.length, 0);
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `…and ${plural(rest, 'task')} in ${result.groups.length - groups.length} more groups: see the file.`,
        },
      ],
    });
  }
  if (result.results.length > 0) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'The output of every task is in the file below, one section per task.' }],
    });
  }
  return { text: clip(`${record.id}: ${shown(result.summary)}`, MESSAGE_LIMITS.fallbackText), blocks };
}

function sectionHeader(result: TaskResult): string {
  const zone = result.task.availabilityZone ? ` · ${result.task.availabilityZone}` : '';
  const code = result.exitCode === null ? '' : ` · exit ${result.exitCode}`;
  const reason = result.reason ? ` · ${redactText(result.reason)}` : '';
  return `===== task ${result.task.taskId}${zone} · ${result.status}${code}${reason} =====`;
}

/** The whole output of a fan-out: one section per task, in plan order, each already redacted by its pipeline. */
export function fleetOutputFile(
  record: ApprovalRecord,
  result: FleetResult,
): { filename: string; title: string; content: Uint8Array } {
  const parts: string[] = [`${record.id}: ${redactText(result.summary)}`, ''];
  for (const task of result.results) {
    parts.push(sectionHeader(task));
    if (task.output) {
      // Redacted by the task's pipeline; redacted again here, so nothing reaches the file without passing a redactor.
      const text = redactText(task.output.text);
      parts.push(text.endsWith('\n') || text === '' ? text : `${text}\n`);
      if (task.output.truncated) parts.push(`[output truncated: ${task.output.bytes} bytes received]\n`);
    } else {
      parts.push('');
    }
  }
  const safeId = record.id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  return {
    filename: `ecs-exec-${safeId}-tasks.txt`,
    title: `Output of ${record.id}, per task`.slice(0, 250),
    content: new TextEncoder().encode(parts.join('\n')),
  };
}
