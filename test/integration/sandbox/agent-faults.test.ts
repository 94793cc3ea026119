import { ResumeSessionCommand } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TASK_IDS, type Sandbox, startSandbox } from '../../../src/sandbox/index.js';
import { clients, runRaw } from './helpers.js';
import type { RawDataChannelClient } from './raw-data-channel-client.js';

let sandbox: Sandbox;
const open: RawDataChannelClient[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});
afterEach(() => {
  for (const client of open.splice(0)) client.close();
  sandbox.faults.agent.clear();
});

/** 12 KiB of numbered lines, so every frame boundary is visible in a diff. */
const LINES_COMMAND = `sh -c 'for i in $(seq 1 300); do echo "line-$i-abcdefghijklmnopqrstuvwxyz"; done'`;
const LINES_OUTPUT = Array.from({ length: 300 }, (_, i) => `line-${i + 1}-abcdefghijklmnopqrstuvwxyz\r\n`).join('');

async function run(command: string, faults: Parameters<Sandbox['faults']['agent']['forNextSession']>[0]) {
  sandbox.faults.agent.forNextSession(faults);
  const result = await runRaw(sandbox, command);
  open.push(result.client);
  return result;
}

const kinds = (client: RawDataChannelClient, kind: string) => client.events.filter((e) => e.kind === kind);

