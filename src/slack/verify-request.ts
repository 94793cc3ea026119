import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Slack's replay window, applied in both directions (Bolt itself only refuses timestamps in the past). */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/** Slack's requests are a few KiB; Bolt's own default limit, so moving the check here changes nothing for them. */
export const MAX_SLACK_BODY_BYTES = 4 * 1024 * 1024;

/** Why a request was refused at the door; the reasons are also the refusal metric's labels. */
export type SlackRequestRefusal = 'stale_or_unsigned' | 'bad_signature';

/**
 * Checks the two headers that can be judged before reading the body: a numeric timestamp within the window of
 * `nowMs` (both directions) and a signature header. Returns the skew in seconds for the log (null when unreadable).
 */
export function checkSlackHeaders(
  headers: IncomingMessage['headers'],
  nowMs: number,
): { ok: true } | { ok: false; skewSeconds: number | null } {
  const timestamp = headers['x-slack-request-timestamp'];
  // Digits only: Number() would also take "0x1f", " 12 " or "1e9", none of which Slack sends.
  const seconds = typeof timestamp === 'string' && /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  const skew = Math.abs(nowMs / 1_000 - seconds);
  if (!Number.isFinite(skew)) return { ok: false, skewSeconds: null };
  if (skew > MAX_CLOCK_SKEW_SECONDS || !headers['x-slack-signature']) return { ok: false, skewSeconds: skew };
  return { ok: true };
}

/**
 * Slack's signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp header}:{raw body}`, compared in constant time on
 * the exact bytes received (a re-serialised body would differ for `+`, `%2B`, emoji or CRLF).
 */
export function hasValidSlackSignature(
  signingSecret: string,
  headers: IncomingMessage['headers'],
  rawBody: Buffer,
): boolean {
  const signature = headers['x-slack-signature'];
  const timestamp = headers['x-slack-request-timestamp'];
  if (typeof signature !== 'string' || typeof timestamp !== 'string') return false;
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  const expected = Buffer.from(`v0=${hmac.digest('hex')}`);
  const received = Buffer.from(signature);
  return received.length === expected.length && timingSafeEqual(received, expected);
}

/**
 * Reads the whole body, up to `limit` bytes. A larger body is not drained (the stream is paused, so the caller can
 * still answer 413 and close the connection).
 * @throws RangeError when the body is larger than `limit`; the stream's own error otherwise
 */
export async function readRawBody(req: IncomingMessage, limit = MAX_SLACK_BODY_BYTES): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.pause();
      reject(new RangeError(`request body larger than ${limit} bytes`));
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, length)));
    req.once('error', reject);
  });
}
