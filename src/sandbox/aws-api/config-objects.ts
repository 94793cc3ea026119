import { createHash } from 'node:crypto';

/** One stored SSM parameter version. */
export interface StoredParameter {
  name: string;
  type: 'String' | 'SecureString';
  value: string;
  version: number;
  /** The KMS key of a SecureString: `alias/aws/ssm` (AWS managed) unless one is named. */
  keyId?: string;
  lastModifiedMs: number;
}

/** One stored S3 object. */
export interface StoredObject {
  bucket: string;
  key: string;
  body: Buffer;
  /** Quoted MD5 of the body, as S3 gives for objects uploaded in one part. */
  etag: string;
  lastModifiedMs: number;
}

/**
 * The SSM parameters and S3 objects the sandbox serves (the bot's config, in tests and the playground). Tests change
 * them at run time to see a running bot pick up a new version.
 */
export class SandboxConfigObjects {
  private readonly parameters = new Map<string, StoredParameter[]>();
  private readonly objects = new Map<string, StoredObject>();
  private readonly buckets = new Set<string>();

  /** Stores a new version of a parameter (like `PutParameter --overwrite`) and returns its version number. */
  putParameter(
    name: string,
    value: string,
    options: { type?: 'String' | 'SecureString'; keyId?: string } = {},
  ): number {
    const versions = this.parameters.get(name) ?? [];
    const type = options.type ?? versions.at(-1)?.type ?? 'String';
    const parameter: StoredParameter = {
      name,
      type,
      value,
      version: versions.length + 1,
      ...(type === 'SecureString' ? { keyId: options.keyId ?? versions.at(-1)?.keyId ?? 'alias/aws/ssm' } : {}),
      lastModifiedMs: Date.now(),
    };
    versions.push(parameter);
    this.parameters.set(name, versions);
    return parameter.version;
  }

  /** The newest version, or the one asked for; undefined when there is none. */
  parameter(name: string, version?: number): StoredParameter | undefined {
    const versions = this.parameters.get(name);
    if (!versions) return undefined;
    return version === undefined ? versions.at(-1) : versions[version - 1];
  }

  createBucket(bucket: string): void {
    this.buckets.add(bucket);
  }

  hasBucket(bucket: string): boolean {
    return this.buckets.has(bucket);
  }

  /** Stores an object (creating its bucket) and returns its ETag. */
  putObject(bucket: string, key: string, body: string | Buffer): string {
    this.buckets.add(bucket);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const etag = `"${createHash('md5').update(bytes).digest('hex')}"`;
    this.objects.set(`${bucket}/${key}`, { bucket, key, body: bytes, etag, lastModifiedMs: Date.now() });
    return etag;
  }

  object(bucket: string, key: string): StoredObject | undefined {
    return this.objects.get(`${bucket}/${key}`);
  }
}
