import { ConfigSourceError, fileConfigSource, parseConfigLocation } from '../config/config-source.js';
import { ConfigError } from '../config/errors.js';
import { loadConfigFile } from '../config/load-config.js';
import type { PolicyConfig } from '../config/schema.js';

/**
 * Reads and validates the config wherever it lives: a file, `ssm:/parameter` or `s3://bucket/key`, as
 * `ECS_EXEC_CONFIG` names it for the bot, so a command run beside a deployed bot reads the config the bot reads.
 * Remote sources use the AWS credentials and region of `env`.
 * @throws ConfigSourceError when it cannot be read (a malformed location included); ConfigError when it is invalid
 */
export async function readConfigAt(
  where: string,
  env: Record<string, string | undefined>,
  /** The region of config clusters that name none (default: AWS_REGION). */
  defaultRegion: string | undefined = env['AWS_REGION'],
): Promise<PolicyConfig> {
  const location = parseConfigLocation(where);
  if ('error' in location) throw new ConfigSourceError(where, location.error);
  // The AWS clients load only for a remote source: checking a local file stays quick and needs no credentials.
  const source =
    location.kind === 'file'
      ? fileConfigSource(location.path)
      : (await import('../config/aws-config-sources.js')).createConfigSource(location, env);
  let text: string;
  try {
    const snapshot = await source.read();
    if (snapshot === 'unchanged') throw new ConfigSourceError(where, 'the source answered "unchanged" to a first read');
    text = snapshot.text;
  } finally {
    source.close();
  }
  return loadConfigFile(text, where, defaultRegion ? { defaultRegion } : {});
}

/** The same, with a source that cannot be read told as a config problem, for commands that list problems. */
export async function readConfigOrIssues(
  where: string,
  env: Record<string, string | undefined>,
): Promise<PolicyConfig | ConfigError> {
  try {
    return await readConfigAt(where, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    if (error instanceof ConfigSourceError) return new ConfigError([{ path: '', message: error.message, file: where }]);
    throw error;
  }
}
