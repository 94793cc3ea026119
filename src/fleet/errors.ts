import { BotError } from '../errors.js';

/** A fan-out asked for in a way that cannot work (`--max-errors 150%`, `--tasks 0`); nothing was started. */
export class FleetUsageError extends BotError {
  readonly code = 'fleet.usage';
  constructor(message: string) {
    super(message, { userMessage: message });
  }
}
