import { ResumeSessionCommand, type SSMClient, TerminateSessionCommand } from '@aws-sdk/client-ssm';
import { SsmError } from './errors.js';
import type { SsmControlPort } from './ports.js';

function describe(error: unknown): string {
  if (error instanceof Error)
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}

/** SsmControlPort over an injected SSMClient (built for the SSM endpoint, never the ECS one). */
export class AwsSsmControl implements SsmControlPort {
  constructor(private readonly client: SSMClient) {}

  /** @throws SsmError `ssm.control.resume` when the call fails. */
  async resumeSession(sessionId: string): Promise<{ streamUrl: string; tokenValue: string }> {
    try {
      const out = await this.client.send(new ResumeSessionCommand({ SessionId: sessionId }));
      return { streamUrl: out.StreamUrl ?? '', tokenValue: out.TokenValue ?? '' };
    } catch (error) {
      throw new SsmError('ssm.control.resume', `ResumeSession failed: ${describe(error)}`, { cause: error });
    }
  }

  /** @throws SsmError `ssm.control.terminate` when the call fails. */
  async terminateSession(sessionId: string): Promise<void> {
    try {
      await this.client.send(new TerminateSessionCommand({ SessionId: sessionId }));
    } catch (error) {
      throw new SsmError('ssm.control.terminate', `TerminateSession failed: ${describe(error)}`, { cause: error });
    }
  }
}
