import { ResumeSessionCommand, TerminateSessionCommand } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_TASK_IDS, type Sandbox, startSandbox } from '../../../src/sandbox/index.js';
import { clients, runRaw } from './helpers.js';
import type { RawDataChannelClient } from './raw-data-channel-client.js';

let sandbox: Sandbox;
const open: RawDataChannelClient[] = [];

beforeAll(async () => {
  process.env['SANDBOX_HOST_SECRET'] = 'do-not-leak-7f3a';
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
  delete process.env['SANDBOX_HOST_SECRET'];
});
afterEach(() => {
  for (const client of open.splice(0)) client.close();
  sandbox.faults.agent.clear();
});

async function run(command: string, options: Parameters<typeof runRaw>[2] = {}) {
  const result = await runRaw(sandbox, command, options);
  open.push(result.client);
  return result;
}

describe('plain session', () => {
  it('prints exactly what the command printed, with a pty’s CRLF, then channel_closed with empty Output', async () => {
    const { client, sessionId } = await run(`printf 'héllo\\nworld\\n'`);
    expect(await client.closed()).toBe('');
    expect(client.text).toBe('héllo\r\nworld\r\n');
    expect(sandbox.session(sessionId)).toMatchObject({ status: 'closed', exitCode: 0, terminated: false });
  });

  it('splits the command like the agent: quotes kept as one argument, no shell syntax interpreted', async () => {
    const { client } = await run(`printf '%s|' 'a b' "c\\"d" e\\ f $HOME ';' ls`);
    await client.closed();
    expect(client.text).toBe('a b|c"d|e f|$HOME|;|ls|');
  });

  it('reports the exit status of a failing command and ends the session', async () => {
    const { client, sessionId } = await run(`sh -c 'echo bad >&2; exit 3'`);
    await client.closed();
    expect(client.text).toBe('bad\r\n');
    expect(sandbox.session(sessionId)?.exitCode).toBe(3);
  });

  it('runs in an empty temporary directory with a small environment and no host variables', async () => {
    const { client } = await run('sh -c "ls -A; pwd; env"');
    await client.closed();
    const lines = client.text.split('\r\n');
    expect(lines[0]).toMatch(/^\/.*ecs-exec-sandbox-.*\/work$/);
    expect(client.text).toContain('TERM=xterm-256color');
    expect(client.text).not.toContain('do-not-leak-7f3a');
    expect(client.text).not.toContain('SANDBOX_HOST_SECRET');
  });

  it('cuts output into frames of at most 1024 bytes that never split a UTF-8 character', async () => {
    // 1023 ASCII bytes then 3-byte characters: a naive 1024-byte cut would land inside the first euro sign.
    const { client } = await run(`sh -c "printf '%1023s' ''; printf '€%.0s' $(seq 700)"`);
    await client.closed();
    const expected = `${' '.repeat(1023)}${'€'.repeat(700)}`;
    expect(client.text).toBe(expected);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for (const frame of client.outputFrames) {
      expect(frame.length).toBeLessThanOrEqual(1024);
      expect(() => decoder.decode(frame)).not.toThrow();
    }
    expect(client.outputFrames.length).toBeGreaterThan(3);
  });

  it('applies the client’s Size message to the terminal', async () => {
    const { client } = await run(`sh -c 'sleep 0.6; stty size'`);
    client.sendSize(123, 37);
    await client.closed();
    expect(client.text).toBe('37 123\r\n');
  });

  it('forwards keystrokes: typed input reaches the command and is echoed like a terminal', async () => {
    const { client } = await run('cat');
    await new Promise((r) => setTimeout(r, 200));
    client.type('ping\r');
    await client.waitForText('ping\r\nping\r\n');
    client.type('\x04');
    expect(await client.closed()).toBe('');
  });

  it('Ctrl-C (0x03) interrupts the command', async () => {
    const { client, sessionId } = await run('sleep 30');
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    client.type('\x03');
    await client.closed(5000);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(client.text).toBe('^C');
    expect(sandbox.session(sessionId)?.exitCode).toBe(130);
  });

  it('ssm:TerminateSession kills the command and closes the channel', async () => {
    const { client, sessionId } = await run('sleep 30');
    await new Promise((r) => setTimeout(r, 200));
    await clients(sandbox).ssm.send(new TerminateSessionCommand({ SessionId: sessionId }));
    expect(await client.closed(3000)).toBe('');
    expect(sandbox.session(sessionId)).toMatchObject({ terminated: true, status: 'closed' });
  });

  it('refuses a wrong token and a token used twice', async () => {
    const { ecs } = clients(sandbox);
    const { ExecuteCommandCommand } = await import('@aws-sdk/client-ecs');
    const response = await ecs.send(
      new ExecuteCommandCommand({ cluster: 'demo', task: DEFAULT_TASK_IDS.web, command: 'sleep 2', interactive: true }),
    );
    const streamUrl = response.session?.streamUrl ?? '';
    const attempt = async (token: string): Promise<number> => {
      const ws = new WebSocket(streamUrl);
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send(
        JSON.stringify({ MessageSchemaVersion: '1.0', RequestId: 'r'.repeat(36), TokenValue: token, ClientId: 'c' }),
      );
      return await new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    };
    expect(await attempt('not-the-token')).toBe(1008);
    const { RawDataChannelClient } = await import('./raw-data-channel-client.js');
    const first = new RawDataChannelClient();
    open.push(first);
    await first.connect(streamUrl, response.session?.tokenValue ?? '');
    expect(await attempt(response.session?.tokenValue ?? '')).toBe(1008);
  });

  it('an unparseable command ends the session with the reason in channel_closed', async () => {
    const { client } = await run(`echo 'unclosed`);
    expect(await client.closed()).toMatch(/No closing quotation/);
  });
});

describe('synthetic output', () => {
  it('streams N deterministic bytes in 1 KiB frames without a process', async () => {
    const { syntheticOutput, syntheticOutputSha256 } = await import('../../../src/sandbox/index.js');
    sandbox.faults.agent.forNextSession({ syntheticOutputBytes: 1024 * 1024 + 10 });
    const { client } = await run('anything');
    await client.closed();
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(client.bytes).digest('hex')).toBe(syntheticOutputSha256(1024 * 1024 + 10));
    expect(client.outputFrames.every((f) => f.length <= 1024)).toBe(true);
    expect(client.outputFrames[0]?.equals(syntheticOutput(0, 1024))).toBe(true);
  });
});

describe('resume', () => {
  it('continues after ResumeSession on a new socket with no byte lost or doubled', async () => {
    const { client, sessionId } = await run(`sh -c 'for i in $(seq 1 40); do echo line-$i; sleep 0.02; done'`);
    await client.waitForText('line-5\r\n');
    client.drop();
    await new Promise((r) => setTimeout(r, 200));
    const resumed = await clients(sandbox).ssm.send(new ResumeSessionCommand({ SessionId: sessionId }));
    expect(resumed.StreamUrl).toContain(sessionId);
    await client.connect(resumed.StreamUrl ?? '', resumed.TokenValue ?? '');
    await client.closed();
    const expected = Array.from({ length: 40 }, (_, i) => `line-${i + 1}\r\n`).join('');
    expect(client.text).toBe(expected);
    expect(sandbox.session(sessionId)?.connections).toBe(2);
  });
});
