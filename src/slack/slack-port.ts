import type { KnownBlock, View } from '@slack/types';

/** A message as the bot writes it: fallback text for notifications plus Block Kit for the layout. */
export interface SlackMessage {
  text: string;
  blocks?: KnownBlock[];
}

/**
 * Every Slack write the product makes. Posting is done once per message and later changes go through
 * `updateMessage` on the recorded `ts`, so a retried call can never show the same message twice.
 */
export interface SlackNotifier {
  postMessage(channel: string, message: SlackMessage, threadTs?: string): Promise<{ ts: string }>;
  updateMessage(channel: string, ts: string, message: SlackMessage): Promise<void>;
  postEphemeral(channel: string, user: string, message: SlackMessage): Promise<void>;
  uploadFile(input: {
    channel: string;
    threadTs: string;
    filename: string;
    title: string;
    content: Uint8Array;
    comment?: string;
  }): Promise<void>;
  openModal(triggerId: string, view: View): Promise<void>;
}

/** A post whose answer never came (reset, timeout): Slack may have posted it, so it was not sent again. */
export class SlackPostUnconfirmedError extends Error {
  constructor(method: string, options?: ErrorOptions) {
    super(`${method} got no answer; the message may or may not have been posted`, options);
    this.name = 'SlackPostUnconfirmedError';
  }
}
