import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutputUsageError } from '../../../src/output/errors.js';
import { createOutputPipeline } from '../../../src/output/pipeline.js';
import { TerminalRenderer } from '../../../src/output/terminal-renderer.js';
import { PLANTED_SECRETS, TASK_CREDENTIAL_SECRETS, TASK_CREDENTIALS_JSON } from './secret-fixtures.js';

const encode = (text: string) => new TextEncoder().encode(text);
const MiB = 1024 * 1024;

function run(chunks: Uint8Array[], maxOutputBytes = MiB) {
  const pipeline = createOutputPipeline({ maxOutputBytes });
  for (const chunk of chunks) pipeline.write(chunk);
  return pipeline.result();
}

describe('createOutputPipeline', () => {
  it('renders, redacts and counts a realistic terminal session', () => {
    const raw = encode(
      '\x1b[32mOK\x1b[0m starting\r\nDownloading 10%\rDownloading 55%\rDownloading 100%\r\n' +
        `${TASK_CREDENTIALS_JSON}\r\nbye\r\n`,
    );
    const result = run([raw]);
    expect(result.text.split('\n').slice(0, 2)).toEqual(['OK starting', 'Downloading 100%']);
    for (const secret of TASK_CREDENTIAL_SECRETS) expect(result.text).not.toContain(secret);
    expect(result.redactions).toBe(3);
    expect(result.redactionsByKind).toMatchObject({ 'aws-access-key-id': 1, 'aws-secret-access-key': 1 });
    expect(result.totalBytes).toBe(raw.byteLength);
    expect(result.sha256).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(result.lineCount).toBe(4);
    expect(result.truncated).toBe(false);
    expect(result.keptBytes).toBe(Buffer.byteLength(result.text));
  });

  it('decodes UTF-8 split at every byte across two chunks', () => {
    const text = 'héllo wörld ✓ 日本語 😀 done\n';
    const raw = encode(text);
    for (let split = 1; split < raw.length; split++) {
      const result = run([raw.subarray(0, split), raw.subarray(split)]);
      expect(result.text, `split at byte ${split}`).toBe(text);
    }
  });

  it('decodes UTF-8 fed one byte at a time', () => {
    const text = 'ünïcødé ✓ 😀\n';
    const raw = encode(text);
    expect(run([...raw].map((b) => Uint8Array.of(b))).text).toBe(text);
  });

  it.each(PLANTED_SECRETS)('redacts a $name split at every byte across two chunks', ({ line, secret }) => {
    const raw = encode(`start\r\n${line}\r\nend\r\n`);
    for (let split = 1; split < raw.length; split++) {
      const result = run([raw.subarray(0, split), raw.subarray(split)]);
      expect(result.text, `split at byte ${split}`).not.toContain(secret);
      expect(result.redactions).toBe(1);
    }
  });

  it('redacts a secret hidden behind colour codes', () => {
    const result = run([encode('AKIA\x1b[31mIOSFODNN7\x1b[0mEXAMPLE\n')]);
    expect(result.text).toBe('[REDACTED aws-access-key-id]\n');
  });

  it('stops keeping output at maxOutputBytes but still counts, hashes and keeps the tail', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${String(i).padStart(4, '0')}\n`);
    const raw = encode(lines.join(''));
    const chunks = [];
    for (let i = 0; i < raw.length; i += 1024) chunks.push(raw.subarray(i, i + 1024));
    const result = run(chunks, 1005);
    expect(result.truncated).toBe(true);
    expect(result.keptBytes).toBe(1000);
    // Cut at the last whole line that fits, not in the middle of `line 0100`.
    expect(result.text).toBe(lines.slice(0, 100).join(''));
    expect(result.totalBytes).toBe(raw.byteLength);
    expect(result.renderedBytes).toBe(raw.byteLength);
    expect(result.lineCount).toBe(1000);
    expect(result.sha256).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(result.tail.endsWith('line 0999\n')).toBe(true);
  });

  it('hashes every raw byte in order, whatever the chunk sizes', () => {
    const raw = new Uint8Array(300_000).map((_, i) => (i * 7919) % 251);
    const sizes = [1, 1024, 70_000, 3, 65_536, 65_535, 2];
    const chunks: Uint8Array[] = [];
    for (let offset = 0, i = 0; offset < raw.length; i++) {
      const size = sizes[i % sizes.length] ?? 1;
      chunks.push(raw.subarray(offset, offset + size));
      offset += size;
    }
    const result = run(chunks);
    expect(result.sha256).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(result.totalBytes).toBe(raw.length);
  });

  it('never cuts a multibyte character when the cap falls inside it', () => {
    const result = run([encode('€'.repeat(100))], 10);
    expect(result.text).toBe('€€€');
    expect(result.keptBytes).toBe(9);
    expect(result.truncated).toBe(true);
  });

  it('keeps a tail of whole lines from a long output', () => {
    const pipeline = createOutputPipeline({ maxOutputBytes: 100, tailChars: 50 });
    for (let i = 0; i < 100; i++) pipeline.write(encode(`row ${i}\n`));
    const { tail } = pipeline.result();
    expect(tail.length).toBeLessThanOrEqual(50);
    expect(tail.startsWith('row ')).toBe(true);
    expect(tail.endsWith('row 99\n')).toBe(true);
  });

  it('shows the progress bar in its latest state in the live snapshot', () => {
    const pipeline = createOutputPipeline({ maxOutputBytes: MiB });
    pipeline.write(encode('step 1\r\nupload  10%'));
    expect(pipeline.snapshot()).toBe('step 1\nupload  10%');
    pipeline.write(encode('\rupload  80%'));
    expect(pipeline.snapshot()).toBe('step 1\nupload  80%');
    pipeline.write(encode('\rupload 100%\r\n'));
    expect(pipeline.result().text).toBe('step 1\nupload 100%\n');
  });

  it('never shows the part of a secret that has arrived so far in the live snapshot', () => {
    const pipeline = createOutputPipeline({ maxOutputBytes: MiB });
    const line = encode('export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\r\n');
    for (let i = 0; i < line.length; i++) {
      pipeline.write(line.subarray(i, i + 1));
      expect(pipeline.snapshot()).not.toMatch(/wJalrXUtn/);
    }
    expect(pipeline.result().text).toBe('export AWS_SECRET_ACCESS_KEY=[REDACTED aws-secret-access-key]\n');
  });

  it('limits the snapshot to the last lines', () => {
    const pipeline = createOutputPipeline({ maxOutputBytes: MiB });
    for (let i = 0; i < 500; i++) pipeline.write(encode(`line ${i}\n`));
    const snapshot = pipeline.snapshot(100);
    expect(snapshot.length).toBeLessThanOrEqual(100);
    expect(snapshot.startsWith('line ')).toBe(true);
    expect(snapshot.endsWith('line 499\n')).toBe(true);
  });

  it('counts a last line without a newline, and no lines for no output', () => {
    expect(run([encode('a\nb')]).lineCount).toBe(2);
    expect(run([]).lineCount).toBe(0);
    expect(run([]).sha256).toBe(createHash('sha256').digest('hex'));
  });

  it('keeps secrets only when redaction is turned off', () => {
    const pipeline = createOutputPipeline({ maxOutputBytes: MiB, redact: false });
    pipeline.write(encode('AKIAIOSFODNN7EXAMPLE\n'));
    expect(pipeline.result()).toMatchObject({ text: 'AKIAIOSFODNN7EXAMPLE\n', redactions: 0 });
  });

  it('refuses output after the end and a bad cap', () => {
    const pipeline = createOutputPipeline({ maxOutputBytes: 10 });
    pipeline.end();
    expect(() => pipeline.write(encode('late'))).toThrow(OutputUsageError);
    expect(() => createOutputPipeline({ maxOutputBytes: -1 })).toThrow(OutputUsageError);
  });

  it('no planted secret survives any chunking (property)', () => {
    const filler = fc.oneof(
      fc.constantFrom('INFO request ok\r\n', '\x1b[33mWARN\x1b[0m slow\r\n', 'get 10%\rget 90%\r\n', 'ü✓ 日本\r\n'),
      // Long enough to make the redactor release text and carry the rest over.
      fc.integer({ min: 1, max: 3 }).map((n) => `${'x'.repeat(99)}\n`.repeat(n * 250)),
    );
    const part = fc.oneof(
      filler,
      fc.constantFrom(...PLANTED_SECRETS).map((s) => `${s.line}\r\n`),
      fc.constant(`${TASK_CREDENTIALS_JSON}\r\n`),
    );
    fc.assert(
      fc.property(
        fc.array(part, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 50 }),
        (parts, sizes, snapshotEvery) => {
          const raw = encode(parts.join(''));
          const pipeline = createOutputPipeline({ maxOutputBytes: MiB });
          const seen: string[] = [];
          for (let offset = 0, i = 0; offset < raw.length; i++) {
            const size = sizes[i % sizes.length] ?? 1;
            pipeline.write(raw.subarray(offset, offset + size));
            offset += size;
            if (snapshotEvery > 0 && i % snapshotEvery === 0) seen.push(pipeline.snapshot());
          }
          const result = pipeline.result();
          seen.push(result.text, result.tail);
          const secrets = [...PLANTED_SECRETS.map((s) => s.secret), ...TASK_CREDENTIAL_SECRETS];
          for (const text of seen) for (const secret of secrets) expect(text).not.toContain(secret);
        },
      ),
      { numRuns: 60 },
    );
  }, 30_000);
});

describe('createOutputPipeline across its internal 16 KiB blocks', () => {
  const BLOCK = 16 * 1024;
  /** ASCII filler of exactly `bytes` bytes, in lines. */
  const filler = (bytes: number) => `${'.'.repeat(63)}\n`.repeat(Math.ceil(bytes / 64)).slice(0, bytes);

  /** What a terminal shows for `raw` decoded in one piece: the reference for any chunking. */
  function reference(raw: Uint8Array): string {
    const decoder = new StringDecoder('utf8');
    const renderer = new TerminalRenderer();
    renderer.write(decoder.write(raw));
    renderer.write(decoder.end());
    return renderer.end();
  }

  function chunked(
    raw: Uint8Array,
    sizes: readonly number[],
    options: { redact?: boolean } = {},
    maxOutputBytes = MiB,
  ) {
    const pipeline = createOutputPipeline({ maxOutputBytes, ...options });
    for (let offset = 0, i = 0; offset < raw.length; i++) {
      const size = sizes[i % sizes.length] ?? 1;
      pipeline.write(raw.subarray(offset, offset + size));
      offset += size;
    }
    return pipeline.result();
  }

  it.each(PLANTED_SECRETS)(
    'redacts a $name cut at the block boundary, next to a non-ASCII line on either side',
    ({ line, secret }) => {
      for (const [before, after] of [
        ['→ ü\n', ''],
        ['', ' ✓ 日本\n'],
        ['naïve → ', ' ← done\n'],
      ]) {
        const secretLine = encode(`${before}${line}${after}\r\n`);
        for (let intoLine = 1; intoLine < secretLine.length; intoLine++) {
          const raw = Buffer.concat([encode(filler(BLOCK - intoLine)), secretLine, encode('tail → end\r\n')]);
          const result = chunked(raw, [1024]);
          expect(result.text, `cut ${intoLine} bytes into ${JSON.stringify(before + line + after)}`).not.toContain(
            secret,
          );
          expect(result.redactions).toBe(1);
          expect(result.sha256).toBe(createHash('sha256').update(raw).digest('hex'));
        }
      }
    },
  );

  it('decodes a character split across the block boundary at every byte', () => {
    const text = 'ü✓😀日';
    const bytes = encode(text);
    for (let intoText = 1; intoText < bytes.length; intoText++) {
      const raw = Buffer.concat([encode(filler(BLOCK - intoText)), bytes, encode('\n')]);
      for (const size of [1000, 1024, 7, BLOCK + 3]) {
        expect(chunked(raw, [size]).text, `cut ${intoText} bytes in, chunks of ${size}`).toBe(
          `${filler(BLOCK - intoText)}${text}\n`,
        );
      }
    }
  });

  it('replaces a character cut off at the block boundary where a decoder would, also when plain ASCII follows', () => {
    for (const cutOff of [[0xe2], [0xe2, 0x86], [0xf0, 0x9f, 0x98], [0xc3]]) {
      for (const next of ['abc\n', 'é\n', '\x1b[31mx\n']) {
        const raw = Buffer.concat([encode(filler(BLOCK - cutOff.length)), Uint8Array.from(cutOff), encode(next)]);
        const expected = reference(raw);
        expect(expected).toContain('\ufffd');
        for (const size of [1024, 1, BLOCK, BLOCK + 1]) {
          expect(chunked(raw, [size], { redact: false }).text, `${cutOff} then ${next}, chunks of ${size}`).toBe(
            expected,
          );
        }
      }
    }
  });

  it('decodes and renders any bytes, valid UTF-8 or not, as one decoder would, whatever the chunking (property)', () => {
    const text = fc.oneof(
      fc.constantFrom('plain ascii text ', '\n', '\r\n', 'x\rY', '\x1b[31mred\x1b[0m', '\x1b[K', '\t', '\b'),
      fc.constantFrom('é', '→', '😀', '\u0085', '\u009b31m', '\u00a0'),
      fc.integer({ min: 1, max: 3 }).map((n) => filler(n * 7000)),
    );
    // Raw bytes, mostly not valid UTF-8: stray continuation bytes, cut-off characters, bytes UTF-8 never uses.
    const piece = fc.oneof(
      text.map(encode),
      text.map(encode),
      fc.uint8Array({ minLength: 1, maxLength: 6, min: 0x80 }),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 20 }),
        (pieces, sizes) => {
          const raw = Buffer.concat(pieces);
          const expected = reference(raw);
          expect(chunked(raw, sizes, { redact: false }).text).toBe(expected);
          expect(chunked(raw, [raw.length], { redact: false }).text).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  }, 30_000);

  it('cuts kept output at the last line end that fits whatever the chunking, also inside a long line', () => {
    const before = Array.from({ length: 3000 }, (_, i) => `line ${i} → ${'x'.repeat(i % 97)}\n`).join('');
    const longLine = `${'y'.repeat(40_000)}\n`;
    const raw = encode(`${before}${longLine}${'after\n'.repeat(300)}`);
    const longLineStart = Buffer.byteLength(before);
    // Caps all along the long line: the text the redactor releases meets the cap at many different points.
    for (let cap = longLineStart + 1000; cap < longLineStart + longLine.length; cap += 3000) {
      for (const size of [1024, 7000, raw.length]) {
        const result = chunked(raw, [size], {}, cap);
        expect(result.truncated).toBe(true);
        expect(result.keptBytes, `cap ${cap}, chunks of ${size}`).toBe(longLineStart);
        expect(result.text).toBe(before);
      }
    }
    expect(chunked(encode('z'.repeat(5000)), [1024], {}, 1000).text).toBe('z'.repeat(1000));
  });

  it('counts bytes and lines of the redacted output exactly, also when a redacted key spanned lines', () => {
    const pem = PLANTED_SECRETS.find((s) => s.kind === 'private-key');
    expect(pem?.line).toContain('\n');
    const text = `ü → ${pem?.line}\n${TASK_CREDENTIALS_JSON}\n${'😀 ok\n'.repeat(5000)}${PLANTED_SECRETS.map((s) => s.line).join('\n')}`;
    const raw = encode(text);
    for (const size of [1, 1000, 1024, raw.length]) {
      if (size === 1 && raw.length > 50_000) continue;
      const result = chunked(raw, [size]);
      expect(result.truncated).toBe(false);
      expect(result.renderedBytes, `chunks of ${size}`).toBe(Buffer.byteLength(result.text));
      expect(result.lineCount).toBe(result.text.split('\n').length);
      expect(result.redactions).toBe(PLANTED_SECRETS.length + 4);
    }
  });

  it('shows output still gathered in a block in the live snapshot', () => {
    const pipeline = createOutputPipeline({ maxOutputBytes: MiB });
    pipeline.write(encode('first line ✓\r\n'));
    expect(pipeline.snapshot()).toBe('first line ✓\n');
    pipeline.write(encode('building 10%'));
    expect(pipeline.snapshot()).toBe('first line ✓\nbuilding 10%');
    pipeline.write(encode('\rbuilding 90%'));
    expect(pipeline.snapshot()).toBe('first line ✓\nbuilding 90%');
  });
});
