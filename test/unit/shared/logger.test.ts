import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/output/redacting-logger.js';
import { fakeChars } from '../../../src/output/rules/rule-spec.js';

function capture(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { lines, destination };
}

const TOKEN = `${'gh'}p_${fakeChars(36, undefined, 900)}`;
const PASSWORD = `pw-${fakeChars(12, undefined, 901)}`;

describe('createLogger', () => {
  it('redacts secrets in messages, nested objects, error messages, stacks and causes', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ destination });
    const error = new Error(`clone failed for https://x:${TOKEN}@github.com/o/r`, {
      cause: new Error(`DB_PASSWORD=${PASSWORD}`),
    });
    logger.error(
      { err: error, request: { env: [`GITHUB_TOKEN=${TOKEN}`], detail: { dsn: `postgres://app:${PASSWORD}@db/app` } } },
      `token ${TOKEN}`,
    );
    const out = lines.join('');
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(PASSWORD);
    expect(out).toContain('[REDACTED github-token]');
    const line = JSON.parse(out) as { err: { message: string; type: string }; msg: string };
    expect(line.err.type).toBe('Error');
    expect(line.err.message).toContain('clone failed');
    expect(line.msg).toBe('token [REDACTED github-token]');
  });
});