describe('agent fault knobs', () => {
  it('drop: lost frames are resent and the output stays byte-exact', async () => {
    const { client, sessionId } = await run(LINES_COMMAND, { dropOutputEvery: 3 });
    await client.closed();
    expect(client.text).toBe(LINES_OUTPUT);
    expect(sandbox.session(sessionId)?.resentFrames).toBeGreaterThan(0);
    expect(kinds(client, 'out-of-order').length).toBeGreaterThan(0);
  });

  it('duplicate: every 2nd frame arrives twice, the output is not doubled', async () => {
    const { client } = await run(LINES_COMMAND, { duplicateOutputEvery: 2 });
    await client.closed();
    expect(client.text).toBe(LINES_OUTPUT);
    expect(kinds(client, 'duplicate').length).toBeGreaterThan(0);
  });

  it('reorder: frames arrive out of order, the output is in order', async () => {
    const { client } = await run(LINES_COMMAND, { reorderOutputEvery: 2 });
    await client.closed();
    expect(client.text).toBe(LINES_OUTPUT);
    expect(kinds(client, 'out-of-order').length).toBeGreaterThan(0);
  });

  it('ack delay: client input is acked only after the delay', async () => {
    const { client } = await run('sleep 2', { ackDelayMs: 400 });
    const seq = client.sendSize(80, 24);
    const sent = client.sentAt.get(seq) ?? 0;
    const deadline = Date.now() + 3000;
    while (!client.inputAcks.some((a) => a.seq === seq) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const ack = client.inputAcks.find((a) => a.seq === seq);
    expect(ack).toBeDefined();
    expect((ack?.at ?? 0) - sent).toBeGreaterThanOrEqual(380);
  });

  it('lost acks: the client keeps resending, the agent re-acks duplicates and applies the input once', async () => {
    const { client, sessionId } = await run(`sh -c 'sleep 0.8; stty size'`, { dropAckEvery: 1 });
    client.sendSize(90, 20);
    await new Promise((r) => setTimeout(r, 500));
    expect(client.unackedInput).toBe(1);
    await client.closed();
    expect(client.text).toBe('20 90\r\n');
    expect(sandbox.session(sessionId)?.sizes).toEqual([{ cols: 90, rows: 20 }]);
  });

  it('pause_publication: output stops for the pause, then start_publication and the rest arrives', async () => {
    const { client } = await run(LINES_COMMAND, { pausePublicationAfterFrames: 2, pausePublicationMs: 400 });
    await client.closed();
    expect(client.text).toBe(LINES_OUTPUT);
    const controls = client.events.filter((e) => e.kind === 'control');
    expect(controls.map((e) => e.type)).toEqual(['pause_publication', 'start_publication']);
    const [pause, start] = controls;
    // The agent's own timestamps: on a busy machine the client may read the pause late, which shortens the gap it sees.
    expect((start?.sentAt ?? 0) - (pause?.sentAt ?? 0)).toBeGreaterThanOrEqual(400);
    const outputDuringPause = client.events.filter(
      (e) => e.kind === 'output' && e.at > (pause?.at ?? 0) && e.at < (start?.at ?? 0),
    );
    expect(outputDuringPause).toHaveLength(0);
  });

  it('vanished agent: pause_publication with no end, client input answered by pause_publication, no channel_closed', async () => {
    const { client } = await run(LINES_COMMAND, { pausePublicationAfterFrames: 1 });
    await expect.poll(() => kinds(client, 'control').length).toBe(1);
    client.sendSize(80, 24);
    // The input is answered with another pause_publication (it may be resent meanwhile: each gets one), never an ack.
    await expect.poll(() => kinds(client, 'control').length).toBeGreaterThanOrEqual(2);
    expect(client.closedOutput).toBeUndefined();
    expect(client.unackedInput).toBe(1);
  });

  it('abrupt close once mid-output: after ResumeSession the output continues byte-exact', async () => {
    const { client, sessionId } = await run(LINES_COMMAND, { closeSocketAfterFrames: 3 });
    await client.socketClosed();
    expect(client.closedOutput).toBeUndefined();
    const resumed = await clients(sandbox).ssm.send(new ResumeSessionCommand({ SessionId: sessionId }));
    await client.connect(resumed.StreamUrl ?? '', resumed.TokenValue ?? '');
    await client.closed();
    expect(client.text).toBe(LINES_OUTPUT);
    expect(sandbox.session(sessionId)?.connections).toBe(2);
  });

  it('slow agent: frames are spaced by the delay', async () => {
    const started = Date.now();
    const { client } = await run(LINES_COMMAND, { outputDelayMs: 60 });
    await client.closed();
    expect(client.text).toBe(LINES_OUTPUT);
    const frames = client.outputFrames.length;
    expect(frames).toBeGreaterThan(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual((frames - 1) * 60);
  });

  it('agent that never answers: no frame, no ack, no channel_closed', async () => {
    const { client } = await run('echo hi', { neverAnswer: true });
    client.sendSize(80, 24);
    await new Promise((r) => setTimeout(r, 500));
    expect(client.events).toEqual([]);
    expect(client.unackedInput).toBe(1);
  });

  it('pty not ready: early input stays unacked until resent, then is applied', async () => {
    const { client, sessionId } = await run(`sh -c 'sleep 0.9; stty size'`, { notReadyMs: 400 });
    const seq = client.sendSize(100, 40);
    await new Promise((r) => setTimeout(r, 250));
    expect(client.inputAcks.some((a) => a.seq === seq)).toBe(false);
    await client.closed();
    expect(client.text).toBe('40 100\r\n');
    expect(sandbox.session(sessionId)?.sizes).toEqual([{ cols: 100, rows: 40 }]);
  });

  it('task stopping under a session: the agent vanishes, no channel_closed', async () => {
    const task = sandbox.state.addTask({ cluster: 'demo', service: 'web' });
    const result = await runRaw(sandbox, 'sleep 30', { task: task.taskId });
    open.push(result.client);
    await new Promise((r) => setTimeout(r, 200));
    sandbox.state.stopTask(task.taskArn, { reason: 'Scaling activity initiated by deployment' });
    await new Promise((r) => setTimeout(r, 300));
    expect(result.client.closedOutput).toBeUndefined();
    expect(kinds(result.client, 'control').map((e) => e.type)).toContain('pause_publication');
    expect(sandbox.session(result.sessionId)?.status).toBe('vanished');
    expect(DEFAULT_TASK_IDS.web).not.toBe(task.taskId);
  });

  it('garbled start_publication first on connect: a client that skips its validation still gets everything', async () => {
    const { client } = await run(LINES_COMMAND, { garbledStartPublication: true });
    await client.closed();
    expect(client.events[0]).toMatchObject({ kind: 'control', type: 'start_publication' });
    expect(client.text).toBe(LINES_OUTPUT);
  });

  it('faults set on a running session apply to it from then on', async () => {
    const { client, sessionId } = await run(
      `sh -c 'echo first; sleep 0.5; for i in $(seq 1 300); do echo "line-$i-abcdefghijklmnopqrstuvwxyz"; done'`,
      {},
    );
    await client.waitForText('first\r\n');
    sandbox.faults.agent.forSession(sessionId, { duplicateOutputEvery: 2 });
    await client.closed();
    expect(client.text).toBe(`first\r\n${LINES_OUTPUT}`);
    expect(kinds(client, 'duplicate').length).toBeGreaterThan(0);
  });

  it('handshake timeout: a client that never answers the handshake gets the agent’s timeout text', async () => {
    const quick = await startSandbox({ handshakeTimeoutMs: 300 });
    try {
      quick.faults.agent.forNextSession({ alwaysHandshake: true });
      const { client } = await runRaw(quick, 'echo hi', { client: { answerHandshake: false } });
      open.push(client);
      expect(await client.closed()).toMatch(/^Handshake timed out/);
    } finally {
      await quick.close();
    }
  });

  it('idle timeout: a session without client input ends with the inactivity text', async () => {
    const quick = await startSandbox({ idleTimeoutMs: 300 });
    try {
      const { client } = await runRaw(quick, 'sleep 30');
      open.push(client);
      expect(await client.closed()).toBe('Your session timed out due to inactivity and has been terminated.');
    } finally {
      await quick.close();
    }
  });
});
