import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Keyword, KeywordScanner } from '../../../src/output/keyword-scanner.js';

/** Every (keyword, start) by plain search: what the scanner must report. */
function naive(text: string, keywords: readonly Keyword[]): string[] {
  const out: string[] = [];
  keywords.forEach((k, index) => {
    const hay = k.anyCase ? text.toLowerCase() : text;
    const needle = k.anyCase ? k.text.toLowerCase() : k.text;
    for (let at = hay.indexOf(needle); at !== -1; at = hay.indexOf(needle, at + 1)) out.push(`${index}@${at}`);
  });
  return out.sort();
}

function scanned(scanner: KeywordScanner, text: string): string[] {
  const out: string[] = [];
  scanner.scan(text, (index, start) => out.push(`${index}@${start}`));
  return out.sort();
}

const KEYWORDS: Keyword[] = [
  { text: 'ghp_', anyCase: false },
  { text: 'AKIA', anyCase: false },
  { text: 'password', anyCase: true },
  { text: 'pass', anyCase: true },
  { text: 'ass', anyCase: false },
  { text: '-----BEGIN', anyCase: false },
  { text: '://', anyCase: false },
];

describe('KeywordScanner', () => {
  const scanner = new KeywordScanner(KEYWORDS);

  it('finds overlapping keywords, in any case where allowed and exact case elsewhere', () => {
    expect(scanned(scanner, 'PassWORD ghp_ GHP_ akia AKIA x://y')).toEqual(
      naive('PassWORD ghp_ GHP_ akia AKIA x://y', KEYWORDS),
    );
    expect(scanned(scanner, 'my password')).toEqual(['2@3', '3@3', '4@4'].sort());
  });

  it('finds the same as a plain search in any text, long or short, ASCII or not (property)', () => {
    const piece = fc.constantFrom(
      'ghp_',
      'AKIA',
      'PASSWORD',
      'pass',
      'ass',
      '-----BEGIN',
      '://',
      'x',
      ' ',
      'é',
      '日',
      '\n',
      'gh',
      'p_',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 900 }), (pieces) => {
        const text = pieces.join('');
        expect(scanned(scanner, text)).toEqual(naive(text, KEYWORDS));
      }),
      { numRuns: 300 },
    );
  });

  it('finds the same in text given in parts as in the text joined, wherever the parts meet (property)', () => {
    const piece = fc.constantFrom('ghp_', 'AKIA', 'PassWord', '://', 'x', '→', '\n', 'gh', 'p_', 'AK', 'IA');
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 300 }), { maxLength: 8 }), (parts) => {
        const texts = parts.map((p) => p.join(''));
        const inParts: string[] = [];
        scanner.scanParts(texts, (index, start) => inParts.push(`${index}@${start}`));
        expect(inParts.sort()).toEqual(naive(texts.join(''), KEYWORDS));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a keyword outside printable ASCII', () => {
    expect(() => new KeywordScanner([{ text: 'pässword', anyCase: true }])).toThrow(RangeError);
  });
});
