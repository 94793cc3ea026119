/**
 * The product's logger: pino writing JSON lines, with every secret the output redactor knows blanked out. It lives
 * beside the redactor because it applies the same rules (including the config file's own); code that only logs
 * takes the `Logger` type from src/shared/logger.ts.
 */
import { type Logger, pino } from 'pino';
import { redactText as redactSecrets } from './redactor.js';

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
 * Replaces secrets in free text with the same rules that redact command output (including the config file's own),
 * so a log line is never less careful than a Slack message.
 */
export function redactText(text: string): string {
  return redactSecrets(text).text;
}

const MAX_DEPTH = 6;

/**
 * A copy of a logged value with every string in it redacted: error messages and stacks, SDK error fields and
 * request details can all carry a secret that no key-name path foresaw.
 */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1));
  // An error keeps its prototype, so pino's error serializer still names its type.
  const out = (value instanceof Error ? Object.create(Object.getPrototypeOf(value)) : {}) as Record<string, unknown>;
  if (value instanceof Error) {
    out['message'] = redactText(value.message);
    if (value.stack) out['stack'] = redactText(value.stack);
    if (value.cause !== undefined) out['cause'] = redactDeep(value.cause, depth + 1);
  }
  for (const [key, item] of Object.entries(value)) out[key] = redactDeep(item, depth + 1);
  return out;
}

/** JSON-lines logger with secret redaction; `destination` lets tests capture what would be written. */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { log: (object) => redactDeep(object) as Record<string, unknown> },
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
