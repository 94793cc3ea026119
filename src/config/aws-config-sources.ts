import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type ConfigLocation, type ConfigSource, ConfigSourceError, fileConfigSource } from './config-source.js';

/** A config read must not hold up start-up or a poll for long: connect fast, answer within 10 s. */
const TIMEOUTS = { connectionTimeout: 5_000, requestTimeout: 10_000, throwOnRequestTimeout: true };

/** Settings every AWS client here takes from the environment, as the ECS, SSM, KMS and STS clients do. */
function clientSettings(env: Record<string, string | undefined>, service: 'SSM' | 'S3') {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] || env['AWS_ENDPOINT_URL'];
  const region = env['AWS_REGION'] || env['AWS_DEFAULT_REGION'];
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  const sessionToken = env['AWS_SESSION_TOKEN'];
  return {
    requestHandler: TIMEOUTS,
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    // Keys in the given environment (the sandbox, tests); else the SDK's default chain (the task role).
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
  };
}

/** The error's name and status as the SDK reports them, and the message worth showing. */
function describeFailure(error: unknown): { name: string; status: number | undefined; message: string } {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return { name: e.name ?? 'Error', status: e.$metadata?.httpStatusCode, message: e.message ?? String(error) };
}

/**
 * An SSM parameter (String or SecureString, decrypted with the parameter's own KMS key). SSM has no conditional
 * read, so each poll fetches the parameter; its `Version` says whether it changed.
 */
function ssmConfigSource(name: string, env: Record<string, string | undefined>): ConfigSource {
  const label = `ssm:${name}`;
  const client = new SSMClient(clientSettings(env, 'SSM'));
  return {
    label,
    async read(known) {
      let parameter: { Value?: string | undefined; Version?: number | undefined } | undefined;
      try {
        parameter = (await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter;
      } catch (error) {
        const failure = describeFailure(error);
        const why =
          failure.name === 'ParameterNotFound'
            ? 'no such parameter (create it, or check the region: AWS_REGION)'
            : `${failure.name}: ${failure.message}`;
        throw new ConfigSourceError(label, `cannot read the SSM parameter "${name}" (${why})`, { cause: error });
      }
      if (parameter?.Value === undefined || parameter.Version === undefined) {
        throw new ConfigSourceError(label, `the SSM parameter "${name}" came back without a value`);
      }
      const revision = `version ${parameter.Version}`;
      if (known?.revision === revision) return 'unchanged';
      return { text: parameter.Value, revision };
    },
    close: () => client.destroy(),
  };
}

/** An S3 object, polled with a conditional GET on its ETag: an unchanged object answers 304 with no body. */
function s3ConfigSource(bucket: string, key: string, env: Record<string, string | undefined>): ConfigSource {
  const label = `s3://${bucket}/${key}`;
  // A custom endpoint (a VPC endpoint, the sandbox, MinIO) names a host, not a bucket domain: address by path there.
  const settings = clientSettings(env, 'S3');
  const client = new S3Client({ ...settings, ...(settings.endpoint ? { forcePathStyle: true } : {}) });
  return {
    label,
    async read(known) {
      try {
        const answer = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, ...(known ? { IfNoneMatch: known.revision } : {}) }),
        );
        const text = (await answer.Body?.transformToString('utf-8')) ?? '';
        if (!answer.ETag) throw new ConfigSourceError(label, `the S3 object ${label} came back without an ETag`);
        return { text, revision: answer.ETag };
      } catch (error) {
        if (error instanceof ConfigSourceError) throw error;
        const failure = describeFailure(error);
        if (failure.status === 304) return 'unchanged';
        const why =
          failure.name === 'NoSuchKey'
            ? 'no such key'
            : failure.name === 'NoSuchBucket'
              ? 'no such bucket'
              : `${failure.name}: ${failure.message}`;
        throw new ConfigSourceError(label, `cannot read the S3 object ${label} (${why})`, { cause: error });
      }
    },
    close: () => client.destroy(),
  };
}

/** Builds the source for a location; only the composition root (and the CLI) call it. */
export function createConfigSource(location: ConfigLocation, env: Record<string, string | undefined>): ConfigSource {
  switch (location.kind) {
    case 'file':
      return fileConfigSource(location.path);
    case 'ssm':
      return ssmConfigSource(location.name, env);
    case 's3':
      return s3ConfigSource(location.bucket, location.key, env);
  }
}
