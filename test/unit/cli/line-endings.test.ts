import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCrlfToLf } from '../../../src/cli/line-endings.js';

function translate(chunks: string[]): string {
  const t = createCrlfToLf();
  const out = chunks.map((c) => Buffer.from(t.push(Buffer.from(c, 'latin1'))));
  out.push(Buffer.from(t.end()));
  return Buffer.concat(out).toString('latin1');
}

describe('createCrlfToLf', () => {
  it.each([
    ['a\r\nb\r\n', 'a\nb\n'],
    ['progress\r50%\r100%\r\n', 'progress\r50%\r100%\n'],
    ['ends with CR\r', 'ends with CR\r'],
    ['\r\r\n', '\r\n'],
  ])('%j → %j', (input, expected) => {
    expect(translate([input])).toBe(expected);
  });

  it('gives the same bytes however the stream is cut, including between CR and LF', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '\r', '\n', 'é') }), fc.array(fc.nat()), (text, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const bounds = [0, ...points, text.length];
        const chunks = bounds.slice(1).map((end, i) => text.slice(bounds[i], end));
        expect(translate(chunks)).toBe(text.replace(/\r\n/g, '\n'));
      }),
    );
  });
});
