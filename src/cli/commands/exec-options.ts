import { parseDuration } from '../../shared/duration.js';
import { AWS_OPTIONS } from '../aws-options.js';
import { UsageError } from '../io.js';

/** The flags `exec` takes on one task and on many alike; the fan-out adds its own. */
export const EXEC_OPTIONS = {
  cluster: { type: 'string' },
  service: { type: 'string' },
  task: { type: 'string' },
  container: { type: 'string' },
  timeout: { type: 'string' },
  'no-wrap': { type: 'boolean' },
  interactive: { type: 'boolean', short: 'i' },
  json: { type: 'boolean' },
  ...AWS_OPTIONS,
} as const;

/** `--timeout` in milliseconds, if given. @throws UsageError when it is not a positive duration */
export function timeoutFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const timeoutMs = parseDuration(value);
  if (timeoutMs === undefined || timeoutMs <= 0) {
    throw new UsageError(`--timeout "${value}" is not a duration (write 30s, 5m or 1h)`);
  }
  return timeoutMs;
}
