import { describe, expect, it } from 'vitest';
import { createExitMarkerFilter } from '../../../src/ecs/exit-code.js';
import { PayloadType } from '../../../src/ssm/codec/layout.js';
import { type ExecSessionParams, type ExecSessionResult, runExecSession } from '../../../src/ssm/exec-session.js';
import type { SsmControlPort } from '../../../src/ssm/ports.js';
import { FakeTime, flush } from '../../fakes/fake-time.js';
import { FakeAgent, FakeKms } from '../../fixtures/ssm/fake-agent.js';
import { createMemoryTransportPair, type MemoryTransport } from '../../fixtures/ssm/memory-transport.js';

class FakeControl implements SsmControlPort {
  readonly resumed: string[] = [];
  readonly terminated: string[] = [];
  resumeResult: () => Promise<{ streamUrl: string; tokenValue: string }> = async () => ({
    streamUrl: 'wss://resumed.example/v1/data-channel/s',
    tokenValue: `token-${this.resumed.length}`,
  });

  async resumeSession(sessionId: string) {
    this.resumed.push(sessionId);
    return this.resumeResult();
  }

  async terminateSession(sessionId: string) {
    this.terminated.push(sessionId);
  }
}

const MARKER = '__ECSEXEC_aaaaaaaaaaaabbbbbbbbbbbb__';

function setup(overrides: Partial<ExecSessionParams> = {}) {
  const time = new FakeTime();
  const kms = new FakeKms();
  const agent = new FakeAgent(kms);
  const control = new FakeControl();
  const urls: string[] = [];
  const clientEnds: MemoryTransport[] = [];
  const chunks: Buffer[] = [];
  let result: ExecSessionResult | null = null;
  const promise = runExecSession({
    sessionId: 'ecs-execute-command-1',
    streamUrl: 'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/ecs-execute-command-1?role=publish_subscribe',
    tokenValue: 'token-0',
    targetId: 'ecs:prod_t1_r1',
    control,
    kms,
    onOutput: (chunk) => chunks.push(Buffer.from(chunk)),
    outputFilter: createExitMarkerFilter(MARKER),
    clock: time,
    timers: time,
    connect: async (url) => {
      urls.push(url);
      const [clientEnd, agentEnd] = createMemoryTransportPair();
      clientEnds.push(clientEnd);
      agent.attach(agentEnd);
      return clientEnd;
    },
    ...overrides,
  }).then((r) => {
    result = r;
    return r;
  });
  return {
    time,
    kms,
    agent,
    control,
    urls,
    clientEnds,
    promise,
    result: () => result,
    output: () => Buffer.concat(chunks).toString('utf8'),
  };
}

