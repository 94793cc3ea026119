import type { KnownBlock, View } from '@slack/types';
import { ErrorCode, type WebClient } from '@slack/web-api';
import type { Logger } from '../shared/logger.js';
import type { SlackMessage, SlackNotifier } from './slack-port.js';

export interface WebSlackNotifierOptions {
  /** How long one write may keep waiting out 429s before it gives up; the final status gets the longest budget. */
  maxRateLimitWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  logger: Logger;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function isRateLimited(error: unknown): error is { code: string; retryAfter: number } {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === ErrorCode.RateLimitedError &&
    typeof (error as { retryAfter?: unknown }).retryAfter === 'number'
  );
}

/**
 * SlackNotifier over the Web API client. The client is built with retries off and `rejectRateLimitedCalls`, so a
 * 429 comes back here: that answer proves Slack did not act, which makes waiting out `Retry-After` and sending again
 * safe even for chat.postMessage. Any other failure (timeout, 5xx) may or may not have posted, so it is not retried.
 */
export class WebSlackNotifier implements SlackNotifier {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxRateLimitWaitMs: number;

  constructor(
    private readonly client: WebClient,
    private readonly options: WebSlackNotifierOptions,
  ) {
    this.sleep = options.sleep ?? defaultSleep;
    this.maxRateLimitWaitMs = options.maxRateLimitWaitMs ?? 10 * 60_000;
  }

  private async withRateLimit<T>(method: string, call: () => Promise<T>): Promise<T> {
    let waited = 0;
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (!isRateLimited(error)) throw error;
        const waitMs = Math.max(1, error.retryAfter) * 1_000;
        if (waited + waitMs > this.maxRateLimitWaitMs) throw error;
        this.options.logger.warn(
          { method, retryAfterSeconds: error.retryAfter },
          'Slack rate limit; waiting before retrying',
        );
        waited += waitMs;
        await this.sleep(waitMs);
      }
    }
  }

  async postMessage(channel: string, message: SlackMessage, threadTs?: string): Promise<{ ts: string }> {
    const response = await this.withRateLimit('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    if (!response.ts) throw new Error('chat.postMessage returned no ts');
    return { ts: response.ts };
  }

  async updateMessage(channel: string, ts: string, message: SlackMessage): Promise<void> {
    await this.withRateLimit('chat.update', () =>
      this.client.chat.update({
        channel,
        ts,
        text: message.text,
        blocks: message.blocks ?? ([] as KnownBlock[]),
      }),
    );
  }

  async postEphemeral(channel: string, user: string, message: SlackMessage): Promise<void> {
    await this.withRateLimit('chat.postEphemeral', () =>
      this.client.chat.postEphemeral({
        channel,
        user,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
      }),
    );
  }

  async uploadFile(input: {
    channel: string;
    threadTs: string;
    filename: string;
    title: string;
    content: Uint8Array;
    comment?: string;
  }): Promise<void> {
    // The two-step external upload: ask for a URL with the exact length, send the bytes, then share the file.
    const ticket = await this.withRateLimit('files.getUploadURLExternal', () =>
      this.client.files.getUploadURLExternal({ filename: input.filename, length: input.content.byteLength }),
    );
    if (!ticket.upload_url || !ticket.file_id) throw new Error('files.getUploadURLExternal returned no upload URL');
    const upload = await fetch(ticket.upload_url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: input.content,
    });
    if (!upload.ok) throw new Error(`file upload failed with HTTP ${upload.status}`);
    await this.withRateLimit('files.completeUploadExternal', () =>
      this.client.files.completeUploadExternal({
        files: [{ id: ticket.file_id as string, title: input.title }],
        channel_id: input.channel,
        thread_ts: input.threadTs,
        ...(input.comment ? { initial_comment: input.comment } : {}),
      }),
    );
  }

  async openModal(triggerId: string, view: View): Promise<void> {
    await this.withRateLimit('views.open', () => this.client.views.open({ trigger_id: triggerId, view }));
  }
}
