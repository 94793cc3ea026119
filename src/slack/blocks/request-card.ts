import type { ActionsBlock, KnownBlock, SectionBlock } from '@slack/types';
import { type ApprovalRecord, type FleetScope, isTerminal, type RequestState } from '../../approval/approval-port.js';
import { STATE_LABELS } from '../../approval/request-state.js';
import { describeLimit } from '../../fleet/limits.js';
import { redactText } from '../../output/redactor.js';
import { ACTION_IDS } from '../ids.js';
import type { SlackMessage } from '../slack-port.js';
import { neutraliseSlackText, slackUserMention } from '../slack-text.js';

/** Slack's documented limits that the card must respect whatever the command or reason looks like. */
export const CARD_LIMITS = {
  sectionText: 3000,
  fieldText: 2000,
  headerText: 150,
  fallbackText: 600,
  blocks: 50,
  /** Decision lines shown before "… and N more". */
  decisionLines: 20,
} as const;

/** The mark in front of each state's words in the card's heading. */
const STATE_MARK: Readonly<Record<RequestState, string>> = {
  requested: '📝',
  rejected: '🚫',
  pending_approval: '⏳',
  approved: '👍',
  dispatched: '🚀',
  running: '▶️',
  succeeded: '✅',
  failed: '❌',
  timed_out: '⏱',
  cancelled: '⛔',
  interrupted: '⚠️',
  denied: '🛑',
  expired: '⌛',
  error: '❗',
};

/**
 * The state as the card heads it. A run that ended without an exit status (no shell wrap: `shell: none` or
 * `--no-wrap`) is stored as succeeded, but nothing says it was exit 0, so the card does not claim success.
 */
function stateLabel(record: ApprovalRecord): string {
  if (record.state === 'succeeded' && record.result && record.result.exitCode === undefined) {
    return '🔚 Finished, exit code unknown';
  }
  const words = STATE_LABELS[record.state];
  return `${STATE_MARK[record.state]} ${words.charAt(0).toUpperCase()}${words.slice(1)}`;
}

/** Escapes text typed by a user so Slack shows it literally: no mentions, links, dates or broken code fences. */
const inert = neutraliseSlackText;

/**
 * The longest prefix of `text` whose escaped form fits `budget` characters, escaped, with a note of what was cut.
 * Secrets are redacted first, with the same rules as command output: a key typed into a command or a reason must
 * not reach the channel. Cuts on code points (never half a surrogate pair) and before escaping, so an entity is
 * never split.
 */
function fitInert(typed: string, budget: number): string {
  const text = redactText(typed).text;
  const whole = inert(text);
  if (whole.length <= budget) return whole;
  const codePoints = Array.from(text);
  const note = (cut: number): string => `\n… ${cut.toLocaleString('en-US')} more characters not shown`;
  let low = 0;
  let high = codePoints.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    const cut = codePoints.length - middle;
    if (inert(codePoints.slice(0, middle).join('')).length + note(cut).length <= budget) low = middle;
    else high = middle - 1;
  }
  return `${inert(codePoints.slice(0, low).join(''))}${note(codePoints.length - low)}`;
}

/** A Slack user mention only for ids that look like Slack's; anything else is shown as inert text. */
function user(userId: string): string {
  return slackUserMention(userId) ?? inert(userId);
}

/** A Slack date token: each reader sees their own time zone; the fallback is UTC. */
function when(ms: number, format = '{time}'): string {
  const iso = new Date(ms).toISOString();
  return `<!date^${Math.floor(ms / 1000)}^${format}|${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC>`;
}

/** A fan-out's target: the service, how many tasks (and skipped), the rate rules. */
function fleetTarget(target: ApprovalRecord['target'], fleet: FleetScope): string {
  const which = fleet.selection.kind === 'all' ? 'all' : `${fleet.selection.count} asked`;
  const skipped = fleet.skipped > 0 ? `, ${fleet.skipped} skipped` : '';
  const rate = `max ${describeLimit(fleet.limits.maxConcurrency)} at once, max errors ${describeLimit(fleet.limits.maxErrors)}`;
  return `${target.clusterAlias} / service ${fleet.service} / ${target.container}\n${fleet.taskCount} tasks (${which}${skipped}) · ${rate}`;
}

function taskId(taskArn: string): string {
  return taskArn.split('/').at(-1) ?? taskArn;
}

/** How the card is rendered beyond the record itself. */
export interface RequestCardOptions {
  /** Now, for "expires in 25 min"; without it only the expiry time is shown. */
  nowMs?: number;
  /**
   * Policy group name → how to show it (e.g. `<!subteam^S0123SRE>` so approvers are notified). These come from
   * the config file, not from users, and are used as given; groups without a label show as inert `@name`.
   */
  groupLabels?: Readonly<Record<string, string>>;
}

/** "1 of @sre", with progress once someone approved. */
export function approvalNeeded(record: ApprovalRecord, groupLabels: Readonly<Record<string, string>> = {}): string {
  const { count, approverGroups } = record.approval;
  if (count === 0) return 'none (the rule allows this without approval)';
  const groups = approverGroups.map((group) => groupLabels[group] ?? inert(`@${group}`)).join(' or ');
  const progress = record.approvals.length > 0 && count > 1 ? ` (${record.approvals.length} so far)` : '';
  return `${count} of ${groups}${progress}`;
}

function remaining(untilMs: number, nowMs: number): string {
  const minutes = Math.ceil((untilMs - nowMs) / 60_000);
  if (minutes <= 0) return ' (now)';
  return minutes < 120 ? ` (in ${minutes} min)` : ` (in ${Math.round(minutes / 60)} h)`;
}

