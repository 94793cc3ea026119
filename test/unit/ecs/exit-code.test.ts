import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createExitMarkerFilter, prepareCommand, wrapCommand } from '../../../src/ecs/exit-code.js';
import { shellQuote } from '../../../src/shared/shell-quote.js';
import { splitShellWords } from '../../fixtures/ssm/shell-words.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const str = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString('utf8');

/** Runs a wrapped command as the agent would: split into argv, exec without a shell. */
function runWrapped(command: string): { output: string; exitCode: number | null; rawHasMarker: boolean } {
  const wrapped = wrapCommand(command, 'sh');
  const [file, ...args] = splitShellWords(wrapped.command);
  const result = spawnSync(file as string, args, { encoding: 'buffer' });
  const raw = Buffer.concat([result.stdout, result.stderr]);
  const filter = createExitMarkerFilter(wrapped.marker);
  const out = [filter.push(raw), filter.end()];
  return { output: str(out), exitCode: filter.exitCode, rawHasMarker: raw.includes(wrapped.marker) };
}

describe('wrapCommand', () => {
  it.each([
    ['echo hello', 'hello\n', 0],
    ['exit 3', '', 3],
    ['false', '', 1],
    ["echo \"it's\" 'quoted'; exit 7", "it's quoted\n", 7],
    ['printf no-newline', 'no-newline', 0],
    ['echo a | tr a b && test -n "$HOME"', 'b\n', 0],
    ['echo done # a comment; exit 9', 'done\n', 0],
    ['printf \'%s\\n\' "$((40 + 2))"', '42\n', 0],
    ['sh -c "exit 255"', '', 255],
    ['cat <<EOF\nfirst\nsecond\nEOF\nexit 4', 'first\nsecond\n', 4],
    ['echo one\necho two # trailing comment', 'one\ntwo\n', 0],
  ])('%s → output %j, exit code %i, through the agent’s splitting and a real sh', (command, output, code) => {
    const run = runWrapped(command);
    expect(run.rawHasMarker).toBe(true);
    expect(run.output).toBe(output);
    expect(run.exitCode).toBe(code);
  });

  it.each(['echo "unclosed', 'if true; then echo x', 'echo a >'])(
    'reports a syntax error in %j as the shell does (exit code 2, its message), never as a lost session',
    (command) => {
      const run = runWrapped(command);
      expect(run.exitCode).toBe(2);
      expect(run.output).toMatch(/syntax error/i);
    },
  );

  it('uses a fresh marker per run that never appears whole in the command line', () => {
    const a = wrapCommand('ps', 'sh');
    const b = wrapCommand('ps', 'sh');
    expect(a.marker).not.toBe(b.marker);
    expect(a.command).not.toContain(a.marker);
    expect(a.command.startsWith('sh -c ')).toBe(true);
  });

  it('quotes an unusual shell path', () => {
    expect(wrapCommand('true', '/opt/my shell/sh').command.startsWith("'/opt/my shell/sh' -c ")).toBe(true);
    expect(shellQuote('/bin/bash')).toBe('/bin/bash');
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it('runs a command as given with no shell and no marker', () => {
    expect(prepareCommand('ls -l', 'none')).toEqual({ command: 'ls -l', marker: null, readyMarker: null });
    expect(prepareCommand('ls -l', 'none', { plainTerminal: true }).readyMarker).toBeNull();
    expect(() => wrapCommand('ls', 'none')).toThrow(expect.objectContaining({ code: 'ssm.exit_code.no_shell' }));
  });
});

describe('createExitMarkerFilter', () => {
  const marker = '__ECSEXEC_0123456789abcdef01234567__';
  const stream = `line 1\r\nline 2\r\n\r\n${marker}:42\r\n`;

  it('removes the CRLF marker line and reports the code, for every split point', () => {
    for (let cut = 0; cut <= stream.length; cut += 1) {
      const filter = createExitMarkerFilter(marker);
      const out = [filter.push(bytes(stream.slice(0, cut))), filter.push(bytes(stream.slice(cut))), filter.end()];
      expect(str(out), `cut ${cut}`).toBe('line 1\r\nline 2\r\n');
      expect(filter.exitCode).toBe(42);
    }
  });

  it('works byte by byte', () => {
    const filter = createExitMarkerFilter(marker);
    const out = [...bytes(`abc\r\n${marker}:0\r\n`)].map((b) => filter.push(Uint8Array.of(b)));
    out.push(filter.end());
    expect(str(out)).toBe('abc');
    expect(filter.exitCode).toBe(0);
  });

  it('holds back only a tail that could still be the marker', () => {
    const filter = createExitMarkerFilter(marker);
    expect(str([filter.push(bytes('plain text'))])).toBe('plain text');
    expect(str([filter.push(bytes('more\r'))])).toBe('more');
    expect(str([filter.push(bytes('\n__ECS'))])).toBe('');
    expect(str([filter.push(bytes('NOPE'))])).toBe('\r\n__ECSNOPE');
    expect(str([filter.push(bytes('\r\nnot a marker\r\n'))])).toBe('\r\nnot a marker');
    expect(str([filter.end()])).toBe('\r\n');
    expect(filter.exitCode).toBe(null);
  });

  it('passes through a marker-like line that is not followed by a code, and LF-only output', () => {
    const filter = createExitMarkerFilter(marker);
    const out = [filter.push(bytes(`x\n${marker}:abc\ny\n${marker}:5\n`)), filter.end()];
    expect(str(out)).toBe(`x\n${marker}:abc\ny`);
    expect(filter.exitCode).toBe(5);
  });

  it('passes everything after the marker line through untouched', () => {
    const filter = createExitMarkerFilter(marker);
    const out = [filter.push(bytes(`a\r\n${marker}:1\r\ntrailing`)), filter.push(bytes(' more')), filter.end()];
    expect(str(out)).toBe('atrailing more');
    expect(filter.exitCode).toBe(1);
  });

  it('gives back an unfinished marker at the end of the stream', () => {
    const filter = createExitMarkerFilter(marker);
    const out = [filter.push(bytes(`a\r\n${marker}:1`)), filter.end()];
    expect(str(out)).toBe(`a\r\n${marker}:1`);
    expect(filter.exitCode).toBe(null);
  });
});

describe('createExitMarkerFilter properties', () => {
  it('returns exactly the output and the code for any content and any chunking', () => {
    const marker = '__ECSEXEC_0123456789abcdef01234567__';
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 12 }),
        (content, code, crlf, cuts) => {
          // Without a pty's CRLF, content ending in CR before the LF-only marker line is ambiguous; a pty never
          // produces that stream, since the marker's own \n always arrives as \r\n.
          fc.pre(crlf || content.at(-1) !== 0x0d);
          const eol = crlf ? '\r\n' : '\n';
          const stream = Buffer.concat([Buffer.from(content), Buffer.from(`${eol}${marker}:${code}${eol}`)]);
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const filter = createExitMarkerFilter(marker);
          const out: Uint8Array[] = [];
          let from = 0;
          for (const point of [...points, stream.length]) {
            out.push(filter.push(stream.subarray(from, point)));
            from = point;
          }
          out.push(filter.end());
          expect(Buffer.concat(out).equals(Buffer.from(content))).toBe(true);
          expect(filter.exitCode).toBe(code);
        },
      ),
      { numRuns: 500 },
    );
  });
});
