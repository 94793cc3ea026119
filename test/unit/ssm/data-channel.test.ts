import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PayloadType } from '../../../src/ssm/codec/layout.js';
import { decodeHandshakeResponse } from '../../../src/ssm/codec/payloads.js';
import { DataChannel, type DataChannelOptions } from '../../../src/ssm/data-channel.js';
import type { SsmError } from '../../../src/ssm/errors.js';
import { FakeTime, flush } from '../../fakes/fake-time.js';
import { FakeAgent, FakeKms } from '../../fixtures/ssm/fake-agent.js';
import { createMemoryTransportPair } from '../../fixtures/ssm/memory-transport.js';

function setup(overrides: Partial<DataChannelOptions> = {}) {
  const time = new FakeTime();
  const kms = new FakeKms();
  const agent = new FakeAgent(kms);
  const [clientEnd, agentEnd] = createMemoryTransportPair();
  agent.attach(agentEnd);
  const received: number[] = [];
  const closed: string[] = [];
  const fatal: SsmError[] = [];
  const drops: number[] = [];
  let live = 0;
  const channel = new DataChannel({
    sessionId: 'ecs-execute-command-abc',
    targetId: 'ecs:prod_task1_runtime1',
    kms,
    clock: time,
    timers: time,
    events: {
      onOutput: (chunk) => received.push(...chunk),
      onChannelClosed: (output) => closed.push(output),
      onFatal: (error) => fatal.push(error),
      onTransportClosed: (info) => drops.push(info.code),
      onLive: () => {
        live += 1;
      },
    },
    ...overrides,
  });
  channel.attach(clientEnd, 'token-1');
  return {
    time,
    kms,
    agent,
    channel,
    clientEnd,
    closed,
    fatal,
    drops,
    live: () => live,
    output: () => Buffer.from(received).toString('utf8'),
    bytes: () => Buffer.from(received),
  };
}

describe('DataChannel: opening', () => {
  it('sends OpenDataChannel first, with the token and a stable ClientId across reconnects', async () => {
    const { agent, channel } = setup();
    await flush();
    expect(agent.opens).toHaveLength(1);
    expect(agent.opens[0]).toMatchObject({ tokenValue: 'token-1', clientVersion: '1.2.650.0' });
    const [clientEnd2, agentEnd2] = createMemoryTransportPair();
    agent.attach(agentEnd2);
    channel.attach(clientEnd2, 'token-2');
    await flush();
    expect(agent.opens[1]?.tokenValue).toBe('token-2');
    expect(agent.opens[1]?.clientId).toBe(agent.opens[0]?.clientId);
    expect(agent.opens[1]?.requestId).not.toBe(agent.opens[0]?.requestId);
  });

  it('sends nothing but acks before the session is live, then exactly one Size', async () => {
    const { agent, channel, live } = setup({ terminalSize: { cols: 120, rows: 40 } });
    channel.sendInput(new TextEncoder().encode('x'));
    await flush();
    expect(agent.inputs).toHaveLength(0);
    agent.sendOutput('hello\r\n');
    agent.sendOutput('world\r\n');
    await flush();
    expect(live()).toBe(1);
    expect(agent.sizes).toEqual(['{"cols":120,"rows":40}']);
    expect(agent.inputs.map((m) => [m.sequenceNumber, m.payloadType])).toEqual([
      [0, PayloadType.Size],
      [1, PayloadType.Output],
    ]);
    expect(agent.keystrokes).toEqual([0x78]);
  });
});

describe('DataChannel: resize', () => {
  it('sends a resize before the session is live as its first Size, and later ones in order with the keys', async () => {
    const { agent, channel } = setup({ terminalSize: { cols: 80, rows: 24 } });
    channel.resize({ cols: 100, rows: 30 });
    agent.sendOutput('$ ');
    await flush();
    channel.sendInput(new TextEncoder().encode('a'));
    channel.resize({ cols: 132, rows: 43 });
    channel.sendInput(new TextEncoder().encode('b'));
    await flush();
    expect(agent.sizes).toEqual(['{"cols":100,"rows":30}', '{"cols":132,"rows":43}']);
    expect(agent.inputs.map((m) => m.payloadType)).toEqual([
      PayloadType.Size,
      PayloadType.Output,
      PayloadType.Size,
      PayloadType.Output,
    ]);
  });
});

