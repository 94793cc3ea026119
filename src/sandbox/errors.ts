import { BotError, type ErrorCode } from '../errors.js';

/** A misuse of the sandbox itself: a bad seed, an unknown task in a test API call, a port in use. */
export class SandboxError extends BotError {
  readonly code: ErrorCode = 'sandbox.invalid';
}

/** The sandbox could not start (e.g. the port is taken, `script` from util-linux is missing). */
export class SandboxStartError extends BotError {
  readonly code: ErrorCode = 'sandbox.start_failed';
}
