import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';

/** Where the config file lives, as `ECS_EXEC_CONFIG` names it. */
export type ConfigLocation =
  | { kind: 'file'; path: string }
  | { kind: 'ssm'; name: string }
  | { kind: 's3'; bucket: string; key: string };

/** One read of a config source: its text and the source's own version of it. */
export interface ConfigSnapshot {
  text: string;
  /**
   * The source's own version when it has one: the SSM parameter's `Version`, the S3 object's `ETag`, a file's content
   * hash. Compared between polls, and shown next to the policy version so people can find the version they edited.
   */
  revision: string;
}

/**
 * A place the config can be read from, again and again. `read` is given the revision the bot runs with and answers
 * `unchanged` when the source says nothing changed (a conditional GET, the same SSM version, a file with the same
 * mtime), so an idle poll costs one small call.
 */
export interface ConfigSource {
  /** How people name it (`ECS_EXEC_CONFIG`'s value): issues and log lines say where the problem is. */
  readonly label: string;
  read(known?: ConfigSnapshot): Promise<ConfigSnapshot | 'unchanged'>;
  /** Releases the source's clients. */
  close(): void;
}

/** The source could not be read (not found, access denied, the network): nothing was loaded. */
export class ConfigSourceError extends Error {
  constructor(
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConfigSourceError';
  }
}

const SSM_NAME = /^\/[A-Za-z0-9_.\-/]{1,2047}$/;
// S3 bucket naming rules (general purpose buckets): 3-63 characters, lower case, digits, dots and hyphens.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Reads `ECS_EXEC_CONFIG`: `ssm:/path/to/parameter`, `s3://bucket/key`, or a file path (anything else). A value that
 * looks like one of the remote forms but is not well formed is an error, never silently a file of that name.
 * @returns the location, or a message saying what is wrong with the value.
 */
export function parseConfigLocation(value: string): ConfigLocation | { error: string } {
  if (/^ssm:/i.test(value)) {
    const name = value.slice(4);
    if (!name.startsWith('/')) {
      return { error: `"${value}": an SSM parameter is named by its full path, as in ssm:/ecs-exec/config` };
    }
    if (!SSM_NAME.test(name) || name.includes('//') || name.endsWith('/')) {
      return {
        error: `"${value}": "${name}" is not an SSM parameter name (letters, digits, _ . - and / between path parts)`,
      };
    }
    return { kind: 'ssm', name };
  }
  if (/^s3:/i.test(value)) {
    const match = /^s3:\/\/([^/]*)\/(.*)$/i.exec(value);
    if (!match) return { error: `"${value}": an S3 object is named as s3://bucket/key` };
    const [, bucket = '', key = ''] = match;
    if (!BUCKET.test(bucket) || bucket.includes('..')) {
      return { error: `"${value}": "${bucket}" is not an S3 bucket name (3-63 lower-case letters, digits, . and -)` };
    }
    if (key === '' || key.endsWith('/')) return { error: `"${value}": the object key is missing after the bucket` };
    return { kind: 's3', bucket, key };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    return { error: `"${value}": ECS_EXEC_CONFIG is a file path, ssm:/parameter/name or s3://bucket/key` };
  }
  return { kind: 'file', path: value };
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * A config file on disk. Its revision is its content hash: an editor that rewrites the file with the same bytes, or
 * a ConfigMap volume that swaps a symlink, changes nothing. mtime and size only spare the read when both are equal.
 */
export function fileConfigSource(path: string): ConfigSource {
  let seen: { mtimeMs: number; size: number; revision: string } | undefined;
  return {
    label: path,
    async read(known) {
      let text: string;
      let info: { mtimeMs: number; size: number };
      try {
        info = await stat(path);
        if (known && seen && seen.revision === known.revision && seen.mtimeMs === info.mtimeMs) {
          if (seen.size === info.size) return 'unchanged';
        }
        text = await readFile(path, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const why =
          code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
        throw new ConfigSourceError(path, `cannot read the config file "${path}" (${why})`, { cause: error });
      }
      const revision = `sha256:${sha256(text).slice(0, 12)}`;
      seen = { mtimeMs: info.mtimeMs, size: info.size, revision };
      if (known && known.revision === revision) return 'unchanged';
      return { text, revision };
    },
    close() {},
  };
}
