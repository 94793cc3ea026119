import type { KnownBlock, View } from '@slack/types';
import { ErrorCode, type WebClient } from '@slack/web-api';
import type { Logger } from '../shared/logger.js';
import { type SlackMessage, type SlackNotifier, SlackPostUnconfirmedError } from './slack-port.js';

export interface WebSlackNotifierOptions {
  /** How long one write may keep waiting out 429s before it gives up; the final status gets the longest budget. */
  maxRateLimitWaitMs?: number;
  /** Attempts per write for failures other than 429 that may be retried (default 5, backoff 0.5 s doubling). */
  maxAttempts?: number;
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

/** Slack's own words for "something went wrong on our side, try again": it answered, and did nothing. */
const TRANSIENT_PLATFORM_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
  'team_added_to_org',
]);
/** Transport failures that prove the request never reached Slack. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** How a failed write may be retried. */
type Failure = 'refused' | 'unanswered' | 'final';

function classify(error: unknown): Failure {
  const coded = error as { code?: unknown; data?: { error?: unknown }; statusCode?: unknown; original?: unknown };
  if (coded.code === ErrorCode.PlatformError) {
    return TRANSIENT_PLATFORM_ERRORS.has(String(coded.data?.error)) ? 'refused' : 'final';
  }
  // A 5xx is an answer: Slack's front end refused the call (a retry is what Slack's docs ask for).
  if (coded.code === ErrorCode.HTTPError) return Number(coded.statusCode) >= 500 ? 'refused' : 'final';
  if (coded.code === ErrorCode.RequestError) {
    const original = coded.original as { code?: unknown } | undefined;
    return NOT_SENT_CODES.has(String(original?.code)) ? 'refused' : 'unanswered';
  }
  return 'final';
}

/**
 * SlackNotifier over the Web API client. The client is built with retries off and `rejectRateLimitedCalls`, so
 * every failure comes back here and is retried only where that cannot show a message twice: a 429 (waited out), a
 * 5xx, an `ok:false` Slack calls transient, or a connection refused prove Slack did not act, so any write is sent
 * again with backoff. A call left unanswered (reset, timeout) may have acted: an update by `ts` is sent again (it
 * is idempotent), a post is not; it fails with `SlackPostUnconfirmedError` and the caller puts the message into a
 * message whose `ts` it knows instead.
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

  /** Retries what `classify` allows; `idempotent` writes are also retried when their answer was lost. */
  private async withRetries<T>(method: string, idempotent: boolean, call: () => Promise<T>): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.withRateLimit(method, call);
      } catch (error) {
        const failure = classify(error);
        const retryable = failure === 'refused' || (failure === 'unanswered' && idempotent);
        if (!retryable || attempt >= maxAttempts) {
          if (failure === 'unanswered' && !idempotent) throw new SlackPostUnconfirmedError(method, { cause: error });
          throw error;
        }
        const waitMs = 500 * 2 ** (attempt - 1);
        this.options.logger.warn({ method, attempt, waitMs, err: error }, 'Slack write failed; retrying');
        await this.sleep(waitMs);
      }
    }
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
    const response = await this.withRetries('chat.postMessage', false, () =>
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
    await this.withRetries('chat.update', true, () =>
      this.client.chat.update({
        channel,
        ts,
        text: message.text,
        blocks: message.blocks ?? ([] as KnownBlock[]),
      }),
    );
  }

  async postEphemeral(channel: string, user: string, message: SlackMessage): Promise<void> {
    await this.withRetries('chat.postEphemeral', false, () =>
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
    // Asking for an upload URL changes nothing visible, so it is retried like an update; sharing the file is not.
    const ticket = await this.withRetries('files.getUploadURLExternal', true, () =>
      this.client.files.getUploadURLExternal({ filename: input.filename, length: input.content.byteLength }),
    );
    if (!ticket.upload_url || !ticket.file_id) throw new Error('files.getUploadURLExternal returned no upload URL');
    const upload = await fetch(ticket.upload_url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: input.content,
    });
    if (!upload.ok) throw new Error(`file upload failed with HTTP ${upload.status}`);
    await this.withRetries('files.completeUploadExternal', false, () =>
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
