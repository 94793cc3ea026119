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
  const subject = (clusterAlias: string, name: string, container?: string) => ({ clusterAlias, name, container });

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
    expect(compileTargetPattern(pattern).matches(target, 'no')).toBe(expected);
  });

  it('a pattern about one container: an unknown container fails an allow and matches a deny', () => {
    const matcher = compileTargetPattern('prod/web:app');
    expect(matcher.matches(subject('prod', 'web'), 'no')).toBe(false);
    expect(matcher.matches(subject('prod', 'web'), 'yes')).toBe(true);
  });

  it('a wildcard never crosses the / or : between parts', () => {
    expect(compileTargetPattern('prod*/web').matches(subject('prod/x', 'web'), 'no')).toBe(false);
  });
});