describe('DataChannel: early Size', () => {
  it('sends the Size after a quiet second without a handshake, and only once', async () => {
    const { agent, time } = setup();
    await time.advance(999);
    expect(agent.sizes).toEqual([]);
    await time.advance(1);
    expect(agent.sizes).toEqual(['{"cols":200,"rows":50}']);
    agent.sendOutput('late output');
    await time.advance(1000);
    expect(agent.sizes).toHaveLength(1);
  });

  it('sends no early Size once the agent has started a handshake', async () => {
    const { agent, time } = setup();
    agent.sendHandshakeRequest();
    await time.advance(5000);
    expect(agent.sizes).toEqual([]);
    expect(agent.inputs.map((m) => m.payloadType)).toEqual([PayloadType.HandshakeResponse]);
  });
});

describe('DataChannel: receiving', () => {
  it('delivers in order and acks every frame by its sequence number', async () => {
    const { agent, output } = setup();
    for (const word of ['a', 'b', 'c']) agent.sendOutput(word);
    await flush();
    expect(output()).toBe('abc');
    expect(agent.acks).toEqual([0, 1, 2]);
  });

  it('reorders frames that arrive out of order, acking each on arrival', async () => {
    const { agent, output } = setup();
    const frames = ['one ', 'two ', 'three ', 'four'].map((word) => agent.outputFrame(word));
    for (const index of [2, 0, 3, 1]) agent.sendFrame(frames[index] as Uint8Array);
    await flush();
    expect(output()).toBe('one two three four');
    expect([...agent.acks].sort()).toEqual([0, 1, 2, 3]);
  });

  it('re-acks and drops duplicates', async () => {
    const { agent, output } = setup();
    const first = agent.sendOutput('once ');
    agent.sendOutput('only');
    agent.sendFrame(first);
    agent.sendFrame(first);
    await flush();
    expect(output()).toBe('once only');
    expect(agent.acks).toEqual([0, 1, 0, 0]);
  });

  it('bounds the reorder buffer: beyond it frames are dropped unacked and recovered by resend', async () => {
    const { agent, output } = setup({ maxOutOfOrder: 2 });
    const frames = ['0', '1', '2', '3'].map((word) => agent.outputFrame(word));
    agent.sendFrame(frames[1] as Uint8Array);
    agent.sendFrame(frames[2] as Uint8Array);
    agent.sendFrame(frames[3] as Uint8Array);
    await flush();
    expect(agent.acks).toEqual([1, 2]);
    agent.sendFrame(frames[0] as Uint8Array);
    await flush();
    expect(output()).toBe('012');
    agent.sendFrame(frames[3] as Uint8Array);
    await flush();
    expect(output()).toBe('0123');
  });

  it('holds and acks thousands of frames past a gap by default, so only the lost frame needs a resend', async () => {
    const { agent, output } = setup();
    const frames = Array.from({ length: 3001 }, (_, i) => agent.outputFrame(`${i},`));
    for (const frame of frames.slice(1)) agent.sendFrame(frame);
    await flush();
    // Every buffered frame is acked at once: the agent removes each from its resend list and resends only frame 0.
    expect(agent.acks).toHaveLength(3000);
    expect(output()).toBe('');
    agent.sendFrame(frames[0] as Uint8Array);
    await flush();
    expect(output()).toBe(Array.from({ length: 3001 }, (_, i) => `${i},`).join(''));
  });

  it('reports the gap while a frame is missing, including frames it had to drop, and none once it is filled', async () => {
    const { agent, channel } = setup({ maxOutOfOrder: 2 });
    const frames = ['0', '1', '2', '3', '4'].map((word) => agent.outputFrame(word));
    agent.sendFrame(frames[0] as Uint8Array);
    await flush();
    expect(channel.outputGap).toBeNull();
    for (const frame of frames.slice(2)) agent.sendFrame(frame);
    await flush();
    // Frames 2 and 3 are held, 4 was dropped for want of room: all of 1..4 is undelivered.
    expect(channel.outputGap).toEqual({ firstMissingSeq: 1, highestSeenSeq: 4, bufferedFrames: 2 });
    agent.sendFrame(frames[1] as Uint8Array);
    await flush();
    // 1-3 delivered; 4 is still known to exist and missing even though nothing is buffered.
    expect(channel.outputGap).toEqual({ firstMissingSeq: 4, highestSeenSeq: 4, bufferedFrames: 0 });
    agent.sendFrame(frames[4] as Uint8Array);
    await flush();
    expect(channel.outputGap).toBeNull();
  });

  it('drops a corrupted frame without an ack and takes the agent’s resend', async () => {
    const { agent, output, channel } = setup();
    const frame = agent.outputFrame('payload');
    const corrupted = Uint8Array.from(frame);
    corrupted[121] = 0x58;
    agent.sendFrame(corrupted);
    await flush();
    expect(agent.acks).toEqual([]);
    expect(channel.decodeErrors).toBe(1);
    agent.sendFrame(frame);
    await flush();
    expect(output()).toBe('payload');
    expect(agent.acks).toEqual([0]);
  });

  it('ends on channel_closed with its Output, without acking it', async () => {
    const { agent, closed, channel } = setup();
    agent.sendOutput('bye');
    agent.sendChannelClosed('Your session timed out due to inactivity and has been terminated.');
    await flush();
    expect(closed).toEqual(['Your session timed out due to inactivity and has been terminated.']);
    expect(agent.acks).toEqual([0]);
    expect(channel.state).toBe('closed');
  });

  it('never acks start/pause_publication', async () => {
    const { agent } = setup();
    agent.sendControl('start_publication');
    agent.sendControl('pause_publication');
    await flush();
    expect(agent.acks).toEqual([]);
  });
});

