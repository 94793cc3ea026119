import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAgentMessage, encodeAgentMessage } from '../../../src/ssm/codec/agent-message.js';
import { DecodeError, EncodeError } from '../../../src/ssm/codec/errors.js';
import { encodeAcknowledgeFrame } from '../../../src/ssm/codec/frames.js';
import type { AgentMessage } from '../../../src/ssm/codec/layout.js';
import {
  randomMessageId,
  readWireUuid,
  swapUuidHalves,
  writeRandomWireUuid,
  writeWireUuid,
} from '../../../src/ssm/codec/uuid.js';
import { FRAME_VECTORS, laxJsClientSize, outputHello } from '../../fixtures/ssm/vectors.js';

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const comparable = (m: AgentMessage) => ({ ...m, payload: toHex(m.payload) });

function expectDecodeError(bytes: Uint8Array, field: string, options?: { maxPayloadBytes?: number }): DecodeError {
  let caught: unknown;
  try {
    decodeAgentMessage(bytes, options);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DecodeError);
  const error = caught as DecodeError;
  expect(error.field).toBe(field);
  expect(error.code).toBe(`ssm.decode.${field}`);
  return error;
}

/** Copy of a valid frame with `edit` applied; the digest is left as it was unless `redigest`. */
function mutate(bytes: Uint8Array, edit: (frame: Uint8Array, view: DataView) => void, redigest = false): Uint8Array {
  const frame = Uint8Array.from(bytes);
  edit(frame, new DataView(frame.buffer));
  if (redigest) frame.set(createHash('sha256').update(frame.subarray(120)).digest(), 80);
  return frame;
}

const setByte =
  (index: number, value: number) =>
  (frame: Uint8Array): void => {
    frame[index] = value;
  };
const flipByte =
  (index: number) =>
  (frame: Uint8Array): void => {
    frame[index] = (frame[index] as number) ^ 1;
  };

describe('frame vectors', () => {
  it.each(FRAME_VECTORS)('decodes $name field by field', ({ message, bytes }) => {
    expect(comparable(decodeAgentMessage(bytes))).toEqual(comparable(message));
  });

  it.each(FRAME_VECTORS)('encodes $name to the exact bytes', ({ message, bytes }) => {
    expect(toHex(encodeAgentMessage(message))).toBe(toHex(bytes));
  });

  it.each(FRAME_VECTORS)('round-trips $name', ({ message }) => {
    expect(comparable(decodeAgentMessage(encodeAgentMessage(message)))).toEqual(comparable(message));
  });

  it('rejects the lax JS client frame for its hex-text digest, yet reads its NUL left-padded MessageType', () => {
    expectDecodeError(laxJsClientSize, 'payload_digest');
    const fixed = mutate(laxJsClientSize, () => {}, true);
    const message = decodeAgentMessage(fixed);
    expect(message.messageType).toBe('input_stream_data');
    expect(message.createdDate).toBe(509294562);
    expect(new TextDecoder().decode(message.payload)).toBe('{"cols":202,"rows":18}');
  });

  it('decodes a frame sitting at an offset inside a larger buffer', () => {
    const big = new Uint8Array(outputHello.bytes.length + 7);
    big.set(outputHello.bytes, 5);
    const message = decodeAgentMessage(big.subarray(5, 5 + outputHello.bytes.length));
    expect(new TextDecoder().decode(message.payload)).toBe('hello\n');
  });
});

