import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RENDERED_LINE_CHARS, TerminalRenderer } from '../../../src/output/terminal-renderer.js';

function render(...pieces: string[]): string {
  const renderer = new TerminalRenderer();
  for (const piece of pieces) renderer.write(piece);
  return renderer.end();
}

describe('TerminalRenderer', () => {
  it.each([
    ['CRLF line ends', 'one\r\ntwo\r\n', 'one\ntwo\n'],
    ['bare LF', 'a\nb', 'a\nb'],
    ['progress bar collapses to its last state', 'get 10%\rget 20%\rget 100%\r\ndone\r\n', 'get 100%\ndone\n'],
    ['shorter redraw overwrites only what it covers', 'abcdef\rXY\n', 'XYcdef\n'],
    ['erase to end of line after redraw', 'abcdef\rXY\x1b[K\n', 'XY\n'],
    ['erase whole line keeps the cursor column', 'abc\x1b[2Kd\n', '   d\n'],
    ['erase to start of line', 'abcdef\x1b[3D\x1b[1K\n', '    ef\n'],
    ['colours removed', '\x1b[1;31mred\x1b[0m and \x1b[38;5;208morange\x1b[m\n', 'red and orange\n'],
    ['backspace overwrites', 'abc\b\bXY\n', 'aXY\n'],
    ['backspace stops at column 0', 'a\b\b\bX\n', 'X\n'],
    ['tab moves to the next stop', 'a\tb\n', 'a       b\n'],
    ['OSC title ended by BEL', '\x1b]0;my title\x07text\n', 'text\n'],
    ['OSC 8 hyperlink ended by ST', '\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\\n', 'link\n'],
    ['cursor forward pads', 'ab\x1b[3Cc\n', 'ab   c\n'],
    ['cursor back then overwrite', 'abcd\x1b[2DX\n', 'abXd\n'],
    ['cursor to column', 'abcd\x1b[2GX\n', 'aXcd\n'],
    ['private modes ignored', '\x1b[?25lhidden\x1b[?25h\n', 'hidden\n'],
    ['vertical moves ignored', 'a\x1b[2Ab\x1b[3;1Hc\n', 'abc\n'],
    ['charset designation removed', '\x1b(Bx\x1b)0y\n', 'xy\n'],
    ['BEL, NUL and DEL removed', 'a\x07b\x00c\x7fd\n', 'abcd\n'],
    ['C1 CSI removed', '\u009b31mred\u009b0m\n', 'red\n'],
    ['DCS string removed', '\x1bPq#0;2;0;0;0\x1b\\after\n', 'after\n'],
    ['CAN aborts a sequence', '\x1b[3\x18x\n', 'x\n'],
    ['CR inside a CSI is executed', 'abc\x1b[\r1mX\n', 'Xbc\n'],
    ['ESC E is a newline', 'a\x1bEb', 'a\nb'],
    ['vertical tab and form feed are newlines', 'a\x0bb\x0cc', 'a\nb\nc'],
    ['redraws longer and shorter than the line', 'abcdef\rab\rxyz1234\rQ\r\rW\n', 'Wyz1234\n'],
    ['a redraw interrupted by a tab and a backspace', 'abcdefghij\rx\ty\rz\b\bq\n', 'qbcdefghyj\n'],
    ['a colour code with 32 parameter characters', `a\x1b[${'1;'.repeat(16)}mb\x1b[Kc\n`, 'abc\n'],
    ['a colour code with 33 parameter characters', `a\x1b[${'1;'.repeat(16)}1mb\x1b[Kc\n`, 'abc\n'],
    ['colours next to a line erase', '\x1b[32mget\x1b[0m 10%\r\x1b[32mget\x1b[0m 99%\x1b[K\r\n', 'get 99%\n'],
    ['colours next to cursor moves', 'abcd\x1b[1m\x1b[2DX\x1b[0m\n', 'abXd\n'],
    ['an escape cut short before a colour code', 'a\x1b\x1b[31m[K\x1b[0mb\n', 'a[Kb\n'],
    ['a colour code inside a title string', '\x1b]0;t\x1b[31mx\x07y\x1b[0m\n', 'xy\n'],
  ])('%s', (_name, input, expected) => {
    expect(render(input)).toBe(expected);
  });

  it('renders the same whatever the split point', () => {
    const input = 'x\x1b[31mred\x1b[0m\r\n\x1b]0;t\x07get 50%\rget 100%\x1b[K\r\nab\bc\r\n';
    const whole = render(input);
    expect(whole).toBe('xred\nget 100%\nac\n');
    for (let split = 1; split < input.length; split++) {
      expect(render(input.slice(0, split), input.slice(split))).toBe(whole);
    }
  });

  it('renders colour codes mixed with any other escape as it does one character at a time (property)', () => {
    const token = fc.constantFrom(
      'text ',
      'é→',
      '\n',
      '\r',
      '\r\n',
      '\b',
      '\t',
      '\x1b[31m',
      '\x1b[0m',
      '\x1b[m',
      '\x1b[1;38;5;208m',
      '\x1b[K',
      '\x1b[2K',
      '\x1b[3D',
      '\x1b[5G',
      '\x1b[?25l',
      '\x1b',
      '\x1b[',
      '\x1b]0;title',
      '\x07',
      '\x1b\\',
      '\x18',
      '\u009b',
      '\u009d',
      `\x1b[${'1;'.repeat(20)}m`,
      `\x1b[${'1;'.repeat(16)}m`,
      `\x1b[${'1;'.repeat(16)}1m`,
      '\x1b[38:5:208m',
      '\x1b[1m',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), fc.nat(), (tokens, splitSeed) => {
        const input = tokens.join('');
        const oneByOne = render(...input);
        expect(render(input)).toBe(oneByOne);
        const split = input.length === 0 ? 0 : splitSeed % input.length;
        expect(render(input.slice(0, split), input.slice(split))).toBe(oneByOne);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a redrawn progress bar as the current line without committing it', () => {
    const renderer = new TerminalRenderer();
    renderer.write('line one\r\nget 10%');
    expect(renderer.takeCommitted()).toBe('line one\n');
    renderer.write('\rget 60%');
    expect(renderer.currentLine()).toBe('get 60%');
    expect(renderer.takeCommitted()).toBe('');
  });

  it('hands on a line without newline in bounded pieces, losing nothing', () => {
    const renderer = new TerminalRenderer();
    const long = 'x'.repeat(MAX_RENDERED_LINE_CHARS * 3 + 17);
    let committed = '';
    for (let i = 0; i < long.length; i += 1000) {
      renderer.write(long.slice(i, i + 1000));
      committed += renderer.takeCommitted();
      expect(renderer.currentLine().length).toBeLessThan(MAX_RENDERED_LINE_CHARS);
    }
    expect(committed + renderer.end()).toBe(long);
  });

  it('bounds cursor moves so a hostile sequence cannot allocate a huge line', () => {
    expect(render('a\x1b[999999999CX\n').length).toBeLessThanOrEqual(MAX_RENDERED_LINE_CHARS + 2);
  });

  it('does not leave half a surrogate pair when overwriting or backspacing over emoji', () => {
    // Overwriting half of a wide character blanks the other half, as a terminal does.
    expect(render('😀😀\rX\n')).toBe('X 😀\n');
    expect(render('a😀\bb\n')).toBe('ab \n');
  });
});
