import { describe, expect, it } from 'vitest';
import { wrapperOutputFilter } from '../../../src/ecs/exit-code.js';

const READY = '__ECSEXEC_ready__';
const EXIT = '__ECSEXEC_exit__';

/** Feeds `chunks` through the filter one by one, as the session does, and collects what the person sees. */
function feed(filter: NonNullable<ReturnType<typeof wrapperOutputFilter>>, chunks: string[]): string {
  const shown = chunks.map((chunk) => Buffer.from(filter.push(Buffer.from(chunk))).toString());
  return shown.join('') + Buffer.from(filter.end()).toString();
}

describe('wrapperOutputFilter: what the SSM session is given instead of the wrapper', () => {
  it('is absent for a command run as given, so the session reports the agent’s own exit code', () => {
    expect(wrapperOutputFilter({ marker: null, readyMarker: null })).toBeNull();
  });

  it('removes the exit-status line split anywhere and reads the status off it', () => {
    const filter = wrapperOutputFilter({ marker: EXIT, readyMarker: null });
    if (!filter) throw new Error('expected a filter');
    expect(feed(filter, ['hello\n', `\n${EXIT.slice(0, 5)}`, `${EXIT.slice(5)}:3\n`])).toBe('hello\n');
    expect(filter.exitCode).toBe(3);
    expect(filter.marker).toBe(EXIT);
  });

  it('with a plain terminal, removes the ready line first and reports its status once', () => {
    const statuses: number[] = [];
    const filter = wrapperOutputFilter({ marker: EXIT, readyMarker: READY }, (status) => statuses.push(status));
    if (!filter) throw new Error('expected a filter');
    expect(feed(filter, [`${READY}:0\n`, 'a\nb\n', `\n${EXIT}:0\n`])).toBe('a\nb\n');
    expect(statuses).toEqual([0]);
    expect(filter.exitCode).toBe(0);
  });

  it('gives back output held for a ready line that never came', () => {
    const filter = wrapperOutputFilter({ marker: EXIT, readyMarker: READY });
    if (!filter) throw new Error('expected a filter');
    expect(feed(filter, ['sh: stty: not found\n'])).toBe('sh: stty: not found\n');
    expect(filter.exitCode).toBeNull();
  });
});
