import { BotError, type ErrorCode } from '../errors.js';

/** The playground could not start: its port is taken, a flag is wrong. The message says what to do instead. */
export class PlaygroundError extends BotError {
  readonly code: ErrorCode = 'cli.playground';
}
