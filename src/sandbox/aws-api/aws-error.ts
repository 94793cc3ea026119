/**
 * An error the sandbox answers the way AWS does: `__type` + `message` for the JSON protocols, an `<ErrorResponse>`
 * for STS's query protocol. `type` is the exception name the SDK turns into a named exception class.
 */
export class AwsApiError extends Error {
  readonly type: string;
  readonly status: number;

  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = 'AwsApiError';
    this.type = type;
    this.status = status;
  }
}

/** ECS's own "bad input" error. */
export function invalidParameter(message: string): AwsApiError {
  return new AwsApiError('InvalidParameterException', message);
}

/** Status codes AWS uses for the error names the sandbox knows; anything else is a 400. */
export function statusForErrorType(type: string): number {
  switch (type) {
    case 'ServerException':
    case 'InternalFailure':
    case 'InternalServerError':
    case 'KMSInternalException':
      return 500;
    case 'ServiceUnavailable':
    case 'ServiceUnavailableException':
      return 503;
    case 'AccessDeniedException':
    case 'AccessDenied':
    case 'MissingAuthenticationTokenException':
    case 'IncompleteSignatureException':
    case 'UnrecognizedClientException':
      return 403;
    case 'ThrottlingException':
    case 'Throttling':
    case 'TooManyRequestsException':
      return 400;
    default:
      return 400;
  }
}
