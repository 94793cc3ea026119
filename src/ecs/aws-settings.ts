import { homedir } from 'node:os';
import { join } from 'node:path';
import { fromIni } from '@aws-sdk/credential-provider-ini';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { loadConfig, NODE_REGION_CONFIG_OPTIONS } from '@smithy/core/config';
import { NoRegionError } from './errors.js';

/** Credentials as the SDK clients take them: a provider they call (and the chain refreshes) when signing. */
export type AwsCredentialIdentityProvider = () => Promise<{
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}>;

/** What the person chose on the command line; both override the environment, as with the AWS CLI. */
export interface AwsChoice {
  profile?: string | undefined;
  region?: string | undefined;
}

/** The AWS configuration a command runs with, resolved the way the AWS CLI and SDK resolve it. */
export interface AwsSettings {
  /** The named profile in use (`--profile`, else `AWS_PROFILE`), or undefined for the default chain. */
  profile: string | undefined;
  /** `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile's `region`; undefined when none is set. */
  region: string | undefined;
  /** The SDK's credential chain for that profile (SSO, credential_process, role chaining, web identity, IMDS…). */
  credentials: AwsCredentialIdentityProvider;
}

/** The shared config and credentials files the SDK would read for this environment. */
function sharedFiles(env: Record<string, string | undefined>): { configFilepath: string; filepath: string } {
  const home = env['HOME'] || env['USERPROFILE'] || homedir();
  return {
    configFilepath: env['AWS_CONFIG_FILE'] || join(home, '.aws', 'config'),
    filepath: env['AWS_SHARED_CREDENTIALS_FILE'] || join(home, '.aws', 'credentials'),
  };
}

/**
 * Resolves the profile, region and credentials from the given environment (the process's own in production; a
 * test's in-process). The SDK's own loaders do the work: its region selector reads the profile, and its default
 * credential chain handles `sso_session`, `credential_process`, `role_arn` with `source_profile` or
 * `credential_source`, web identity and instance roles. Like the SDK, a named profile wins over access keys in the
 * environment; without one, those keys are used, then the SDK's default chain.
 */
export async function resolveAwsSettings(
  choice: AwsChoice,
  env: Record<string, string | undefined>,
): Promise<AwsSettings> {
  const profile = choice.profile || env['AWS_PROFILE'] || undefined;
  const files = sharedFiles(env);
  // AWS_DEFAULT_REGION is the AWS CLI's name; the SDK reads only AWS_REGION. Honouring both means the CLI works in a
  // shell set up for either, with AWS_REGION first as the AWS CLI v2 does.
  const envRegion = choice.region || env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || undefined;
  const region =
    envRegion ??
    (await loadConfig<string | undefined>(
      {
        environmentVariableSelector: () => undefined,
        configFileSelector: NODE_REGION_CONFIG_OPTIONS.configFileSelector,
        default: () => undefined,
      },
      { ...(profile ? { profile } : {}), ...files },
    )()) ??
    undefined;

  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  const sessionToken = env['AWS_SESSION_TOKEN'];
  const stsEndpoint = env['AWS_ENDPOINT_URL_STS'] || env['AWS_ENDPOINT_URL'];
  // A profile with role_arn assumes it through STS: in the resolved region and at the STS endpoint the environment
  // names, like every other call of the run.
  const clientConfig = { ...(region ? { region } : {}), ...(stsEndpoint ? { endpoint: stsEndpoint } : {}) };
  let credentials: AwsCredentialIdentityProvider;
  if (profile) {
    // A named profile is the only source, as with the AWS CLI: its own failure (an expired SSO login, a failing
    // credential_process) is the error to show, not the "no provider worked" of a chain that went on to IMDS.
    credentials = fromIni({ profile, ...files, clientConfig });
  } else if (accessKeyId && secretAccessKey) {
    credentials = async () => ({ accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) });
  } else {
    credentials = defaultProvider({ ...files, clientConfig });
  }
  return { profile, region, credentials };
}

/** The region to use, or the error that says every place one can be set. */
export function requireRegion(settings: Pick<AwsSettings, 'profile' | 'region'>): string {
  if (!settings.region) throw new NoRegionError(settings.profile);
  return settings.region;
}
