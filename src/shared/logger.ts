import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear in a logged object. Secrets reach logs through config objects,
 * SDK errors and Slack payloads, so redaction is by key name, not by call site.
 */
const REDACTED_PATHS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'secretAccessKey',
  'sessionToken',
  'TokenValue',
  'tokenValue',
  'password',
  'authorization',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.TokenValue',
  '*.tokenValue',
  '*.password',
  '*.authorization',
  'headers.authorization',
  'headers["x-slack-signature"]',
  '*.headers.authorization',
];

/** Slack tokens, AWS secret keys and similar shapes scrubbed from free-text log messages. */
const SECRET_TEXT = /\b(xox[abprs]-[A-Za-z0-9-]{6,}|xapp-[A-Za-z0-9-]{6,}|AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16})\b/g;

/** Replaces token-shaped substrings in free text; used for messages that may quote user or SDK input. */
export function redactText(text: string): string {
  return text.replace(SECRET_TEXT, '[redacted]');
}

/** JSON-lines logger with secret redaction; `destination` lets tests capture what would be written. */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg)) as Parameters<
            typeof method
          >;
          method.apply(this, scrubbed);
        },
      },
    },
    options.destination ?? process.stdout,
  );
}
