/**
 * SSM codec micro-benchmark on one core: decode + SHA-256 digest check of 1 KiB output frames, frame encode, and
 * building + encoding an acknowledge.
 *
 *   npx tsx bench/ssm-codec.ts        # target: decode+verify >= 350,000 frames/s
 *
 * Exits 1 when the median run misses the target.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { decodeAgentMessage, encodeAgentMessage, sha256 } from '../src/ssm/codec/agent-message.js';
import { MessageType, PayloadType } from '../src/ssm/codec/layout.js';
import { encodeAcknowledgeContent } from '../src/ssm/codec/payloads.js';

const TARGET_DECODE_PER_S = 350_000;
const FRAMES = 200_000;
const RUNS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function rate(label: string, work: () => number): number {
  const rates: number[] = [];
  for (let run = 0; run < RUNS + 1; run += 1) {
    const start = process.hrtime.bigint();
    const count = work();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (run > 0) rates.push(count / seconds); // the first run warms up the JIT
  }
  const value = median(rates);
  console.log(`${label.padEnd(34)} ${Math.round(value).toLocaleString('en-US').padStart(10)} /s`);
  return value;
}

// A pool of distinct frames, so the decoder cannot benefit from one hot buffer.
const pool = Array.from({ length: 1024 }, (_, i) =>
  encodeAgentMessage({
    messageType: MessageType.OutputStreamData,
    schemaVersion: 1,
    createdDate: Date.now(),
    sequenceNumber: i,
    flags: 0,
    messageId: randomUUID(),
    payloadType: PayloadType.Output,
    payload: new Uint8Array(randomBytes(1024)),
  }),
);
const payload = new Uint8Array(randomBytes(1024));

console.log(
  `SSM codec, 1 KiB payloads, median of ${RUNS} runs of ${FRAMES.toLocaleString('en-US')} frames (Node ${process.version})`,
);
let checksum = 0;
// The ceiling: hashing the payload alone, which every decode must do.
rate('SHA-256 of the payload alone', () => {
  for (let i = 0; i < FRAMES; i += 1) checksum += sha256((pool[i & 1023] as Uint8Array).subarray(120))[0] as number;
  return FRAMES;
});
const decodeRate = rate('decode + digest verify', () => {
  for (let i = 0; i < FRAMES; i += 1) checksum += decodeAgentMessage(pool[i & 1023] as Uint8Array).sequenceNumber;
  return FRAMES;
});
rate('encode (digest + id)', () => {
  for (let i = 0; i < FRAMES; i += 1) {
    checksum += encodeAgentMessage({
      messageType: MessageType.InputStreamData,
      schemaVersion: 1,
      createdDate: 1_700_000_000_000,
      sequenceNumber: i,
      flags: 0,
      messageId: randomUUID(),
      payloadType: PayloadType.Output,
      payload,
    }).length;
  }
  return FRAMES;
});
rate('acknowledge build + encode', () => {
  for (let i = 0; i < FRAMES; i += 1) {
    checksum += encodeAgentMessage({
      messageType: MessageType.Acknowledge,
      schemaVersion: 1,
      createdDate: 1_700_000_000_000,
      sequenceNumber: 0,
      flags: 3,
      messageId: randomUUID(),
      payloadType: PayloadType.None,
      payload: encodeAcknowledgeContent({
        acknowledgedMessageType: MessageType.OutputStreamData,
        acknowledgedMessageId: 'dd01e56b-ff48-483e-a508-b5f073f31b16',
        acknowledgedMessageSequenceNumber: i,
      }),
    }).length;
  }
  return FRAMES;
});
if (checksum === 42) console.log('');
const ok = decodeRate >= TARGET_DECODE_PER_S;
console.log(`decode target ${TARGET_DECODE_PER_S.toLocaleString('en-US')} frames/s: ${ok ? 'met' : 'MISSED'}`);
process.exitCode = ok ? 0 : 1;
