import { type Logger, pino } from 'pino';
import { redactText as redactSecrets } from '../output/redactor.js';

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

/**
 * Replaces secret-shaped substrings (AWS keys, Slack tokens, private keys, JWTs, credential JSON) in free text, with
 * the same rules that redact command output, so a log line is never less careful than a Slack message.
 */
export function redactText(text: string): string {
  return redactSecrets(text).text;
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
