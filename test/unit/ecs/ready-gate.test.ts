import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createExitMarkerFilter, createReadyGate, wrapCommand } from '../../../src/ecs/exit-code.js';
import { splitShellWords } from '../../fixtures/ssm/shell-words.js';

const MARKER = '__ECSEXEC_0123456789abcdef0123__';
const bytes = (text: string) => new TextEncoder().encode(text);

function feed(chunks: string[]): { out: string; status: number | null; readyAt: number } {
  let readyAt = -1;
  const gate = createReadyGate(MARKER, () => {
    readyAt = chunks.length;
  });
  const out = chunks.map((chunk) => Buffer.from(gate.push(bytes(chunk))));
  out.push(Buffer.from(gate.end()));
  return { out: Buffer.concat(out).toString('utf8'), status: gate.status, readyAt };
}

describe('createReadyGate', () => {
  it.each([
    ['LF', `${MARKER}:0\nhello\n`, 0],
    ['CRLF (stty failed)', `${MARKER}:1\r\nhello\r\n`, 1],
  ])('removes the ready line (%s) and reports its status', (_name, text, status) => {
    const result = feed([text]);
    expect(result.status).toBe(status);
    expect(result.out).toBe(status === 0 ? 'hello\n' : 'hello\r\n');
  });

  it('finds the line however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(40), { maxLength: 6 }), (cuts) => {
        const text = `${MARKER}:0\nafter`;
        const points = [...new Set(cuts.map((c) => c % text.length))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((from, i) => text.slice(from, [...points, text.length][i]));
        const result = feed(chunks);
        expect(result.out).toBe('after');
        expect(result.status).toBe(0);
      }),
    );
  });

  it('keeps what came before the line, and gives everything back when it never comes', () => {
    expect(feed([`sh: oops\n${MARKER}:0\nx`]).out).toBe('sh: oops\nx');
    const lost = feed(['no ready line here']);
    expect(lost.out).toBe('no ready line here');
    expect(lost.status).toBeNull();
  });
});

describe('wrapCommand with a plain terminal', () => {
  it('reports the stty status first, then the command runs with its exit code', () => {
    const wrapped = wrapCommand("printf 'a\\nb\\n'; exit 4", 'sh', { plainTerminal: true });
    expect(wrapped.readyMarker).not.toBeNull();
    const [file, ...args] = splitShellWords(wrapped.command);
    // No terminal here, so stty fails: the ready line says so (non-zero) and output is untouched.
    const result = spawnSync(file as string, args, { encoding: 'buffer', stdio: ['ignore', 'pipe', 'pipe'] });
    const statuses: number[] = [];
    const gate = createReadyGate(wrapped.readyMarker as string, (status) => statuses.push(status));
    const filter = createExitMarkerFilter(wrapped.marker);
    const out = Buffer.concat([filter.push(gate.push(result.stdout)), filter.push(gate.end()), filter.end()]);
    expect(out.toString()).toBe('a\nb\n');
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).not.toBe(0);
    expect(filter.exitCode).toBe(4);
    expect(wrapped.command).not.toContain(wrapped.readyMarker);
  });
});
