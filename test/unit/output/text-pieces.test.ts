import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TextPieces } from '../../../src/output/text-pieces.js';

/** The reference: the same questions asked of the joined string. */
function lineStartOf(text: string, at: number, limit: number): number {
  let i = at;
  while (i > limit && text.charCodeAt(i - 1) !== 0x0a) i--;
  return i;
}

function lineEndOf(text: string, at: number, limit: number): number {
  let i = at;
  while (i < limit && text.charCodeAt(i) !== 0x0a) i++;
  return i;
}

const piece = fc.array(fc.constantFrom('a', 'bc', '\n', '→', '😀', 'x\ny'), { maxLength: 12 }).map((p) => p.join(''));

describe('TextPieces', () => {
  it('reads slices, characters and line bounds as the joined text does (property)', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), fc.nat(), fc.nat(), fc.nat(), (pieces, a, b, c) => {
        const text = new TextPieces();
        for (const p of pieces) text.add(p);
        const whole = pieces.join('');
        expect(text.chars).toBe(whole.length);
        expect(text.joined()).toBe(whole);
        const [from, to, limit] = [a, b, c].map((n) => n % (whole.length + 1)).sort((x, y) => x - y) as [
          number,
          number,
          number,
        ];
        expect(text.slice(from, to)).toBe(whole.slice(from, to));
        expect(text.charCodeAt(from)).toEqual(whole.charCodeAt(from));
        expect(text.lineStart(to, from)).toBe(lineStartOf(whole, to, from));
        expect(text.lineEnd(from, limit)).toBe(lineEndOf(whole, from, limit));
        const out: string[] = [];
        text.sliceInto(out, from, to);
        expect(out.join('')).toBe(whole.slice(from, to));
        text.dropBefore(to);
        expect(text.joined()).toBe(whole.slice(to));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives back the pieces themselves when a range covers them whole', () => {
    const text = new TextPieces();
    const first = 'one-byte line\n';
    const second = 'a line with → in it\n';
    text.add(first);
    text.add(second);
    const out: string[] = [];
    text.sliceInto(out, 0, text.chars);
    expect(out[0]).toBe(first);
    expect(out[1]).toBe(second);
    expect(out).toHaveLength(2);
  });
});
