import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/io.js';
import { runCli } from '../../../src/cli/main.js';

interface Capture {
  io: CliIo;
  stdout(): string;
  stderr(): string;
  stop(): void;
}

function capture(env: Record<string, string | undefined>): Capture {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (chunk) => out.push(String(chunk)));
  stderr.on('data', (chunk) => err.push(String(chunk)));
  const controller = new AbortController();
  return {
    io: { stdout, stderr, env, signal: controller.signal },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    stop: () => controller.abort(),
  };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const running: Array<{ cli: Capture; exit: Promise<number> }> = [];
let blocker: Server | undefined;

afterEach(async () => {
  for (const { cli, exit } of running.splice(0)) {
    cli.stop();
    await exit;
  }
  blocker?.close();
  blocker = undefined;
});

function serve(args: string[], env: Record<string, string | undefined>): { cli: Capture; exit: Promise<number> } {
  const cli = capture(env);
  const started = { cli, exit: runCli(['serve', ...args], cli.io) };
  running.push(started);
  return started;
}

const bannerUrl = (text: string): string | undefined =>
  /ecs-exec playground: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text)?.[1];

describe('ecs-exec serve without Slack settings', () => {
  it('starts the playground on 127.0.0.1 and prints one banner with its URL', async () => {
    const { cli } = serve([], { PORT: '0', PATH: process.env['PATH'] });
    const url = await waitFor(() => bannerUrl(cli.stdout()));
    expect(cli.stdout().match(/ecs-exec playground:/g)).toHaveLength(1);
    expect(cli.stdout()).toContain('ecs-exec.playground.yml');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/app.js"></script>');
    // Nothing but the page's own files may run in it.
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const state = (await (await fetch(new URL('/api/state', url))).json()) as {
      people: Array<{ role: string }>;
      channel: { id: string };
    };
    expect(state.people.map((person) => person.role)).toEqual(['requester', 'approver', 'outsider']);
    const script = await fetch(new URL('/render-blocks.js', url));
    expect(script.headers.get('content-type')).toContain('javascript');
    const rendererSource = await script.text();
    expect(rendererSource).toContain('export function escapeHtml');
    // Every module the renderer imports is served beside it, so the page's import of it resolves.
    for (const [, imported] of rendererSource.matchAll(/from '\.\/([a-z-]+\.js)'/g)) {
      const module = await fetch(new URL(`/${imported}`, url));
      expect(module.status, imported).toBe(200);
      expect(await module.text()).toContain('export function');
    }
    expect(rendererSource).toContain("from './emoji.js'");
    // The bot's probes and metrics answer at the page's address, as they would on a deployed bot.
    const ready = await fetch(new URL('/readyz', url));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, checks: { slack: 'ok' } });
    const metrics = await fetch(new URL('/metrics', url));
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('# TYPE ecs_exec_audit_entries_total counter');
  });

  it('says which flag picks another port when the port is taken', async () => {
    blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    const { cli, exit } = serve([], { PORT: String(port) });
    expect(await exit).toBe(255);
    expect(cli.stderr()).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    expect(cli.stderr()).toMatch(/PORT=\d+ npm start/);
    expect(cli.stderr()).toMatch(/--port \d+/);
    expect(cli.stdout()).not.toContain('ecs-exec playground:');
  });

  it('refuses a port that is not a number, naming the flag', async () => {
    const { cli, exit } = serve(['--port', 'http'], {});
    expect(await exit).toBe(2);
    expect(cli.stderr()).toContain('--port must be a port number');
  });

  it('never starts the playground when Slack settings are present, unless forced', async () => {
    const half = serve([], { SLACK_BOT_TOKEN: 'xoxb-1', ECS_EXEC_CONFIG: '/nonexistent/ecs-exec.yml' });
    expect(await half.exit).toBe(255);
    expect(half.cli.stderr()).toContain('SLACK_SIGNING_SECRET');
    expect(half.cli.stdout()).not.toContain('ecs-exec playground:');

    const forced = serve(['--playground', '--port', '0'], { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' });
    const url = await waitFor(() => bannerUrl(forced.cli.stdout()));
    expect((await fetch(url)).status).toBe(200);
  });

  it('fails loudly in a production image without Slack settings instead of serving the playground', async () => {
    const { cli, exit } = serve([], { NODE_ENV: 'production', ECS_EXEC_CONFIG: '/nonexistent/ecs-exec.yml' });
    expect(await exit).toBe(255);
    expect(cli.stderr()).toContain('SLACK_BOT_TOKEN');
    expect(cli.stdout()).not.toContain('ecs-exec playground:');
  });

  it('reports every problem of a policy file given to try, and starts nothing', async () => {
    const { cli, exit } = serve(['--port', '0'], { ECS_EXEC_CONFIG: '/nonexistent/policy.yml' });
    expect(await exit).toBe(255);
    expect(cli.stderr()).toContain('/nonexistent/policy.yml');
    expect(cli.stdout()).not.toContain('ecs-exec playground:');
  });
});
