import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { incompleteTail, Utf8Chunker } from '../../../src/sandbox/agent/utf8-chunker.js';

const strict = new TextDecoder('utf-8', { fatal: true });

describe('Utf8Chunker', () => {
  it('never cuts a character: 1023 ASCII bytes then a 3-byte character', () => {
    const chunker = new Utf8Chunker(1024);
    const data = Buffer.from(`${'a'.repeat(1023)}€b`);
    const chunks = [...chunker.push(data), ...chunker.flush()];
    expect(chunks.map((c) => c.length)).toEqual([1023, 4]);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it('holds a character split across two reads until it is complete', () => {
    const chunker = new Utf8Chunker(1024);
    const euro = Buffer.from('€');
    expect(chunker.push(Buffer.concat([Buffer.from('x'), euro.subarray(0, 2)])).map(String)).toEqual(['x']);
    expect(chunker.push(euro.subarray(2)).map(String)).toEqual(['€']);
  });

  it('passes invalid bytes through instead of holding them forever', () => {
    expect(incompleteTail(Buffer.from([0x61, 0xff]))).toBe(0);
    expect(incompleteTail(Buffer.from([0x61, 0xf0, 0x9f]))).toBe(2);
    const chunker = new Utf8Chunker(4);
    const data = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x41]);
    expect(Buffer.concat([...chunker.push(data), ...chunker.flush()]).equals(data)).toBe(true);
  });

  it('for any text and any read boundaries: chunks ≤ max, each valid UTF-8, concatenation exact', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 3000 }),
        fc.array(fc.nat({ max: 3000 }), { maxLength: 8 }),
        fc.integer({ min: 4, max: 1024 }),
        (text, cuts, max) => {
          const data = Buffer.from(text);
          const bounds = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
          const chunker = new Utf8Chunker(max);
          const out: Buffer[] = [];
          let start = 0;
          for (const end of [...bounds, data.length]) {
            out.push(...chunker.push(data.subarray(start, end)));
            start = end;
          }
          out.push(...chunker.flush());
          expect(Buffer.concat(out).equals(data)).toBe(true);
          for (const chunk of out) {
            expect(chunk.length).toBeGreaterThan(0);
            expect(chunk.length).toBeLessThanOrEqual(max);
            expect(() => strict.decode(chunk)).not.toThrow();
          }
        },
      ),
    );
  });
});
