import { BotError } from '../errors.js';

/** A caller used the output pipeline in a way it does not support. */
export class OutputUsageError extends BotError {
  readonly code = 'output.usage';
}

/** Every error the output feature raises. */
export type OutputError = OutputUsageError;
