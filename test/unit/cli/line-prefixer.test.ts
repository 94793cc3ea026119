import { describe, expect, it } from 'vitest';
import { createLinePrefixer } from '../../../src/cli/commands/line-prefixer.js';

describe('prefixing task output lines', () => {
  it('writes whole lines only, each with its task, and ends a partial last line', () => {
    const out: string[] = [];
    const prefixer = createLinePrefixer((text) => out.push(text));
    const bytes = (text: string) => new TextEncoder().encode(text);
    prefixer.push('aaaa1111', bytes('hel'));
    prefixer.push('bbbb2222', bytes('one\r\ntwo\n'));
    prefixer.push('aaaa1111', bytes('lo\nwor'));
    // A character split across chunks stays whole.
    const euro = bytes('€\n');
    prefixer.push('bbbb2222', euro.subarray(0, 1));
    prefixer.push('bbbb2222', euro.subarray(1));
    prefixer.end('aaaa1111');
    prefixer.end('bbbb2222');
    expect(out.join('')).toBe('[bbbb2222] one\n[bbbb2222] two\n[aaaa1111] hello\n[bbbb2222] €\n[aaaa1111] wor\n');
  });
});
