import { existsSync } from 'node:fs';

/** The default config file of the CLI, relative to the working directory. */
const DEFAULT_CONFIG_FILE = './ecs-exec.yml';

/** Which config file the CLI reads: the one given, else `ECS_EXEC_CONFIG`, else `./ecs-exec.yml`. */
export function configFilePath(env: Record<string, string | undefined>, given?: string): string {
  return given ?? env['ECS_EXEC_CONFIG'] ?? DEFAULT_CONFIG_FILE;
}

/**
 * Whether a config file applies at all: one named by `ECS_EXEC_CONFIG` always does (a missing file is then an
 * error, not a silent fallback), the default one only when it exists.
 */
export function configFileApplies(env: Record<string, string | undefined>): boolean {
  return env['ECS_EXEC_CONFIG'] !== undefined || existsSync(DEFAULT_CONFIG_FILE);
}