describe('DataChannel: sending and resending', () => {
  it('resends the oldest unacked message with identical bytes after the RTO, and stops once acked', async () => {
    const { agent, time } = setup();
    agent.autoAck = false;
    agent.sendOutput('go');
    await flush();
    expect(agent.inputs).toHaveLength(1);
    await time.advance(100);
    expect(agent.inputs).toHaveLength(1);
    await time.advance(100);
    expect(agent.inputs).toHaveLength(2);
    const [first, second] = agent.inputs;
    expect(second?.messageId).toBe(first?.messageId);
    expect(second?.createdDate).toBe(first?.createdDate);
    agent.ack(second as NonNullable<typeof second>);
    await time.advance(2000);
    expect(agent.inputs).toHaveLength(2);
    expect(time.pendingTimers).toBe(0);
  });

  it('updates the RTO from ack round trips (Jacobson/Karels)', async () => {
    const { agent, time, channel } = setup();
    agent.autoAck = false;
    agent.sendOutput('go');
    await flush();
    expect(channel.rto).toBe(200);
    await time.advance(50);
    agent.ack(agent.inputs[0] as NonNullable<(typeof agent.inputs)[0]>);
    await flush();
    // RTTVAR = 0.25·|100−50| = 12.5; SRTT = 0.875·100 + 0.125·50 = 93.75; RTO = 93.75 + max(10, 50)
    expect(channel.rto).toBeCloseTo(143.75);
  });

  it('holds input and resends while the agent side is paused, and resumes on start_publication', async () => {
    const { agent, time, channel } = setup();
    agent.sendOutput('live');
    await flush();
    agent.autoAck = false;
    agent.sendControl('pause_publication');
    await flush();
    expect(channel.paused).toBe(true);
    channel.sendInput(new TextEncoder().encode('ls\r'));
    await time.advance(5000);
    expect(agent.inputs.map((m) => m.payloadType)).toEqual([PayloadType.Size]);
    agent.autoAck = true;
    agent.sendControl('start_publication');
    await flush();
    expect(channel.paused).toBe(false);
    await time.advance(1000);
    expect(agent.keystrokes).toEqual([...new TextEncoder().encode('ls\r')]);
  });

  it('continues the same sequence numbers on a new transport and resends unacked input there', async () => {
    const { agent, channel, output, drops, clientEnd, time } = setup();
    agent.sendOutput('before ');
    await flush();
    agent.autoAck = false;
    channel.sendInput(Uint8Array.of(0x03));
    await flush();
    clientEnd.drop();
    await flush();
    expect(drops).toEqual([1006]);
    const [clientEnd2, agentEnd2] = createMemoryTransportPair();
    agent.attach(agentEnd2);
    agent.autoAck = true;
    channel.attach(clientEnd2, 'token-2');
    agent.sendOutput('after');
    await flush();
    await time.advance(100);
    expect(output()).toBe('before after');
    expect(agent.keystrokes).toEqual([0x03]);
    expect(agent.inputs.map((m) => m.sequenceNumber)).toEqual([0, 1, 1]);
  });
});