describe('MessageId half swap', () => {
  it.each([
    ['dd01e56b-ff48-483e-a508-b5f073f31b16', 'a508b5f073f31b16dd01e56bff48483e'],
    ['3f2504e0-4f89-41d3-9a0c-0305e82c3301', '9a0c0305e82c33013f2504e04f8941d3'],
  ])('%s goes on the wire as %s', (uuid, wire) => {
    const bytes = new Uint8Array(16);
    writeWireUuid(uuid, bytes, 0);
    expect(toHex(bytes)).toBe(wire);
    expect(readWireUuid(bytes, 0)).toBe(uuid);
  });

  it('swaps both ways like the third-party test pair', () => {
    expect(swapUuidHalves('a3de282f-478b-a6e6-812e-f34f87bd449e')).toBe('812ef34f-87bd-449e-a3de-282f478ba6e6');
    expect(swapUuidHalves('812ef34f-87bd-449e-a3de-282f478ba6e6')).toBe('a3de282f-478b-a6e6-812e-f34f87bd449e');
  });

  it('accepts upper case and always reads back lower case', () => {
    const bytes = new Uint8Array(16);
    writeWireUuid('DD01E56B-FF48-483E-A508-B5F073F31B16', bytes, 0);
    expect(readWireUuid(bytes, 0)).toBe('dd01e56b-ff48-483e-a508-b5f073f31b16');
  });

  it('makes distinct v4 ids', () => {
    const a = randomMessageId();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(randomMessageId()).not.toBe(a);
  });

  it('gives every acknowledge its own v4 MessageId and leaves the rest of the frame as encoded', () => {
    const acked = decodeAgentMessage(outputHello.bytes);
    const first = decodeAgentMessage(encodeAcknowledgeFrame(acked, 1503434275000));
    const second = decodeAgentMessage(encodeAcknowledgeFrame(acked, 1503434275000));
    expect(first.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(second.messageId).not.toBe(first.messageId);
    expect({ ...first, messageId: '' }).toEqual({ ...second, messageId: '' });
    expect(first).toMatchObject({ messageType: 'acknowledge', sequenceNumber: 0, flags: 3, payloadType: 0 });
  });

  it('writes distinct v4 ids straight in wire layout, across refills of its random bytes', () => {
    const seen = new Set<string>();
    const bytes = new Uint8Array(20).fill(0xff);
    for (let i = 0; i < 600; i += 1) {
      writeRandomWireUuid(bytes, 2);
      const id = readWireUuid(bytes, 2);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(600);
    expect([bytes[0], bytes[1], bytes[18], bytes[19]]).toEqual([0xff, 0xff, 0xff, 0xff]);
  });
});

describe('decode errors by field', () => {
  const good = outputHello.bytes;

  it.each([
    ['frame_length', 'an empty frame', new Uint8Array(0)],
    ['frame_length', 'a 119-byte frame', good.subarray(0, 119)],
    ['header_length', 'HeaderLength 0', mutate(good, (_, v) => v.setUint32(0, 0))],
    ['header_length', 'HeaderLength 115', mutate(good, (_, v) => v.setUint32(0, 115))],
    ['header_length', 'HeaderLength past the frame end', mutate(good, (_, v) => v.setUint32(0, 200))],
    ['header_length', 'HeaderLength 0xffffffff', mutate(good, (_, v) => v.setUint32(0, 0xffffffff))],
    ['message_type', 'an all-space MessageType', mutate(good, (f) => f.fill(0x20, 4, 36))],
    ['message_type', 'an all-NUL MessageType', mutate(good, (f) => f.fill(0, 4, 36))],
    ['message_type', 'a control byte inside MessageType', mutate(good, setByte(9, 0x01))],
    ['message_type', 'a non-ASCII byte inside MessageType', mutate(good, setByte(9, 0xc3))],
    ['created_date', 'CreatedDate 0', mutate(good, (_, v) => v.setBigUint64(40, 0n))],
    ['created_date', 'CreatedDate above 2^53', mutate(good, (_, v) => v.setBigUint64(40, 2n ** 60n))],
    ['sequence_number', 'a negative SequenceNumber', mutate(good, (_, v) => v.setBigInt64(48, -1n))],
    ['sequence_number', 'SequenceNumber above 2^53', mutate(good, (_, v) => v.setBigInt64(48, 2n ** 62n))],
    ['flags', 'Flags above 2^53', mutate(good, (_, v) => v.setBigUint64(56, 2n ** 63n))],
    ['payload_length', 'PayloadLength one too many', mutate(good, (_, v) => v.setUint32(116, 7))],
    ['payload_length', 'PayloadLength one too few', mutate(good, (_, v) => v.setUint32(116, 5))],
    ['payload_length', 'PayloadLength 0 with a payload', mutate(good, (_, v) => v.setUint32(116, 0))],
    ['payload_length', 'extra trailing bytes', Uint8Array.from([...good, 0x00])],
    ['payload_digest', 'a flipped payload byte', mutate(good, setByte(121, 0x45))],
    ['payload_digest', 'a flipped digest byte', mutate(good, flipByte(111))],
  ])('%s: %s', (field, _what, bytes) => {
    expectDecodeError(bytes, field);
  });

  it('payload_size: a payload above maxPayloadBytes', () => {
    const error = expectDecodeError(good, 'payload_size', { maxPayloadBytes: 5 });
    expect(error.offset).toBe(120);
    expect(decodeAgentMessage(good, { maxPayloadBytes: 6 }).payload.length).toBe(6);
  });

  it('reports the offset of the failing field', () => {
    expect(
      expectDecodeError(
        mutate(good, (_, v) => v.setUint32(116, 9)),
        'payload_length',
      ).offset,
    ).toBe(116);
    expect(expectDecodeError(mutate(good, setByte(121, 0)), 'payload_digest').offset).toBe(80);
  });

  it('accepts a header-only frame with PayloadLength 0 without a digest check', () => {
    const empty = encodeAgentMessage({ ...outputHello.message, payload: new Uint8Array(0) });
    empty.fill(0xee, 80, 112);
    expect(decodeAgentMessage(empty).payload.length).toBe(0);
  });

  it.each(['start_publication', 'pause_publication'])(
    'skips validation of %s (garbage PayloadLength, digest and date)',
    (type) => {
      const frame = encodeAgentMessage({ ...outputHello.message, messageType: type, payloadType: 0 });
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      view.setUint32(116, 0x06000000); // little-endian length, as MGS has been seen to send
      view.setBigUint64(40, 0n);
      frame.fill(0, 80, 112);
      const message = decodeAgentMessage(frame);
      expect(message.messageType).toBe(type);
      expect(message.payload.length).toBe(6);
    },
  );

  it('keeps unknown message types for the caller to ignore', () => {
    const frame = encodeAgentMessage({ ...outputHello.message, messageType: 'agent_task_reply' });
    expect(decodeAgentMessage(frame).messageType).toBe('agent_task_reply');
  });
});

describe('truncation', () => {
  it.each(FRAME_VECTORS)('every proper prefix of $name is a DecodeError', ({ bytes }) => {
    for (let n = 0; n < bytes.length; n += 1) {
      expect(() => decodeAgentMessage(bytes.subarray(0, n)), `prefix ${n}`).toThrow(DecodeError);
    }
  });
});

describe('encode errors', () => {
  it.each([
    ['message_type', { messageType: '' }],
    ['message_type', { messageType: 'x'.repeat(33) }],
    ['message_type', { messageType: 'has space' }],
    ['message_id', { messageId: 'not-a-uuid' }],
    ['sequence_number', { sequenceNumber: -1 }],
    ['created_date', { createdDate: 1.5 }],
    ['payload_type', { payloadType: 2 ** 32 }],
    ['schema_version', { schemaVersion: -1 }],
  ])('%s: %j', (field, override) => {
    const attempt = () => encodeAgentMessage({ ...outputHello.message, ...override });
    expect(attempt).toThrow(EncodeError);
    expect(attempt).toThrow(expect.objectContaining({ code: `ssm.encode.${field}` }));
  });
});

const messageArbitrary = fc.record({
  messageType: fc.stringMatching(/^[a-z_]{1,32}$/),
  schemaVersion: fc.integer({ min: 0, max: 0xffffffff }),
  createdDate: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  sequenceNumber: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  flags: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  messageId: fc.uuid(),
  payloadType: fc.integer({ min: 0, max: 0xffffffff }),
  payload: fc.uint8Array({ maxLength: 2048 }),
});

describe('properties', () => {
  it('decode(encode(m)) == m for any valid message', () => {
    fc.assert(
      fc.property(messageArbitrary, (message) => {
        const decoded = decodeAgentMessage(encodeAgentMessage(message));
        expect(comparable(decoded)).toEqual(comparable({ ...message, messageId: message.messageId.toLowerCase() }));
      }),
      { numRuns: 500 },
    );
  });

  it('encode(decode(b)) == b for any encoded frame', () => {
    fc.assert(
      fc.property(messageArbitrary, (message) => {
        const bytes = encodeAgentMessage(message);
        expect(toHex(encodeAgentMessage(decodeAgentMessage(bytes)))).toBe(toHex(bytes));
      }),
      { numRuns: 200 },
    );
  });
});

/** Small deterministic PRNG (mulberry32) so a failing fuzz case can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fuzz', () => {
  it('only DecodeError escapes from 100,000 random, truncated and corrupted frames', () => {
    const random = prng(0x55aa1234);
    const int = (n: number) => Math.floor(random() * n);
    const seeds = [
      ...FRAME_VECTORS.map((v) => v.bytes),
      encodeAgentMessage({ ...outputHello.message, payload: new Uint8Array(1024).fill(0x61) }),
    ];
    const counts = { ok: 0, rejected: 0 };
    const fields = new Set<string>();
    for (let i = 0; i < 100_000; i += 1) {
      const seed = seeds[i % seeds.length] as Uint8Array;
      let input: Uint8Array;
      switch (i % 4) {
        case 0: {
          // Pure random bytes, mostly around the header size.
          input = new Uint8Array(int(300));
          for (let j = 0; j < input.length; j += 1) input[j] = int(256);
          if (input.length >= 4 && random() < 0.5) new DataView(input.buffer).setUint32(0, 116);
          break;
        }
        case 1:
          input = seed.subarray(0, int(seed.length + 1));
          break;
        case 2: {
          input = Uint8Array.from(seed);
          const flips = 1 + int(4);
          for (let j = 0; j < flips; j += 1) input[int(input.length)] = int(256);
          break;
        }
        default: {
          // Corrupt a header field with a boundary value, sometimes re-digesting so later checks are reached.
          input = Uint8Array.from(seed);
          const view = new DataView(input.buffer);
          const offsets = [0, 36, 40, 44, 48, 52, 56, 60, 112, 116];
          const values = [0, 1, 115, 116, 117, 0x7fffffff, 0x80000000, 0xffffffff, input.length - 120];
          view.setUint32(offsets[int(offsets.length)] as number, values[int(values.length)] as number);
          if (random() < 0.5) input.set(createHash('sha256').update(input.subarray(120)).digest(), 80);
          if (random() < 0.2) {
            const longer = new Uint8Array(input.length + int(8));
            longer.set(input);
            input = longer;
          }
        }
      }
      try {
        const message = decodeAgentMessage(input, { maxPayloadBytes: 1100 });
        if (typeof message.messageType !== 'string') throw new Error(`iteration ${i}: no message type`);
        counts.ok += 1;
      } catch (error) {
        if (!(error instanceof DecodeError)) throw new Error(`iteration ${i}: ${String(error)}`, { cause: error });
        fields.add(error.field);
        counts.rejected += 1;
      }
    }
    expect(counts.ok + counts.rejected).toBe(100_000);
    expect(counts.ok).toBeGreaterThan(1000);
    expect([...fields].sort()).toEqual(
      [
        'created_date',
        'flags',
        'frame_length',
        'header_length',
        'message_type',
        'payload_digest',
        'payload_length',
        'sequence_number',
      ].sort(),
    );
    // Generous: CI machines are shared; it runs in about 2 s on an idle core.
  }, 30_000);
});
