import type { ExecSessionsPort } from '../exec-sessions-port.js';
import { AwsApiError } from './aws-error.js';
import type { CallContext } from './principals.js';

type Input = Record<string, unknown>;

function sessionIdOf(input: Input): string {
  const id = input['SessionId'];
  if (typeof id !== 'string' || id === '') throw new AwsApiError('ValidationException', 'SessionId is required');
  return id;
}

/** The SSM subset of the sandbox: X-Amz-Target `AmazonSSM.<Operation>`. */
export function createSsmHandlers(
  sessions: ExecSessionsPort,
): Record<string, (input: Input, ctx: CallContext) => unknown> {
  return {
    ResumeSession: (input) => {
      const sessionId = sessionIdOf(input);
      const ticket = sessions.resume(sessionId);
      if (!ticket) throw new AwsApiError('DoesNotExistException', `Session with id ${sessionId} does not exist.`);
      return { SessionId: ticket.sessionId, TokenValue: ticket.tokenValue, StreamUrl: ticket.streamUrl };
    },

    // Like SSM, terminating an unknown or finished session is not an error.
    TerminateSession: (input) => {
      const sessionId = sessionIdOf(input);
      sessions.terminate(sessionId);
      return { SessionId: sessionId };
    },
  };
}
