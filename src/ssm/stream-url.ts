import { isIPv4 } from 'node:net';
import { SsmError } from './errors.js';

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]' || host === '::1') return true;
  return isIPv4(host) && host.startsWith('127.');
}

/**
 * Checks a stream URL before connecting: `wss://` anywhere, `ws://` only to loopback (127.0.0.0/8, ::1, localhost),
 * which is what the sandbox and tests use. A plain-text socket elsewhere would carry the session token in clear.
 * @throws SsmError `ssm.transport.insecure_url` or `ssm.transport.bad_url`.
 */
export function assertStreamUrlAllowed(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SsmError('ssm.transport.bad_url', 'stream URL is not a URL', {
      userMessage: 'ECS returned a session stream URL that is not a valid URL.',
    });
  }
  if (parsed.protocol === 'wss:') return parsed;
  if (parsed.protocol === 'ws:' && isLoopbackHost(parsed.hostname)) return parsed;
  throw new SsmError(
    'ssm.transport.insecure_url',
    `refusing stream URL scheme ${parsed.protocol} to ${parsed.hostname}`,
    {
      userMessage: 'The session stream URL is not a secure wss:// URL; refusing to connect.',
    },
  );
}
