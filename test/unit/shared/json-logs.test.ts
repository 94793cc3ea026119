import { Writable } from 'node:stream';
import { WebClient } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/output/redacting-logger.js';
import { routeProcessWarningsTo } from '../../../src/shared/process-warnings.js';
import { slackClientOptions } from '../../../src/slack/app.js';

function capture() {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    }),
  });
  return { lines, logger };
}

describe('every log line is JSON', () => {
  it('writes process warnings (such as the AWS SDK notice) as JSON lines instead of Node plain text', async () => {
    const { lines, logger } = capture();
    const restore = routeProcessWarningsTo(logger);
    try {
      process.emitWarning('NodeVersionSupportWarning: upgrade\nover several lines');
      await expect.poll(() => lines.length).toBe(1);
    } finally {
      restore();
    }
    const entry = JSON.parse(lines[0] as string) as { msg: string; warning: { message: string } };
    expect(entry.msg).toBe('process warning');
    expect(entry.warning.message).toContain('over several lines');
  });

  it("gives the Slack Web API client the bot's logger, so its warnings are JSON too", () => {
    const { lines, logger } = capture();
    const client = new WebClient('xoxb-test', slackClientOptions('http://127.0.0.1:9/api/', logger));
    (client as unknown as { logger: { warn(message: string): void } }).logger.warn('rate limited');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.at(-1)).toMatchObject({ source: 'bolt', msg: 'rate limited' });
  });
});
