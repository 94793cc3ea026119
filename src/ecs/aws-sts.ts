import { AssumeRoleCommand, type AssumeRoleCommandOutput, type STSClient } from '@aws-sdk/client-sts';
import { AssumeRoleDeniedError, AssumeRoleFailedError } from './errors.js';
import type { AwsCredentials, StsPort } from './identity.js';

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'RegionDisabledException', 'ExpiredTokenException']);

/** AssumeRole through `@aws-sdk/client-sts`, with SourceIdentity so CloudTrail names the requester. */
export class AwsStsAssumer implements StsPort {
  constructor(private readonly client: STSClient) {}

  async assumeRole(request: Parameters<StsPort['assumeRole']>[0]): Promise<AwsCredentials> {
    let out: AssumeRoleCommandOutput;
    try {
      out = await this.client.send(
        new AssumeRoleCommand({
          RoleArn: request.roleArn,
          RoleSessionName: request.roleSessionName,
          SourceIdentity: request.sourceIdentity,
          DurationSeconds: request.durationSeconds,
        }),
      );
    } catch (error) {
      const name = (error as { name?: string }).name ?? 'Error';
      const detail = (error as { message?: string }).message ?? name;
      // A denial is reported as a denial; it is never retried or turned into a different error.
      if (DENIED.has(name)) throw new AssumeRoleDeniedError(request.roleArn, detail, { cause: error });
      throw new AssumeRoleFailedError(request.roleArn, `${name}: ${detail}`, { cause: error });
    }
    const creds = out.Credentials;
    if (!creds?.AccessKeyId || !creds.SecretAccessKey) {
      throw new AssumeRoleFailedError(request.roleArn, 'STS answered without credentials');
    }
    return {
      accessKeyId: creds.AccessKeyId,
      secretAccessKey: creds.SecretAccessKey,
      ...(creds.SessionToken ? { sessionToken: creds.SessionToken } : {}),
      ...(creds.Expiration ? { expiration: new Date(creds.Expiration).getTime() } : {}),
    };
  }
}
