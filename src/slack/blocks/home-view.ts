import type { ActionsBlock, HomeView, KnownBlock } from '@slack/types';
import type { ApprovalRecord } from '../../approval/approval-port.js';
import { stateLabel } from '../../approval/request-state.js';
import type { HomePage } from '../../workflow/home.js';
import { ACTION_IDS } from '../ids.js';
import { neutraliseTypedText, slackUserMention } from '../slack-text.js';

/** Slack's limit for a Home view, and what the view keeps for its headings, notice and "and N more" lines. */
export const HOME_VIEW_LIMITS = { blocks: 100, commandChars: 200, runbookChars: 300 } as const;

/** What a Home view's Approve and Deny buttons carry: the request and the binding the view showed. */
export function homeDecisionValue(requestId: string, binding: string): string {
  return `${requestId} ${binding}`;
}

/** The request id and binding a Home button carried, or undefined for anything else (a forged value). */
export function parseHomeDecisionValue(value: string): { requestId: string; binding: string } | undefined {
  const match = /^(\S{1,64}) ([0-9a-f]{64})$/.exec(value);
  return match?.[1] && match[2] ? { requestId: match[1], binding: match[2] } : undefined;
}

function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const typed = (text: string, max: number) => neutraliseTypedText(cut(text.split('\n')[0] ?? '', max));
const person = (userId: string) => slackUserMention(userId) ?? neutraliseTypedText(userId);
const channel = (id: string) => (/^[CGD][A-Z0-9]{2,}$/.test(id) ? `<#${id}>` : neutraliseTypedText(id));
const heading = (text: string): KnownBlock => ({ type: 'header', text: { type: 'plain_text', text } });
const note = (text: string): KnownBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] });

function where(record: ApprovalRecord): string {
  const { clusterAlias, taskArn, container } = record.target;
  return neutraliseTypedText(`${clusterAlias} / task ${taskArn.split('/').at(-1) ?? taskArn} / ${container}`);
}

function awaitingBlocks(page: HomePage, budget: number): KnownBlock[] {
  if (page.awaiting.length === 0) return [note('Nothing is waiting for your approval.')];
  const blocks: KnownBlock[] = [];
  // Two blocks a request, and room kept for the line that says how many were left out.
  const shown = page.awaiting.slice(0, Math.max(0, Math.floor((budget - 1) / 2)));
  for (const { record, binding } of shown) {
    const reason = record.reason.trim() ? typed(record.reason, HOME_VIEW_LIMITS.commandChars) : '_none given_';
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          `*${record.id}* by ${person(record.requester)} in ${channel(record.channel)}\n${where(record)}\n` +
          `\`${typed(record.command, HOME_VIEW_LIMITS.commandChars)}\`\nReason: ${reason}`,
      },
    });
    const value = homeDecisionValue(record.id, binding);
    const actions: ActionsBlock = {
      type: 'actions',
      block_id: `home_${record.id}`,
      elements: [
        {
          type: 'button',
          action_id: ACTION_IDS.homeApprove,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value,
        },
        {
          type: 'button',
          action_id: ACTION_IDS.homeDeny,
          style: 'danger',
          text: { type: 'plain_text', text: 'Deny' },
          value,
        },
      ],
    };
    blocks.push(actions);
  }
  const more = page.awaiting.length - shown.length + page.awaitingMore;
  if (more > 0) blocks.push(note(`… and ${more} more waiting for your approval`));
  return blocks;
}

/** A link Slack gave for a card, used only when it is an http(s) URL with nothing that could break the markup. */
function linked(text: string, url: string | undefined): string {
  return url && /^https?:\/\/[^\s<>|]+$/.test(url) ? `<${url}|${text}>` : text;
}

function recentBlock(page: HomePage, links: ReadonlyMap<string, string>): KnownBlock {
  if (page.recent.length === 0) return note('You have not asked for anything yet.');
  const lines = page.recent.map(
    (record) =>
      `${stateLabel(record.state)} · *${linked(record.id, links.get(record.id))}* · ${where(record)} · ` +
      `\`${typed(record.command, 80)}\` in ${channel(record.channel)}`,
  );
  return { type: 'section', text: { type: 'mrkdwn', text: cut(lines.join('\n'), 3000) } };
}

function runbookBlocks(page: HomePage, budget: number): KnownBlock[] {
  if (page.runbooks.length === 0) return [note('No runbook is open to you.')];
  const shown = page.runbooks.slice(0, page.runbooks.length <= budget ? budget : Math.max(0, budget - 1));
  const blocks: KnownBlock[] = shown.map(({ name, runbook }) => ({
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: `*${neutraliseTypedText(name)}*: ${typed(runbook.description ?? runbook.command, HOME_VIEW_LIMITS.runbookChars)}`,
    },
    accessory: {
      type: 'button',
      action_id: ACTION_IDS.homeRunbook,
      text: { type: 'plain_text', text: 'Run' },
      value: cut(name, 2000),
    },
  }));
  if (shown.length < page.runbooks.length) blocks.push(note(`… and ${page.runbooks.length - shown.length} more`));
  return blocks;
}

/**
 * One person's Home tab: the requests waiting for their approval with Approve / Deny (which carry the binding shown
 * here), their recent requests with their state (linked to their card, whose thread has the output, when `links`
 * has its permalink), and the runbooks they may run. `notice` is the answer to what they
 * just did on it (a Home view has no other place for a private reply). Fits Slack's 100 blocks whatever the lists.
 */
export function homeView(
  page: HomePage,
  notice?: string,
  links: ReadonlyMap<string, string> = new Map(),
): HomeView & { blocks: KnownBlock[] } {
  const top: KnownBlock[] = [];
  if (notice) top.push(note(cut(notice, 3000)));
  const recent = [heading('Your recent requests'), recentBlock(page, links)];
  const runbooksHeading = heading('Runbooks');
  // Headings and the other sections first; the waiting requests get what is left, then the runbooks.
  const fixed = top.length + 1 + recent.length + 1 + 1;
  const awaiting = awaitingBlocks(page, HOME_VIEW_LIMITS.blocks - fixed - 1);
  const runbooks = runbookBlocks(page, HOME_VIEW_LIMITS.blocks - fixed - awaiting.length);
  return {
    type: 'home',
    blocks: [...top, heading('Waiting for your approval'), ...awaiting, ...recent, runbooksHeading, ...runbooks],
  };
}
