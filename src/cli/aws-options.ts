import { EcsAccessDeniedError, EcsNoCredentialsError } from '../ecs/errors.js';
import { isBotError, toUserMessage } from '../errors.js';
import { EXIT } from './io.js';

/** The AWS flags every command that calls AWS takes; they override AWS_PROFILE and AWS_REGION as in the AWS CLI. */
export const AWS_OPTIONS = {
  profile: { type: 'string' },
  region: { type: 'string' },
} as const;

/** Usage lines for {@link AWS_OPTIONS}, shared so every command describes them the same way. */
export const AWS_USAGE = `  --profile P     AWS profile from ~/.aws/config (default: $AWS_PROFILE, else the default chain); SSO,
                  credential_process and role_arn profiles work as with the AWS CLI
  --region R      AWS region (default: the config file's cluster region, $AWS_REGION, $AWS_DEFAULT_REGION,
                  then the profile's region)`;

const AUTH_ERROR_NAMES = new Set([
  'CredentialsProviderError',
  'TokenProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'AccessDenied',
  'AccessDeniedException',
  'SignatureDoesNotMatch',
]);

/** True for "who you are" failures: no credentials, an expired login, keys AWS does not know, access denied. */
export function isAuthFailure(error: unknown): boolean {
  if (error instanceof EcsNoCredentialsError || error instanceof EcsAccessDeniedError) return true;
  return error instanceof Error && AUTH_ERROR_NAMES.has(error.name);
}

/** The exit code for an error raised before anything ran. */
export function exitCodeForStartFailure(error: unknown): number {
  return isAuthFailure(error) ? EXIT.authFailed : EXIT.couldNotStart;
}

/**
 * What to print for an error raised before anything ran. No bot logs stand behind a CLI, so an error that is not
 * ours is shown as it is, and a credentials failure also says what the SDK reported (an expired SSO login, a
 * failing credential_process), which the generic advice alone would hide.
 */
export function startFailureText(error: unknown, profile?: string | undefined): string {
  if (!isBotError(error)) return error instanceof Error ? error.message : String(error);
  if (error instanceof EcsNoCredentialsError) {
    const cause = error.cause instanceof Error ? error.cause.message : error.message;
    if (!profile) return `${toUserMessage(error)}\n  The SDK said: ${cause}`;
    return (
      `The credentials of AWS profile "${profile}" could not be loaded: ${cause}\n` +
      `Fix: log in again (aws sso login --profile ${profile}) or check the profile in ~/.aws/config.`
    );
  }
  return toUserMessage(error);
}
