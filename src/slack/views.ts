import type { KnownBlock, View } from '@slack/types';
import type { ApprovalRecord } from '../approval/approval-port.js';
import { type RequestState, stateLabel } from '../approval/request-state.js';
import type { PolicyConfig, RunbookConfig } from '../config/schema.js';
import { type DoctorCheck, renderChecklist } from '../ecs/doctor.js';
import type { OutputResult } from '../output/pipeline.js';
import type { PolicyDecision } from '../policy/evaluate.js';
import { patternHint } from '../policy/pattern-words.js';
import type { RunbookParamDescriptor } from '../policy/runbooks.js';
import { formatDuration } from '../shared/duration.js';
import {
  buildExecResultMessage,
  type ExecResultMessage,
  execStatusLine,
  RUN_OUTCOMES,
  type RunOutcome,
} from './blocks/exec-result.js';
import { buildLiveTailMessage, type LiveTailInput } from './blocks/live-tail.js';
import { requestCardBlocks } from './blocks/request-card.js';
import { ACTION_IDS, CALLBACK_IDS } from './ids.js';
import type { SlackMessage } from './slack-port.js';
import { neutraliseSlackText, neutraliseTypedText, slackUserMention } from './slack-text.js';

/** Block id of the deny modal's reason field. */
export const DENY_REASON_BLOCK = 'deny_reason';
/** Block ids of the runbook modal's fields are this prefix plus the parameter name. */
export const PARAM_BLOCK_PREFIX = 'param_';

/** The mark in front of each state's words in a line of text. */
const STATE_MARKS: Readonly<Record<RequestState, string>> = {
  pending_approval: ':hourglass_flowing_sand:',
  approved: ':white_check_mark:',
  dispatched: ':arrow_forward:',
  running: ':arrow_forward:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  timed_out: ':stopwatch:',
  cancelled: ':no_entry:',
  interrupted: ':warning:',
  denied: ':no_entry_sign:',
  expired: ':zzz:',
  error: ':no_entry_sign:',
  rejected: ':no_entry_sign:',
  requested: ':inbox_tray:',
};

/** Plain text of a state, for ephemeral lines. */
export function stateText(state: string): string {
  const mark = (STATE_MARKS as Readonly<Record<string, string>>)[state];
  return mark ? `${mark} ${stateLabel(state)}` : state;
}

/** The request card, as posted in the channel and updated in place after every change. */
export function requestCard(record: ApprovalRecord, policy: PolicyConfig, nowMs: number): SlackMessage {
  return requestCardBlocks(record, { nowMs, groupLabels: groupLabels(policy) });
}

function groupLabels(policy: PolicyConfig): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [name, group] of Object.entries(policy.groups)) {
    const handles = group.usergroups.map((id) => `<!subteam^${id}>`);
    labels[name] = handles.length > 0 ? handles.join(' / ') : name;
  }
  return labels;
}

