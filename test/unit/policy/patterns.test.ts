import { describe, expect, it } from 'vitest';
import { compileCommandPattern, compileTargetPattern, normalizeCommand } from '../../../src/policy/patterns.js';

describe('command patterns', () => {
  it.each<[string, string, boolean]>([
    ['*', 'anything at all; rm -rf / | sh', true],
    ['ls *', 'ls -la /srv', true],
    ['ls *', 'ls', true],
    ['ls *', 'lsof', false],
    ['ls *', 'ls; id', false],
    ['ls *', 'ls && id', false],
    ['ls *', 'ls $(id)', false],
    ['ls *', 'ls > /tmp/x', false],
    ['ls **', 'ls -l; id', true],
    ['cat /var/log/?.log', 'cat /var/log/a.log', true],
    ['cat /var/log/?.log', 'cat /var/log/ab.log', false],
    ['kill -HUP 1', 'kill -HUP 1', true],
    ['kill -HUP 1', 'kill -HUP 12', false],
    ['a.b', 'axb', false],
    ['/^psql\\b/', 'psql -c "select 1"', true],
    ['/DROP\\s+TABLE/i', 'echo hi; drop table x', true],
    ['/DROP\\s+TABLE/', 'drop table x', false],
  ])('%s vs %j → %s', (pattern, command, expected) => {
    expect(compileCommandPattern(pattern).matches(normalizeCommand(command))).toBe(expected);
  });

  it.each<[string, string, boolean]>([
    ['rm -rf *', 'cd /tmp; rm -rf /', true],
    ['rm -rf *', 'true && rm -rf /', true],
    ['rm -rf *', 'echo $(rm -rf /)', true],
    ['rm -rf *', 'echo `rm -rf /`', true],
    ['rm -rf *', 'ls\nrm -rf /', true],
    ['rm -rf *', 'echo rm -rf', false],
  ])('deny rules also look inside compound commands: %s vs %j → %s', (pattern, command, expected) => {
    expect(compileCommandPattern(pattern).matches(normalizeCommand(command), { anySegment: true })).toBe(expected);
  });

  it('collapses runs of spaces and tabs but keeps newlines (they separate commands)', () => {
    expect(normalizeCommand('  ls \t  -l  ')).toBe('ls -l');
    expect(normalizeCommand('ls\nid')).toBe('ls\nid');
  });
});

describe('target patterns', () => {
  const subject = (clusterAlias: string, name: string | undefined, container?: string) => ({
    clusterAlias,
    name,
    container,
  });

  it.each<[string, ReturnType<typeof subject>, boolean]>([
    ['*', subject('prod', 'web', 'app'), true],
    ['prod/*', subject('prod', 'web', 'app'), true],
    ['prod/*', subject('prod', 'web'), true],
    ['prod/*', subject('staging', 'web', 'app'), false],
    ['prod/web', subject('prod', 'web', 'nginx'), true],
    ['prod/web', subject('prod', 'webhooks', 'app'), false],
    ['prod/web*', subject('prod', 'webhooks', 'app'), true],
    ['prod/web:app', subject('prod', 'web', 'app'), true],
    ['prod/web:app', subject('prod', 'web', 'envoy'), false],
    ['prod/*:app', subject('prod', 'worker', 'app'), true],
    ['*/web', subject('staging', 'web'), true],
    ['pr?d/web', subject('prod', 'web'), true],
  ])('%s vs %j → %s', (pattern, target, expected) => {
    expect(compileTargetPattern(pattern).match(target)).toBe(expected ? 'yes' : 'no');
  });

  it.each<[string, ReturnType<typeof subject>, 'yes' | 'no' | 'unknown']>([
    ['prod/web:app', subject('prod', 'web'), 'unknown'],
    ['prod/web:*', subject('prod', 'web'), 'yes'],
    ['prod/web', subject('prod', undefined), 'unknown'],
    ['prod/web:app', subject('prod', undefined), 'unknown'],
    ['prod/*', subject('prod', undefined), 'yes'],
    ['prod/*:app', subject('prod', undefined), 'unknown'],
    ['prod/*:app', subject('prod', undefined, 'envoy'), 'no'],
    ['prod/web', subject('staging', undefined), 'no'],
    ['prod/web:app', subject('prod', 'worker'), 'no'],
  ])('a part not known yet: %s vs %j → %s', (pattern, target, expected) => {
    expect(compileTargetPattern(pattern).match(target)).toBe(expected);
  });

  it('a wildcard never crosses the / or : between parts', () => {
    expect(compileTargetPattern('prod*/web').match(subject('prod/x', 'web'))).toBe('no');
  });
});
