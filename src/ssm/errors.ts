import { BotError, type ErrorCode } from '../errors.js';

/** Failures of an SSM session after the frames themselves decoded (crypto, handshake, transport). */
export class SsmError extends BotError {
  readonly code: ErrorCode;

  constructor(code: `ssm.${string}`, message: string, options?: ErrorOptions & { userMessage?: string }) {
    super(message, options);
    this.code = code;
  }
}
