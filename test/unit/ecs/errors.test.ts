import {
  AccessDeniedException,
  ClientException,
  ClusterNotFoundException,
  InvalidParameterException,
  ServerException,
  TargetNotConnectedException,
} from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { toEcsError } from '../../../src/ecs/aws-ecs-mapping.js';
import {
  ClusterNotFoundError,
  EcsAccessDeniedError,
  EcsClientError,
  EcsInvalidParameterError,
  EcsNoCredentialsError,
  EcsServerError,
  EcsThrottledError,
  EcsUnreachableError,
  ExecNotEnabledError,
  TargetNotConnectedError,
} from '../../../src/ecs/errors.js';

const meta = { $metadata: { httpStatusCode: 400 } };
const ctx = { subject: 'prod', region: 'eu-west-1' };

describe('toEcsError', () => {
  const cases = [
    {
      name: 'AccessDeniedException',
      raw: new AccessDeniedException({ message: 'not authorized to perform ecs:ExecuteCommand', ...meta }),
      type: EcsAccessDeniedError,
      code: 'ecs.access_denied',
      retry: false,
      text: /Not permitted.*ecs:ExecuteCommand/,
    },
    {
      name: 'InvalidParameterException (exec not enabled)',
      raw: new InvalidParameterException({
        message:
          "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running. Wait and try again or run a new task with execute command enabled and try again.",
        ...meta,
      }),
      type: ExecNotEnabledError,
      code: 'ecs.exec_not_enabled',
      retry: false,
      text: /--enable-execute-command/,
    },
    {
      name: 'InvalidParameterException (other)',
      raw: new InvalidParameterException({ message: 'Invalid identifier: Unexpected number of separators', ...meta }),
      type: EcsInvalidParameterError,
      code: 'ecs.invalid_parameter',
      retry: false,
      text: /Unexpected number of separators/,
    },
    {
      name: 'TargetNotConnectedException',
      raw: new TargetNotConnectedException({
        message: 'The execute command failed due to an internal error.',
        ...meta,
      }),
      type: TargetNotConnectedError,
      code: 'ecs.target_not_connected',
      retry: true,
      text: /ssmmessages:CreateControlChannel/,
    },
    {
      name: 'ClusterNotFoundException',
      raw: new ClusterNotFoundException({ message: 'Cluster not found.', ...meta }),
      type: ClusterNotFoundError,
      code: 'ecs.cluster_not_found',
      retry: false,
      text: /Cluster "prod" was not found in eu-west-1/,
    },
    {
      name: 'ClientException',
      raw: new ClientException({ message: 'The referenced task was not found.', ...meta }),
      type: EcsClientError,
      code: 'ecs.client',
      retry: false,
      text: /The referenced task was not found/,
    },
    {
      name: 'ServerException',
      raw: new ServerException({ message: 'Service Unavailable', $metadata: { httpStatusCode: 500 } }),
      type: EcsServerError,
      code: 'ecs.server',
      retry: true,
      text: /did not start the command/,
    },
    {
      name: 'ThrottlingException',
      raw: Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', ...meta }),
      type: EcsThrottledError,
      code: 'ecs.throttled',
      retry: true,
      text: /throttling/,
    },
  ];

  it.each(cases)('maps $name to its meaning and remedy', ({ raw, type, code, retry, text }) => {
    const error = toEcsError(raw, 'ExecuteCommand', ctx);
    expect(error).toBeInstanceOf(type);
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retry);
    expect(error.noSessionExists).toBe(true);
    expect(error.userMessage).toMatch(text);
    expect(error.cause).toBe(raw);
  });

  it('says plainly when there are no credentials at all', () => {
    const raw = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    const error = toEcsError(raw, 'ListTasks', ctx);
    expect(error).toBeInstanceOf(EcsNoCredentialsError);
    expect(error.userMessage).toContain('AWS_PROFILE');
  });

  it('treats a refused connection as proof that nothing was sent', () => {
    const raw = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const error = toEcsError(raw, 'ExecuteCommand', ctx);
    expect(error).toBeInstanceOf(EcsUnreachableError);
    expect(error.noSessionExists).toBe(true);
    expect(error.userMessage).toContain('AWS_ENDPOINT_URL_ECS');
  });

  it('treats a reset or timeout as "a session may exist", so ExecuteCommand is never repeated', () => {
    const raw = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const error = toEcsError(raw, 'ExecuteCommand', ctx);
    expect(error).toBeInstanceOf(EcsUnreachableError);
    expect(error.noSessionExists).toBe(false);
    expect(error.userMessage).toContain('may have started in the task');
  });

  it('never says "may have started" about a read whose answer was lost: only ExecuteCommand starts anything', () => {
    const raw = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    for (const action of ['DescribeTasks', 'ListTasks']) {
      const error = toEcsError(raw, action, ctx);
      expect(error).toBeInstanceOf(EcsUnreachableError);
      expect(error.noSessionExists).toBe(true);
      expect(error.userMessage).not.toContain('may have started');
    }
  });

  it('leaves an already mapped error as it is, so errors are mapped exactly once', () => {
    const error = toEcsError(toEcsError(new ClientException({ message: 'x', ...meta }), 'A', ctx), 'B', ctx);
    expect(error).toBeInstanceOf(EcsClientError);
  });
});
