import type { AuditEntry } from '../audit/audit-entry.js';
import type { Logger } from '../shared/logger.js';
import type { SlackNotifier } from './slack-port.js';
import { neutraliseSlackText, slackUserMention } from './slack-text.js';

/** Audit actions worth a line in the audit channel: the decisions and how runs ended, not every step. */
const SUMMARISED: Readonly<Record<string, string>> = {
  approve: '👍 approved',
  deny: '🚫 denied',
  cancel: '⛔ cancelled',
  expire: '💤 expired',
  finish: '🏁 finished',
};

const mention = (id: string): string => slackUserMention(id) ?? `\`${neutraliseSlackText(id)}\``;

/** The one-line summary of an audit entry for the audit channel, or undefined when it needs none. */
export function auditChannelLine(entry: AuditEntry): string | undefined {
  if (entry.outcome !== 'ok') return undefined;
  const reason = typeof entry.detail['reason'] === 'string' ? neutraliseSlackText(entry.detail['reason']) : '';
  if (entry.action === 'break_glass') {
    return `🚨 *BREAK-GLASS* ${entry.requestId} by ${mention(entry.actor)}, without approval. Reason: ${reason || 'none'}`;
  }
  const verb = SUMMARISED[entry.action];
  if (!verb) return undefined;
  const exitCode = typeof entry.detail['exitCode'] === 'number' ? `, exit ${entry.detail['exitCode']}` : '';
  const state = entry.action === 'finish' ? ` (${neutraliseSlackText(entry.to)}${exitCode})` : '';
  // A run's end and an expiry are the bot's own steps (the actor is a replica id): naming a replica there reads as
  // if a person did it. People are named wherever they acted.
  const person = slackUserMention(entry.actor);
  const by = person ? ` by ${person}` : '';
  return `${verb} ${entry.requestId}${state}${by}${reason ? `: ${reason}` : ''}`;
}

/**
 * Sends each audit entry's summary to the audit channel, in order, without holding up the transition that wrote
 * it. The chain in Redis and the JSON log lines stay the record; this channel is for people watching.
 */
export function createAuditChannelSink(
  notifier: SlackNotifier,
  channel: string,
  logger: Logger,
): (entry: AuditEntry) => void {
  let queue: Promise<void> = Promise.resolve();
  return (entry) => {
    const line = auditChannelLine(entry);
    if (!line) return;
    queue = queue
      .then(() => notifier.postMessage(channel, { text: line }))
      .then(
        () => undefined,
        (error: unknown) => logger.warn({ err: error, requestId: entry.requestId }, 'audit channel post failed'),
      );
  };
}
