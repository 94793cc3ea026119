import { describe, expect, it } from 'vitest';
import { createOutputPipeline } from '../../../src/output/pipeline.js';
import { ordinaryOutput } from '../../fixtures/output/ordinary-output.js';
import { PEM_BLOCK, PEM_SECRET_LINES, secretCorpus } from '../../fixtures/output/secret-corpus.js';

const MiB = 1024 * 1024;
/** Megabytes go through the pipeline several times: seconds on a busy machine. */
const HEAVY = { timeout: 60_000 };
const CORPUS = secretCorpus();

/** What must not appear: the whole secret, and a piece of its middle (a partial leak is a leak). */
function leaksOf(text: string): string[] {
  const leaks: string[] = [];
  for (const { secret, kind, shape } of CORPUS) {
    const middle = secret.length >= 24 ? secret.slice(secret.length / 2 - 6, secret.length / 2 + 6) : secret;
    if (text.includes(secret) || text.includes(middle)) leaks.push(`${kind} (${shape})`);
  }
  return leaks;
}

function runPipeline(text: string, chunkSizes: readonly number[]): { text: string; tail: string; redactions: number } {
  const bytes = Buffer.from(text, 'utf8');
  const pipeline = createOutputPipeline({ maxOutputBytes: 16 * MiB });
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = chunkSizes[i % chunkSizes.length] ?? 1024;
    pipeline.write(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return pipeline.result();
}

describe('secret corpus', () => {
  it('holds at least 150 secrets of at least 60 kinds in the shapes people print them', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(150);
    expect(new Set(CORPUS.map((s) => s.kind)).size).toBeGreaterThanOrEqual(60);
    expect(new Set(CORPUS.map((s) => s.shape)).size).toBeGreaterThanOrEqual(10);
  });

  it('redacts every secret planted in a megabyte of ordinary output, in 1 KiB frames and in odd ones', HEAVY, () => {
    const ordinary = ordinaryOutput(1.2 * MiB);
    // One corpus entry every ~40 ordinary lines, so secrets fall across frames and the redactor's carry-over cut.
    const lines: string[] = [];
    ordinary.forEach((line, i) => {
      lines.push(line);
      const planted = CORPUS[i / 40];
      if (i % 40 === 0 && planted) lines.push(`${planted.text}\n`);
    });
    const input = lines.join('');
    for (const sizes of [[1024], [1, 7, 333, 1024, 4096, 65_536], [977]]) {
      const result = runPipeline(input, sizes);
      expect(leaksOf(result.text)).toEqual([]);
      expect(leaksOf(result.tail)).toEqual([]);
      expect(result.redactions).toBeGreaterThanOrEqual(CORPUS.length);
    }
  });

  it('changes no more than 1 in 10,000 lines of ordinary output', HEAVY, () => {
    const ordinary = ordinaryOutput(1.2 * MiB);
    const out = runPipeline(ordinary.join(''), [1024]).text.split('\n');
    let changed = 0;
    const examples: string[] = [];
    ordinary.forEach((line, i) => {
      if (`${out[i]}\n` !== line) {
        changed++;
        if (examples.length < 5) examples.push(`${line.trimEnd()} -> ${out[i]}`);
      }
    });
    expect(ordinary.length).toBeGreaterThan(10_000);
    expect(changed, examples.join('\n')).toBeLessThanOrEqual(ordinary.length / 10_000);
  });

  it('redacts a private key block split across two frames at every offset', HEAVY, () => {
    const text = `before\n${PEM_BLOCK}after\n`;
    const bytes = Buffer.from(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const pipeline = createOutputPipeline({ maxOutputBytes: MiB });
      pipeline.write(bytes.subarray(0, cut));
      const live = pipeline.snapshot();
      pipeline.write(bytes.subarray(cut));
      const result = pipeline.result();
      for (const line of PEM_SECRET_LINES) {
        expect(result.text, `cut at ${cut}`).not.toContain(line.slice(8, 40));
        expect(live, `live tail, cut at ${cut}`).not.toContain(line.slice(8, 40));
      }
      expect(result.text).toBe('before\n[REDACTED private-key]\nafter\n');
    }
  });
});
