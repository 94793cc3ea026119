import { redactText } from '../output/redactor.js';
/**
 * Makes command output inert in Slack text. Slack reads `<...>` as mentions (`<!channel>`, `<@U123>`), links
 * and dates, and `&` starts an entity, so these three are escaped as Slack asks; then `<` can never open markup.
 * A run of backticks is broken up so output cannot close the code block it is shown in and turn the rest into
 * formatted text.
 */
export function neutraliseSlackText(text: string): string {
  return text.replace(/[&<>]|```/g, (c) => ESCAPES[c] ?? c);
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  // A zero-width space between backticks keeps the look and stops the fence.
  '```': '`\u200b`\u200b`',
};

/**
 * A Slack mention for a Slack user id (`U…`/`W…`), or undefined for anything else: only ids the bot got from Slack's
 * signed payloads become markup, never text that merely looks like one.
 */
export function slackUserMention(userId: string): string | undefined {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : undefined;
}

/**
 * Text a person typed (a command, a reason) as it may appear in Slack: secrets redacted with the output rules, then
 * made inert. The channel sees what was asked for without any key that was pasted into it.
 */
export function neutraliseTypedText(text: string): string {
  return neutraliseSlackText(redactText(text).text);
}
