import type { ExecSessionsPort } from '../exec-sessions-port.js';
import { AwsApiError } from './aws-error.js';
import type { SandboxConfigObjects } from './config-objects.js';
import type { CallContext } from './principals.js';

type Input = Record<string, unknown>;

function sessionIdOf(input: Input): string {
  const id = input['SessionId'];
  if (typeof id !== 'string' || id === '') throw new AwsApiError('ValidationException', 'SessionId is required');
  return id;
}

/** `Name` as GetParameter takes it: the name, optionally with `:<version>` to ask for an older version. */
export function parameterSelector(input: Input): { name: string; version?: number } {
  const given = input['Name'];
  if (typeof given !== 'string' || given === '') throw new AwsApiError('ValidationException', 'Name is required');
  const match = /^(.*):(\d+)$/.exec(given);
  return match ? { name: match[1] ?? '', version: Number(match[2]) } : { name: given };
}

/** The SSM subset of the sandbox: X-Amz-Target `AmazonSSM.<Operation>`. */
export function createSsmHandlers(
  sessions: ExecSessionsPort,
  configObjects: SandboxConfigObjects,
): Record<string, (input: Input, ctx: CallContext) => unknown> {
  return {
    GetParameter: (input, ctx) => {
      const { name, version } = parameterSelector(input);
      const parameter = configObjects.parameter(name, version);
      if (!parameter) {
        if (version !== undefined && configObjects.parameter(name)) {
          throw new AwsApiError(
            'ParameterVersionNotFound',
            `Systems Manager could not find version ${version} of ${name}.`,
          );
        }
        throw new AwsApiError('ParameterNotFound', '');
      }
      // Without WithDecryption a SecureString comes back as its ciphertext, as in SSM.
      const hidden = parameter.type === 'SecureString' && input['WithDecryption'] !== true;
      const value = hidden ? Buffer.from(`sandbox-ciphertext:${parameter.value}`).toString('base64') : parameter.value;
      const path = name.startsWith('/') ? name : `/${name}`;
      return {
        Parameter: {
          Name: name,
          Type: parameter.type,
          Value: value,
          Version: parameter.version,
          ...(version !== undefined ? { Selector: `:${version}` } : {}),
          LastModifiedDate: parameter.lastModifiedMs / 1000,
          ARN: `arn:aws:ssm:${ctx.region}:${ctx.principal.account}:parameter${path}`,
          DataType: 'text',
        },
      };
    },

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