/** What the thread shows when a run ends: the status, a preview and, when the preview is cut, the file. */
export function resultMessage(record: ApprovalRecord, output: OutputResult, previewLines: number): ExecResultMessage {
  const result = record.result;
  return buildExecResultMessage({
    requestId: record.id,
    outcome: (RESULT_STATES as readonly string[]).includes(record.state) ? (record.state as RunOutcome) : 'error',
    ...(result?.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
    durationMs: result?.durationMs ?? 0,
    output,
    previewLines,
    ...(result?.detail ? { detail: result.detail } : {}),
    ...(record.cancelledBy ? { cancelledBy: record.cancelledBy } : {}),
  });
}

const RESULT_STATES = Object.values(RUN_OUTCOMES);

/** The live-tail message while a command runs, with its Stop button. */
export function liveTail(input: LiveTailInput): SlackMessage {
  return buildLiveTailMessage(input);
}

/**
 * What the live tail turns into once the run ended: its last lines of output under the final status (the same line
 * the result shows), without the Stop button. The full result follows in the thread.
 */
export function liveTailDone(record: ApprovalRecord, snapshot: string): SlackMessage {
  const result = record.result;
  const outcome = (RESULT_STATES as readonly string[]).includes(record.state) ? (record.state as RunOutcome) : 'error';
  const finalStatus = execStatusLine({
    requestId: record.id,
    outcome,
    ...(result?.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
    durationMs: result?.durationMs ?? 0,
    bytes: result?.bytes ?? 0,
    ...(result?.detail ? { detail: result.detail } : {}),
    ...(record.cancelledBy ? { cancelledBy: record.cancelledBy } : {}),
  });
  return buildLiveTailMessage({
    requestId: record.id,
    snapshot,
    elapsedMs: result?.durationMs ?? 0,
    bytes: result?.bytes ?? 0,
    finalStatus,
  });
}

/** Slack's limit on a button's value; a choice that does not fit is offered as text instead. */
const MAX_BUTTON_VALUE = 2_000;

/**
 * An ephemeral picker when a task has several containers and neither the request nor the config names one. Returns
 * undefined when a choice cannot be carried in a button (a very long command), and the caller explains in text.
 */
export function containerPicker(choices: readonly { container: string; resume: string }[]): SlackMessage | undefined {
  const buttons = choices.slice(0, 25).map(({ container, resume }) => ({
    type: 'button' as const,
    action_id: ACTION_IDS.pickContainer,
    text: { type: 'plain_text' as const, text: container.slice(0, 75) },
    value: resume,
  }));
  if (buttons.some((button) => button.value.length > MAX_BUTTON_VALUE)) return undefined;
  const text = 'This task has several containers. Which one should the command run in?';
  return {
    text,
    // One actions block per button: Slack wants action ids unique within a block, and all carry the same one.
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      ...buttons.map((button, index) => ({ type: 'actions' as const, block_id: `pick_${index}`, elements: [button] })),
    ],
  };
}

/** Why the policy said no, and what would make it yes. */
export function denied(decision: PolicyDecision): string {
  return `:no_entry: Not allowed: ${neutraliseSlackText(decision.reason)} (rule: ${decision.rule}).`;
}

export function explanation(decision: PolicyDecision, command: string): string {
  // A provisional allow must not read as a promise: the resolved task can still be refused.
  const verdict =
    decision.effect === 'deny'
      ? ':no_entry: Denied'
      : decision.pending
        ? ':white_check_mark: Allowed so far (depends on the task it resolves to)'
        : ':white_check_mark: Allowed';
  return [
    `${verdict} on \`${neutraliseSlackText(decision.targetLabel)}\`: \`${neutraliseSlackText(command).slice(0, 500)}\``,
    `Rule: *${neutraliseSlackText(decision.rule)}*`,
    `Why: ${neutraliseSlackText(decision.reason)}`,
    decision.effect === 'allow' ? `Timeout: ${formatDuration(decision.timeoutMs)}` : '',
    decision.effect === 'allow' && (decision.maxTasks ?? 1) > 1
      ? `Fan-out: up to ${decision.maxTasks} tasks (--all, --tasks N)`
      : '',
    decision.breakGlassAllowed ? 'Break-glass: allowed (with --break-glass and a reason)' : '',
    '_Nothing was run._',
  ]
    .filter(Boolean)
    .join('\n');
}

export function statusLine(record: ApprovalRecord): string {
  const parts = [
    `*${record.id}*: ${stateText(record.state)}`,
    record.fleet
      ? `\`${neutraliseSlackText(record.target.clusterAlias)}/${neutraliseSlackText(record.fleet.service)}:${neutraliseSlackText(record.target.container)}\` (${record.fleet.taskCount} tasks)`
      : `\`${neutraliseSlackText(record.target.clusterAlias)}/${record.target.taskArn.slice(record.target.taskArn.lastIndexOf('/') + 1)}:${neutraliseSlackText(record.target.container)}\``,
    `\`${neutraliseTypedText(record.command).slice(0, 300)}\``,
  ];
  if (record.result?.exitCode !== undefined) parts.push(`exit ${record.result.exitCode}`);
  if (record.result?.detail) parts.push(neutraliseSlackText(record.result.detail));
  return parts.join(' · ');
}

export function history(records: readonly ApprovalRecord[]): string {
  if (records.length === 0) return 'You have no requests yet.';
  return ['*Your recent requests*', ...records.map((record) => `• ${statusLine(record)}`)].join('\n');
}

export function runbookList(visible: readonly { name: string; runbook: RunbookConfig }[]): string {
  if (visible.length === 0) return 'No runbook is available to you in this channel.';
  const lines = visible.map(({ name, runbook }) => {
    const params = Object.entries(runbook.params)
      .map(([param, spec]) => (spec.required ? `${param}=…` : `[${param}=${spec.default ?? '…'}]`))
      .join(' ');
    const description = runbook.description ? ` — ${neutraliseSlackText(runbook.description)}` : '';
    return `• \`/ecs-exec run ${name}${params ? ` ${params}` : ''}\`${description}`;
  });
  return ['*Runbooks you can run here*', ...lines].join('\n');
}

export function doctor(cluster: string, service: string, checks: readonly DoctorCheck[]): string {
  return `*ECS Exec checks for ${neutraliseSlackText(cluster)}/${neutraliseSlackText(service)}*\n\`\`\`\n${neutraliseSlackText(renderChecklist(checks))}\`\`\``;
}

const plain = (text: string) => ({ type: 'plain_text' as const, text: text.slice(0, 150) });

/** The modal that asks for a runbook's missing parameters: one field per parameter, enums as selects. */
export function runbookModal(
  name: string,
  params: readonly RunbookParamDescriptor[],
  given: Readonly<Record<string, string>>,
  privateMetadata: string,
): View {
  const blocks: KnownBlock[] = params.map((param) => {
    const initial = given[param.name] ?? param.defaultValue;
    const element = param.options
      ? {
          type: 'static_select' as const,
          action_id: 'value',
          options: param.options.map((option) => ({ text: plain(option), value: option })),
          ...(initial && param.options.includes(initial)
            ? { initial_option: { text: plain(initial), value: initial } }
            : {}),
        }
      : {
          type: 'plain_text_input' as const,
          action_id: 'value',
          ...(initial !== undefined ? { initial_value: initial } : {}),
        };
    const hint = [
      param.pattern ? patternHint(param.pattern) : '',
      param.min !== undefined || param.max !== undefined ? `from ${param.min ?? '…'} to ${param.max ?? '…'}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return {
      type: 'input',
      block_id: `${PARAM_BLOCK_PREFIX}${param.name}`,
      optional: !param.required,
      label: plain(param.label),
      element,
      ...(hint ? { hint: plain(hint) } : {}),
    } as KnownBlock;
  });
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.runbookParams,
    private_metadata: privateMetadata,
    title: plain(`Run ${name}`.slice(0, 24)),
    submit: plain('Request'),
    close: plain('Cancel'),
    blocks,
  };
}

/** The modal behind Deny: an optional reason shown on the card. */
export function denyModal(record: ApprovalRecord, privateMetadata: string): View {
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.denyReason,
    private_metadata: privateMetadata,
    title: plain(`Deny ${record.id}`.slice(0, 24)),
    submit: plain('Deny'),
    close: plain('Back'),
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `\`${neutraliseTypedText(record.command).slice(0, 2_800)}\`` },
      },
      {
        type: 'input',
        block_id: DENY_REASON_BLOCK,
        optional: true,
        label: plain('Reason (shown on the card)'),
        element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 500 },
      },
    ],
  };
}

const person = (userId: string): string => slackUserMention(userId) ?? `\`${neutraliseSlackText(userId)}\``;

/**
 * Why a click came too late, naming who got there first ("r-7f3k2m is already approved by @alice"): the person who
 * lost a race learns who decided, not only that someone did.
 */
export function alreadyDecided(record: ApprovalRecord): string {
  if (record.state === 'denied' && record.deniedBy)
    return `${record.id} is already denied by ${person(record.deniedBy)}.`;
  if (record.state === 'cancelled' && record.cancelledBy) {
    return `${record.id} is already cancelled by ${person(record.cancelledBy)}.`;
  }
  const approvers = record.approvals.map((approval) => person(approval.userId)).join(', ');
  const decider = record.breakGlass ? `break-glass by ${person(record.requester)}` : approvers;
  if (record.state === 'approved') return `${record.id} is already approved${decider ? ` by ${decider}` : ''}.`;
  const how = record.breakGlass ? ` (${decider})` : approvers ? ` (approved by ${approvers})` : '';
  return `${record.id} is already ${record.state.replace('_', ' ')}${how}.`;
}
