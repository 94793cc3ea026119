import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/load-config.js';
import { prepareRunbook } from '../../../src/policy/runbooks.js';
import { shellQuote } from '../../../src/shared/shell-quote.js';

/** Runs `command` with the real `sh -c` and returns the arguments `printf '%s\0'` printed. */
function argvPrintedBy(command: string): string[] {
  const result = spawnSync('sh', ['-c', command], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
  if (result.status !== 0) throw new Error(`sh failed (${result.status}): ${result.stderr.toString()}`);
  const printed = result.stdout.toString('utf8');
  // printf '%s\0' ends every argument with NUL, so the last split element is always empty.
  return printed.split('\0').slice(0, -1);
}

const policy = loadConfigFile(
  `
clusters:
  prod: { cluster: prod, region: eu-west-1 }
groups:
  sre: { users: [U0SRE] }
runbooks:
  echo:
    target: prod/web
    command: printf '%s\\0' {{value}}
    params:
      value: { type: string, maxLength: 4096 }
    who: [sre]
    approval: none
  glued:
    target: prod/web
    command: printf '%s\\0' --name={{value}} {{value}}x {{count}} {{flag}}
    params:
      value: { type: string, maxLength: 4096 }
      count: { type: int }
      flag: { type: bool }
    who: [sre]
    approval: none
`,
  'shell.yml',
);

const INJECTION_CORPUS = [
  '',
  ' ',
  "'",
  "'\\''",
  '"',
  '\\',
  '$(id)',
  '`id`',
  ['$', '{HOME}'].join(''), // parameter expansion, spelled so it is not mistaken for a template
  '$HOME',
  '; rm -rf / #',
  '&& echo pwned',
  '| cat /etc/passwd',
  'a\nb',
  'line\r\n',
  '*',
  '~',
  '~root',
  'a=b',
  '-n',
  '--help',
  '{a,b}',
  '!!',
  '# comment',
  'émoji 🎉 ‮rtl',
  'zero\u200bwidth',
  'x'.repeat(4096),
];

describe('shellQuote', () => {
  it.each([
    ['200', '200'],
    ['/var/log/app.log', '/var/log/app.log'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
    ['a=b', "'a=b'"],
    ['$(id)', "'$(id)'"],
  ])('%j → %s', (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
  });

  it.each(INJECTION_CORPUS.map((value) => [value]))('sh receives %j as one literal argument', (value) => {
    expect(argvPrintedBy(`printf '%s\\0' ${shellQuote(value)}`)).toEqual([value]);
  });
});

// Hundreds of real `sh` processes each: on a loaded machine that takes far longer than the default 5 s.
const SPAWNING_PROPERTY = { timeout: 120_000 };

describe('runbook commands run by sh', () => {
  it('every accepted string value reaches the command as exactly one literal argument', SPAWNING_PROPERTY, () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (value) => {
        const prepared = prepareRunbook(policy, 'echo', { value });
        // Values a process argument cannot carry (NUL, lone surrogates) must be refused, never mangled.
        fc.pre(prepared.ok);
        if (!prepared.ok) return;
        expect(argvPrintedBy(prepared.run.command)).toEqual([value]);
      }),
      { numRuns: 300, examples: INJECTION_CORPUS.slice(0, 26).map((value) => [value]) },
    );
  });

  it('values glued to text, repeated, and typed int/bool stay literal too', SPAWNING_PROPERTY, () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.boolean(),
        (value, count, flag) => {
          const prepared = prepareRunbook(policy, 'glued', { value, count: String(count), flag: String(flag) });
          fc.pre(prepared.ok);
          if (!prepared.ok) return;
          expect(argvPrintedBy(prepared.run.command)).toEqual([
            `--name=${value}`,
            `${value}x`,
            String(count),
            String(flag),
          ]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses values that no argument can carry', () => {
    expect(prepareRunbook(policy, 'echo', { value: 'a\0b' })).toMatchObject({
      ok: false,
      problems: [{ param: 'value', message: 'contains a NUL character, which no command argument can carry' }],
    });
    expect(prepareRunbook(policy, 'echo', { value: '\uD800' })).toMatchObject({
      ok: false,
      problems: [{ param: 'value', message: 'is not valid Unicode text' }],
    });
  });
});