describe('DataChannel: handshake', () => {
  it('answers a plain handshake (SessionType only) and goes live on HandshakeComplete', async () => {
    const { agent, kms, live } = setup();
    agent.sendHandshakeRequest();
    await flush();
    expect(agent.acks).toEqual([0]);
    const response = agent.acceptHandshakeResponse();
    expect(response).toMatchObject({
      clientVersion: '1.2.650.0',
      actions: [{ actionType: 'SessionType', actionStatus: 1, actionResult: null, error: '' }],
    });
    expect(kms.calls).toHaveLength(0);
    expect(live()).toBe(0);
    expect(agent.sizes).toEqual([]);
    agent.sendHandshakeComplete();
    await flush();
    expect(live()).toBe(1);
    expect(agent.inputs.map((m) => [m.sequenceNumber, m.payloadType])).toEqual([
      [0, PayloadType.HandshakeResponse],
      [1, PayloadType.Size],
    ]);
  });

  it('runs the KMS handshake: 64-byte data key with the session context, challenge round trip, AES-GCM both ways', async () => {
    const { agent, kms, channel, output } = setup();
    agent.sendHandshakeRequest({ kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k1', challenge: 'Y2hhbGxlbmdl' });
    await flush();
    expect(kms.calls).toEqual([
      {
        keyId: 'arn:aws:kms:eu-west-1:111122223333:key/k1',
        numberOfBytes: 64,
        encryptionContext: {
          'aws:ssm:SessionId': 'ecs-execute-command-abc',
          'aws:ssm:TargetId': 'ecs:prod_task1_runtime1',
        },
      },
    ]);
    const response = agent.acceptHandshakeResponse();
    expect(response.actions.map((a) => [a.actionType, a.actionStatus])).toEqual([
      ['SessionType', 1],
      ['KMSEncryption', 1],
    ]);
    const secret = agent.sendChallenge();
    await flush();
    expect(Buffer.from(agent.challengeAnswer() ?? []).toString('hex')).toBe(Buffer.from(secret).toString('hex'));
    agent.sendHandshakeComplete('This session is encrypted using AWS KMS.');
    agent.sendOutput('secret output\r\n');
    await flush();
    expect(channel.encrypted).toBe(true);
    expect(output()).toBe('secret output\r\n');
    channel.sendInput(new TextEncoder().encode('q'));
    await flush();
    const keystroke = agent.inputs.find((m) => m.payloadType === PayloadType.Output);
    expect(keystroke?.payload.length).toBe(1 + 28);
    expect(agent.keystrokes).toEqual([0x71]);
    // Size and handshake replies stay plaintext JSON.
    expect(agent.sizes).toEqual(['{"cols":200,"rows":50}']);
  });

  it('adds the RandomChallenge context and acknowledges it when configured', async () => {
    const { agent, kms } = setup({ kmsChallengeContext: true });
    agent.sendHandshakeRequest({ kmsKeyId: 'k1', challenge: 'Y2hhbGxlbmdl' });
    await flush();
    expect(kms.calls[0]?.encryptionContext['aws:ssm:RandomChallenge']).toBe('Y2hhbGxlbmdl');
    const action = agent.acceptHandshakeResponse().actions[1];
    expect(action?.actionResult).toMatchObject({ ChallengeAcknowledgement: true });
  });

  it('holds frames that arrive while the KMS call is in flight and processes them after it', async () => {
    const { agent, kms, output } = setup();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const generate = kms.generateDataKey.bind(kms);
    kms.generateDataKey = async (input) => {
      await gate;
      return generate(input);
    };
    agent.sendHandshakeRequest({ kmsKeyId: 'k1' });
    await flush();
    // A plaintext agent would never do this, but ordering must hold even so.
    agent.sendOutput('x', { payloadType: 99 });
    await flush();
    expect(agent.acks).toEqual([0, 1]);
    release();
    await flush();
    agent.acceptHandshakeResponse();
    agent.sendChallenge();
    agent.sendHandshakeComplete();
    agent.sendOutput('done');
    await flush();
    expect(output()).toBe('done');
  });

  it('fails with the KMS error and reports the failed action to the agent', async () => {
    const { agent, kms, fatal } = setup();
    kms.failWith = Object.assign(new Error('User is not authorized to perform kms:GenerateDataKey'), {
      name: 'AccessDeniedException',
    });
    agent.sendHandshakeRequest({ kmsKeyId: 'k1' });
    await flush();
    expect(fatal.map((e) => e.code)).toEqual(['ssm.kms.generate_data_key']);
    expect(fatal[0]?.userMessage).toContain('not authorized');
    const response = agent.inputs.find((m) => m.payloadType === PayloadType.HandshakeResponse);
    expect(response && decodeHandshakeResponse(response.payload).actions[1]?.actionStatus).toBe(2);
  });

  it('refuses a session type it cannot run', async () => {
    const { agent, fatal } = setup();
    agent.sendHandshakeRequest({ sessionType: 'Port' });
    await flush();
    expect(fatal.map((e) => e.code)).toEqual(['ssm.handshake.session_type']);
    expect(agent.acceptHandshakeResponse().actions[0]?.actionStatus).toBe(3);
  });

  it('fails when encrypted output does not authenticate', async () => {
    const { agent, fatal, output } = setup();
    agent.sendHandshakeRequest({ kmsKeyId: 'k1' });
    await flush();
    agent.acceptHandshakeResponse();
    agent.sendHandshakeComplete();
    agent.cipher = null; // the next frame goes out unencrypted: garbage to a client that expects AES-GCM
    agent.sendOutput(new Uint8Array(30));
    await flush();
    expect(fatal.map((e) => e.code)).toEqual(['ssm.crypto.decrypt']);
    expect(output()).toBe('');
  });
});

describe('DataChannel: properties', () => {
  it('delivers every byte exactly once, in order, whatever the arrival order and duplication', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (payloads, order, duplicates) => {
          const { agent, bytes } = setup();
          const frames = payloads.map((payload) => agent.outputFrame(payload));
          // Every frame at least once, in a shuffled order, plus some duplicates anywhere.
          const arrival = frames.map((_, index) => index);
          for (let i = arrival.length - 1; i > 0; i -= 1) {
            const j = (order[i] ?? i) % (i + 1);
            [arrival[i], arrival[j]] = [arrival[j] as number, arrival[i] as number];
          }
          for (const d of duplicates) arrival.splice(d % (arrival.length + 1), 0, d % frames.length);
          for (const index of arrival) agent.sendFrame(frames[index] as Uint8Array);
          await flush(3);
          const expected = Buffer.concat(payloads.map((p) => Buffer.from(p)));
          expect(bytes().equals(expected)).toBe(true);
          expect(new Set(agent.acks)).toEqual(new Set(frames.map((_, index) => index)));
        },
      ),
      { numRuns: 150 },
    );
  });
});
