import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('ecs-exec serve as a process', () => {
  it('exits 255 with every missing setting named when the Slack settings are incomplete', async () => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/run.ts', 'serve'],
        { env: { PATH: process.env['PATH'], SLACK_BOT_TOKEN: 'xoxb-1-2-incomplete' }, timeout: 60_000 },
        (_error, _stdout, stderrText) => resolve({ code: child.exitCode, stderr: String(stderrText) }),
      );
    });
    expect(code).toBe(255);
    expect(stderr).toContain('SLACK_SIGNING_SECRET');
    expect(stderr).not.toContain('xoxb-1-2-incomplete');
  }, 90_000);
});