function decisionLines(record: ApprovalRecord): string[] {
  const lines = record.approvals.map((approval) => `✅ Approved by ${user(approval.userId)} at ${when(approval.atMs)}`);
  if (record.breakGlass) {
    lines.push(`🚨 Break-glass by ${user(record.requester)}: ${fitInert(record.breakGlassReason ?? '', 500)}`);
  }
  if (record.deniedBy) {
    const reason = record.denyReason ? `: ${fitInert(record.denyReason, 500)}` : '';
    lines.push(`🛑 Denied by ${user(record.deniedBy)} at ${when(record.updatedAtMs)}${reason}`);
  }
  if (record.cancelledBy) lines.push(`⛔ Cancelled by ${user(record.cancelledBy)} at ${when(record.updatedAtMs)}`);
  if (record.state === 'expired') lines.push(`⌛ Expired at ${when(record.expiresAtMs)}; nothing ran`);
  if (lines.length <= CARD_LIMITS.decisionLines) return lines;
  const hidden = lines.length - CARD_LIMITS.decisionLines;
  return [...lines.slice(0, CARD_LIMITS.decisionLines), `… and ${hidden} more`];
}

function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function buttons(record: ApprovalRecord): ActionsBlock | undefined {
  if (isTerminal(record.state)) return undefined;
  const elements: ActionsBlock['elements'] = [];
  if (record.state === 'pending_approval') {
    elements.push(
      {
        type: 'button',
        action_id: ACTION_IDS.approve,
        style: 'primary',
        text: { type: 'plain_text', text: 'Approve' },
        value: record.id,
      },
      {
        type: 'button',
        action_id: ACTION_IDS.deny,
        style: 'danger',
        text: { type: 'plain_text', text: 'Deny' },
        value: record.id,
      },
    );
  }
  if (record.state === 'pending_approval' || record.state === 'approved') {
    elements.push({
      type: 'button',
      action_id: ACTION_IDS.cancel,
      text: { type: 'plain_text', text: 'Cancel' },
      value: record.id,
    });
  }
  return elements.length > 0 ? { type: 'actions', block_id: `request_${record.id}`, elements } : undefined;
}

/**
 * The request card (product.md §2): who asked, the resolved target, the exact command, why, the rule, the approval
 * it needs and until when; Approve / Deny / Cancel while a decision is possible; every decision so far; a loud
 * banner for break-glass. Rebuilt from the record after each change and posted with `chat.update`.
 */
export function requestCardBlocks(
  record: ApprovalRecord,
  options: RequestCardOptions = {},
): SlackMessage & { blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [];
  if (record.breakGlass) {
    blocks.push(
      section(
        `:rotating_light: *BREAK-GLASS*: ${user(record.requester)} is running this *without approval*.\n` +
          `Reason: ${fitInert(record.breakGlassReason ?? '', 1500)}`,
      ),
    );
  }
  blocks.push({
    type: 'header',
    text: { type: 'plain_text', text: `${stateLabel(record)} · ecs-exec ${record.id}` },
  });

  const target = record.target;
  const fields = [
    `*Requester*\n${user(record.requester)}`,
    record.fleet
      ? `*Target*\n${fitInert(fleetTarget(record.target, record.fleet), 1900)}`
      : `*Target*\n${fitInert(`${target.clusterAlias} / task ${taskId(target.taskArn)} / ${target.container}`, 1900)}`,
    `*Rule*\n${fitInert(record.ruleName, 1900)}${record.fleet ? ` (fan-out up to ${record.fleet.maxTasks} tasks)` : ''}`,
    `*Approval needed*\n${approvalNeeded(record, options.groupLabels)}`,
  ];
  if (record.state === 'pending_approval' || record.state === 'approved') {
    const inMinutes = options.nowMs === undefined ? '' : remaining(record.expiresAtMs, options.nowMs);
    fields.push(`*Expires*\n${when(record.expiresAtMs, '{date_short_pretty} {time}')}${inMinutes}`);
  }
  if (record.runbook) fields.push(`*Runbook*\n${fitInert(record.runbook, 1900)}`);
  blocks.push({ type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) });

  // Budget: the section limit minus the label and the two fences.
  const commandBudget = CARD_LIMITS.sectionText - '*Command*\n``````'.length - 2;
  blocks.push(section(`*Command*\n\`\`\`${fitInert(record.command, commandBudget)}\`\`\``));

  const params = Object.entries(record.params);
  if (params.length > 0) {
    const listed = params.map(([name, value]) => `${name}=${value}`).join('\n');
    blocks.push(section(`*Parameters*\n\`\`\`${fitInert(listed, commandBudget - 5)}\`\`\``));
  }
  blocks.push(section(`*Reason*\n${record.reason.trim() ? fitInert(record.reason, 2900) : '_none given_'}`));

  // Twenty lines of up to ~560 characters can exceed one section: split between lines, never inside a mention.
  let chunk: string[] = [];
  for (const line of decisionLines(record)) {
    if (chunk.length > 0 && [...chunk, line].join('\n').length > CARD_LIMITS.sectionText) {
      blocks.push(section(chunk.join('\n')));
      chunk = [];
    }
    chunk.push(line);
  }
  if (chunk.length > 0) blocks.push(section(chunk.join('\n')));

  const actions = buttons(record);
  if (actions) blocks.push(actions);
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `${record.id} · binding ${record.digest.slice(0, 12)} · policy ${fitInert(record.policyVersion, 80)}`,
      },
    ],
  });

  const summary = fitInert(record.command.split('\n')[0] ?? '', 200);
  const banner = record.breakGlass ? 'BREAK-GLASS ' : '';
  const text = `${banner}ecs-exec ${record.id} by ${user(record.requester)}: ${stateLabel(record)}: ${summary}`;
  return { text: text.slice(0, CARD_LIMITS.fallbackText), blocks };
}