describe('runExecSession', () => {
  it('completes with the exit code and the output minus the marker line', async () => {
    const { agent, promise, output } = setup();
    await flush();
    agent.sendOutput('hello\r\n');
    agent.sendOutput(`\r\n${MARKER.slice(0, 10)}`);
    agent.sendOutput(`${MARKER.slice(10)}:3\r\n`);
    agent.sendChannelClosed('');
    expect(await promise).toEqual({ outcome: 'completed', exitCode: 3, reason: null, outputBytes: 7 });
    expect(output()).toBe('hello\r\n');
  });

  it('completes with an unknown exit code when the command ran unwrapped', async () => {
    const { agent, promise, output } = setup({ outputFilter: null });
    await flush();
    agent.sendOutput('plain\r\n');
    agent.sendChannelClosed();
    expect(await promise).toMatchObject({ outcome: 'completed', exitCode: null, reason: null });
    expect(output()).toBe('plain\r\n');
  });

  it('never reports completed when channel_closed comes while a frame is missing: interrupted, output incomplete', async () => {
    const { agent, promise, output } = setup({ outputFilter: null });
    await flush();
    agent.sendOutput('first\r\n');
    agent.outputFrame('lost\r\n');
    agent.sendOutput('third\r\n');
    agent.sendChannelClosed('');
    const result = await promise;
    expect(result).toMatchObject({ outcome: 'interrupted', exitCode: null, outputBytes: 7 });
    expect(result.reason).toMatch(/output is incomplete/);
    expect(result.reason).toContain('1 of the last 2 output frames never arrived');
    expect(output()).toBe('first\r\n');
  });

  it('is interrupted, not completed, when the gap is before a received exit marker', async () => {
    const { agent, promise } = setup();
    await flush();
    agent.outputFrame('lost\r\n');
    agent.sendOutput(`\r\n${MARKER}:0\r\n`);
    agent.sendChannelClosed('');
    const result = await promise;
    expect(result.outcome).toBe('interrupted');
    expect(result.reason).toMatch(/output is incomplete/);
  });

  it('names the agent’s reason too when channel_closed carries one and output is missing', async () => {
    const { agent, promise } = setup({ outputFilter: null });
    await flush();
    agent.outputFrame('lost');
    agent.sendOutput('later');
    agent.sendChannelClosed('Your session timed out due to inactivity and has been terminated.');
    const result = await promise;
    expect(result.outcome).toBe('interrupted');
    expect(result.reason).toContain('(Your session timed out due to inactivity and has been terminated.)');
    expect(result.reason).toMatch(/output is incomplete/);
  });

  it('fails with channel_closed Output as the reason when the agent could not run the command', async () => {
    const { agent, promise, control } = setup();
    await flush();
    agent.sendChannelClosed('Plugin with name InteractiveCommands not found. Step name: InteractiveCommands');
    expect(await promise).toMatchObject({
      outcome: 'failed',
      exitCode: null,
      reason: 'Plugin with name InteractiveCommands not found. Step name: InteractiveCommands',
    });
    expect(control.terminated).toEqual([]);
  });

  it('runs a KMS-encrypted session end to end', async () => {
    const { agent, kms, promise, output } = setup();
    await flush();
    agent.sendHandshakeRequest({ kmsKeyId: 'arn:aws:kms:eu-west-1:1:key/k' });
    await flush();
    agent.acceptHandshakeResponse();
    agent.sendChallenge();
    await flush();
    agent.sendHandshakeComplete('This session is encrypted using AWS KMS.');
    agent.sendOutput(`secret\r\n\r\n${MARKER}:0\r\n`);
    agent.sendChannelClosed();
    expect(await promise).toMatchObject({ outcome: 'completed', exitCode: 0 });
    expect(output()).toBe('secret\r\n');
    expect(kms.calls[0]?.encryptionContext).toEqual({
      'aws:ssm:SessionId': 'ecs-execute-command-1',
      'aws:ssm:TargetId': 'ecs:prod_t1_r1',
    });
  });

  it('reconnects after a dropped socket with ResumeSession and loses or doubles nothing', async () => {
    const { agent, control, clientEnds, urls, promise, output, time } = setup();
    await flush();
    agent.sendOutput('one ');
    await flush();
    clientEnds[0]?.drop();
    // Sent while the socket is down: lost in flight, so the agent must resend it.
    const lost = agent.outputFrame('two ');
    await time.advance(1000);
    expect(control.resumed).toEqual(['ecs-execute-command-1']);
    expect(urls[1]).toBe('wss://resumed.example/v1/data-channel/s');
    expect(agent.opens.map((o) => o.tokenValue)).toEqual(['token-0', 'token-1']);
    agent.sendOutput('one ', { seq: 0 }); // the agent resends what it never saw acked
    agent.sendFrame(lost);
    agent.sendOutput(`three\r\n${MARKER}:0\r\n`);
    agent.sendChannelClosed();
    expect(await promise).toMatchObject({ outcome: 'completed', exitCode: 0 });
    expect(output()).toBe('one two three');
  });

  it('ends interrupted with the bytes so far when the session cannot be resumed', async () => {
    const { agent, control, clientEnds, promise, time } = setup();
    control.resumeResult = async () => {
      throw new Error('AccessDeniedException: not authorized to perform ssm:ResumeSession');
    };
    await flush();
    agent.sendOutput('partial');
    await flush();
    clientEnds[0]?.drop();
    await time.advance(20_000);
    const result = await promise;
    expect(result).toMatchObject({ outcome: 'interrupted', exitCode: null, outputBytes: 7 });
    expect(result.reason).toContain('could not be resumed');
    expect(result.reason).toContain('not authorized');
    expect(control.resumed).toHaveLength(5);
    expect(control.terminated).toEqual(['ecs-execute-command-1']);
  });

  it('ends interrupted when ResumeSession says the session is gone (no token)', async () => {
    const { control, clientEnds, promise, time } = setup();
    control.resumeResult = async () => ({ streamUrl: '', tokenValue: '' });
    await flush();
    clientEnds[0]?.drop();
    await time.advance(1000);
    expect(await promise).toMatchObject({ outcome: 'interrupted' });
    expect(control.resumed).toHaveLength(1);
  });

  it('ends interrupted instead of hanging when the agent vanishes (only pause_publication)', async () => {
    const { agent, control, promise, time } = setup({ pauseTimeoutMs: 30_000 });
    await flush();
    agent.sendOutput('working...');
    await flush();
    for (let i = 0; i < 40; i += 1) {
      agent.sendControl('pause_publication');
      await time.advance(1000);
    }
    const result = await promise;
    expect(result.outcome).toBe('interrupted');
    expect(result.reason).toContain('inactive for 30 s');
    expect(result.outputBytes).toBe(10);
    expect(control.terminated).toEqual(['ecs-execute-command-1']);
  });

  it('ends interrupted when unacked input meets silence', async () => {
    const { agent, promise, time } = setup({ silenceTimeoutMs: 10_000 });
    await flush();
    agent.autoAck = false;
    agent.sendOutput('x');
    await time.advance(11_000);
    const result = await promise;
    expect(result.outcome).toBe('interrupted');
    expect(result.reason).toContain('nothing has been acknowledged for 10 s');
  });

  it('fails when the agent never sends anything', async () => {
    const { promise, time, agent } = setup({ firstMessageTimeoutMs: 5_000 });
    agent.autoAck = false;
    await time.advance(6_000);
    expect(await promise).toMatchObject({
      outcome: 'failed',
      reason: "The container's agent did not answer within 5 s.",
    });
  });

  it('cancels with Ctrl-C first and ends without TerminateSession when the command stops', async () => {
    const controller = new AbortController();
    const { agent, control, promise } = setup({ signal: controller.signal });
    await flush();
    agent.sendOutput('running\r\n');
    await flush();
    controller.abort();
    await flush();
    expect(agent.keystrokes).toEqual([0x03]);
    agent.sendOutput('^C');
    agent.sendChannelClosed();
    expect(await promise).toMatchObject({ outcome: 'cancelled', reason: 'The run was cancelled.' });
    expect(control.terminated).toEqual([]);
  });

  it('times out: Ctrl-C, then TerminateSession when the command ignores it', async () => {
    const { agent, control, promise, time } = setup({ timeoutMs: 10_000, cancelGraceMs: 2_000 });
    await flush();
    agent.sendOutput('stubborn');
    await time.advance(10_000);
    expect(agent.keystrokes).toEqual([0x03]);
    expect(control.terminated).toEqual([]);
    await time.advance(2_000);
    expect(control.terminated).toEqual(['ecs-execute-command-1']);
    agent.sendChannelClosed();
    const result = await promise;
    expect(result).toMatchObject({ outcome: 'timed_out', outputBytes: 8 });
    expect(result.reason).toBe('The command ran longer than 10 s and was stopped.');
    expect(agent.inputs.filter((m) => m.payloadType === PayloadType.Output)).toHaveLength(1);
  });

  it('ends even if channel_closed never follows TerminateSession', async () => {
    const { agent, promise, time } = setup({ timeoutMs: 1_000 });
    await flush();
    agent.sendOutput('x');
    await time.advance(10_000);
    expect(await promise).toMatchObject({ outcome: 'timed_out' });
  });

  it('ends even when TerminateSession never answers', async () => {
    const { agent, control, promise, time } = setup({ timeoutMs: 1_000, cancelGraceMs: 500, terminateGraceMs: 1_000 });
    control.terminateSession = () => new Promise<void>(() => {});
    await flush();
    agent.sendOutput('x');
    await time.advance(5_000);
    expect(await promise).toMatchObject({ outcome: 'timed_out', outputBytes: 1 });
  });

  it('is cancelled straight away by an already-aborted signal, and terminates the session', async () => {
    const { control, promise, urls } = setup({ signal: AbortSignal.abort() });
    expect(await promise).toMatchObject({ outcome: 'cancelled' });
    expect(urls).toEqual([]);
    expect(control.terminated).toEqual(['ecs-execute-command-1']);
  });

  it('refuses a plain ws:// stream URL to a non-loopback host', async () => {
    const { promise } = setup({ connect: undefined, streamUrl: 'ws://ssmmessages.example.com/v1/data-channel/x' });
    const result = await promise;
    expect(result.outcome).toBe('failed');
    expect(result.reason).toContain('wss://');
  });
});
