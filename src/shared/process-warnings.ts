import type { Logger } from './logger.js';

/**
 * Sends Node's process warnings (the AWS SDK's notice about the Node version, deprecations) through the logger.
 * Node prints them as several plain-text lines on stderr, which breaks a log pipeline that reads JSON lines; the
 * bot's contract is that every line it writes is JSON. Returns the function that puts Node's own printing back.
 */
export function routeProcessWarningsTo(logger: Logger): () => void {
  const previous = process.listeners('warning');
  process.removeAllListeners('warning');
  const onWarning = (warning: Error & { code?: string }): void => {
    logger.warn(
      { warning: { name: warning.name, message: warning.message, ...(warning.code ? { code: warning.code } : {}) } },
      'process warning',
    );
  };
  process.on('warning', onWarning);
  return () => {
    process.off('warning', onWarning);
    for (const listener of previous) process.on('warning', listener);
  };
}
