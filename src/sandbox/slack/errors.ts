import { BotError, type ErrorCode } from '../../errors.js';

/** Raised by the Slack stand-in's own API (not by the Slack methods it serves, which answer `ok: false`). */
export class SlackStandInError extends BotError {
  readonly code: ErrorCode;

  constructor(code: `sandbox.slack.${string}`, message: string) {
    super(message, { userMessage: message });
    this.code = code;
  }
}
