/** Every error code the product raises, namespaced by feature (`ssm.decode.bad_digest`, `approval.expired`). */
export type ErrorCode =
  `${'config' | 'slack' | 'approval' | 'policy' | 'ecs' | 'ssm' | 'output' | 'sandbox' | 'cli' | 'fleet'}.${string}`;

/**
 * Base of every error the product raises on purpose. `userMessage` is text that is safe to show in Slack or on a
 * terminal (no secrets, no stack); `message` is for logs.
 */
export abstract class BotError extends Error {
  abstract readonly code: ErrorCode;
  readonly userMessage: string | undefined;

  constructor(message: string, options?: ErrorOptions & { userMessage?: string }) {
    super(message, options);
    this.name = new.target.name;
    this.userMessage = options?.userMessage;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Narrows an unknown thrown value to a BotError. */
export function isBotError(error: unknown): error is BotError {
  return error instanceof BotError;
}

/** What a person may be shown for any thrown value: the error's own safe text, or a generic line. */
export function toUserMessage(error: unknown): string {
  if (isBotError(error)) return error.userMessage ?? error.message;
  return 'Something went wrong on our side. The details are in the bot logs.';
}
