import { describe, expect, it } from 'vitest';
import { parseTarget } from '../../../src/shared/ecs-target.js';
import { normalizeSlackText, parseSlashCommand } from '../../../src/slack/parse-command.js';

const TASK = '0123456789abcdef0123456789abcdef';

describe('parseSlashCommand: run requests', () => {
  it.each([
    ['prod/api -- uptime', { target: { kind: 'service', cluster: 'prod', service: 'api' }, command: 'uptime' }],
    [
      "prod/api:app -- rails runner 'puts User.count'",
      {
        target: { kind: 'service', cluster: 'prod', service: 'api', container: 'app' },
        command: "rails runner 'puts User.count'",
      },
    ],
    [`prod/${TASK} -- ls`, { target: { kind: 'task', cluster: 'prod', taskId: TASK }, command: 'ls' }],
    [
      `prod/${TASK}:web -- ls`,
      { target: { kind: 'task', cluster: 'prod', taskId: TASK, container: 'web' }, command: 'ls' },
    ],
    [
      `arn:aws:ecs:eu-west-1:111122223333:task/prod/${TASK}:app -- ls`,
      {
        target: {
          kind: 'task-arn',
          taskArn: `arn:aws:ecs:eu-west-1:111122223333:task/prod/${TASK}`,
          cluster: 'prod',
          taskId: TASK,
          region: 'eu-west-1',
          account: '111122223333',
          container: 'app',
        },
        command: 'ls',
      },
    ],
    // The command is kept verbatim, including a second "--" and quotes.
    ['prod/api -- grep -- "--x" file', { command: 'grep -- "--x" file' }],
    [
      'prod/api --reason "disk full" --timeout 5m -- df -h',
      { reason: 'disk full', timeoutMs: 300_000, command: 'df -h' },
    ],
    ['--timeout=90s prod/api -- df', { timeoutMs: 90_000 }],
    ['prod/api --break-glass --reason outage -- df', { breakGlass: true, reason: 'outage' }],
    ['prod/api --no-wrap -- df', { noWrap: true, breakGlass: false }],
    // Slack's quirks are undone: entities, smart quotes, auto-links.
    ['prod/api -- echo a &amp;&amp; echo b &gt; /tmp/x', { command: 'echo a && echo b > /tmp/x' }],
    ['prod/api --reason \u201Cdisk full\u201D -- df', { reason: 'disk full' }],
    ['prod/api -- curl <http://example.com|example.com>', { command: 'curl example.com' }],
    ['prod/api -- curl <https://example.com/a?b=1>', { command: 'curl https://example.com/a?b=1' }],
    ['prod/api -- mail <mailto:a@b.io|a@b.io>', { command: 'mail a@b.io' }],
    ['prod/api -- echo \u2018hi\u2019', { command: "echo 'hi'" }],
    ['prod/api -- echo &amp;lt;', { command: 'echo &lt;' }],
  ])('%s', (text, expected) => {
    const result = parseSlashCommand(text);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value).toMatchObject({ kind: 'exec', ...expected });
  });
});

describe('parseSlashCommand: sub-commands', () => {
  it.each([
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['  help  ', { kind: 'help' }],
    ['runbooks', { kind: 'runbooks' }],
    ['status r-7f3k2m', { kind: 'status', requestId: 'r-7f3k2m' }],
    ['cancel r-7f3k2m', { kind: 'cancel', requestId: 'r-7f3k2m' }],
    ['history', { kind: 'history', limit: 10 }],
    ['history 25', { kind: 'history', limit: 25 }],
    ['doctor prod/api', { kind: 'doctor', target: { kind: 'service', cluster: 'prod', service: 'api' } }],
    ['explain prod/api -- rm -rf /', { kind: 'explain', command: 'rm -rf /' }],
    ['run restart-worker', { kind: 'run', runbook: 'restart-worker', params: {} }],
    [
      'run tail-log cluster=prod service=api lines=100 --reason "slow"',
      { kind: 'run', runbook: 'tail-log', params: { cluster: 'prod', service: 'api', lines: '100' }, reason: 'slow' },
    ],
    ['run greet name="Jane Doe"', { kind: 'run', params: { name: 'Jane Doe' } }],
    ['run greet msg=a=b', { kind: 'run', params: { msg: 'a=b' } }],
    ['run greet empty=', { kind: 'run', params: { empty: '' } }],
  ])('%j', (text, expected) => {
    const result = parseSlashCommand(text);
    expect(result).toMatchObject({ ok: true, value: expected });
  });
});

describe('parseSlashCommand: mistakes get an explanation and a way to write it right', () => {
  it.each([
    ['prod/api', 'the command must come after --'],
    ['prod/api --', 'the command after -- is empty'],
    ['prod/api --    ', 'the command after -- is empty'],
    ['prod -- ls', 'is not a target'],
    ['/api -- ls', 'is not a target'],
    ['prod/ -- ls', 'is not a target'],
    ['prod/api: -- ls', 'not a valid container'],
    ['prod/api --force -- ls', 'unknown option "--force"'],
    ['prod/api --timeout 5 -- ls', '--timeout needs a duration'],
    ['prod/api --timeout -- ls', '--timeout needs a duration'],
    ['prod/api --reason -- ls', '--reason needs a text'],
    ['prod/api ls -la', 'unexpected "ls -la" before --'],
    ['prod/api --reason "oops -- ls', 'never closed'],
    ['-- ls', 'a target is missing'],
    ['deploy', 'unknown sub-command "deploy"'],
    ['status', '"status" needs one request id'],
    ['status 123', '"status" needs one request id'],
    ['cancel r-1 r-2', '"cancel" needs one request id'],
    ['history 0', 'not a count from 1 to 50'],
    ['history lots', 'not a count'],
    ['doctor', '"doctor" needs one target'],
    ['doctor prod', 'is not a target'],
    ['explain prod/api', 'the command after -- is missing'],
    ['run', '"run" needs a runbook name'],
    ['run tail lines', '"lines" is not a name=value parameter'],
    ['run tail a=1 a=2', 'given twice'],
    ['run tail -- ls', 'not a command after --'],
    ['runbooks all', 'takes no arguments'],
    ['arn:aws:ecs:eu-west-1:1:task/prod/xyz -- ls', 'is not a task ARN'],
  ])('%j', (text, error) => {
    const result = parseSlashCommand(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toContain(error);
      expect(result.hint.length).toBeGreaterThan(5);
    }
  });
});

describe('normalizeSlackText', () => {
  it('decodes entities once, so an escaped entity stays literal', () => {
    expect(normalizeSlackText('a &amp;amp; b &lt;!channel&gt;')).toBe('a &amp; b <!channel>');
  });
});

describe('parseTarget', () => {
  it('tells a 32-hex task id from a service name', () => {
    expect(parseTarget(`c/${TASK}`)).toMatchObject({ ok: true, value: { kind: 'task' } });
    expect(parseTarget(`c/${TASK}0`)).toMatchObject({ ok: true, value: { kind: 'service' } });
    expect(parseTarget(`c/${TASK.toUpperCase()}`)).toMatchObject({ ok: true, value: { kind: 'service' } });
  });
});

describe('parseSlashCommand: fan-out over a service', () => {
  it('reads --all, --tasks N and the rate limits, with the defaults where they are left out', () => {
    const all = parseSlashCommand('prod/api --all -- uptime');
    expect(all).toMatchObject({
      ok: true,
      value: {
        kind: 'exec',
        command: 'uptime',
        fleet: {
          selection: { kind: 'all' },
          limits: { maxConcurrency: { kind: 'count', value: 10 }, maxErrors: { kind: 'count', value: 0 } },
        },
      },
    });
    const some = parseSlashCommand('prod/api --tasks 5 --max-concurrency 50% --max-errors=2 -- df -h');
    expect(some).toMatchObject({
      ok: true,
      value: {
        fleet: {
          selection: { kind: 'count', count: 5 },
          limits: { maxConcurrency: { kind: 'percent', value: 50 }, maxErrors: { kind: 'count', value: 2 } },
        },
      },
    });
    expect(parseSlashCommand('prod/api -- uptime')).toMatchObject({ ok: true, value: { kind: 'exec' } });
    const single = parseSlashCommand('prod/api -- uptime');
    expect(single.ok && single.value.kind === 'exec' && single.value.fleet).toBeUndefined();
  });

  it.each([
    ['prod/api --tasks 0 -- uptime', /--tasks 0: give a number of tasks, at least 1/],
    ['prod/api --all --max-errors 150% -- uptime', /--max-errors 150%: a percentage must be from 0 up to 100%/],
    ['prod/api --all --max-concurrency lots -- uptime', /--max-concurrency "lots" is not a number/],
    ['prod/api --all --tasks 3 -- uptime', /give --all or --tasks N, not both/],
    ['prod/api --max-errors 1 -- uptime', /go with --all or --tasks N/],
    [`prod/${'a'.repeat(32)} --all -- uptime`, /the target must be <cluster>\/<service>/],
    ['prod/api --all --no-wrap -- uptime', /--no-wrap is for one task/],
    ['prod/api --tasks -- uptime', /--tasks needs a value/],
    ['run restart --all', /a runbook runs on one task/],
  ])('refuses %s with a clear error', (typed, error) => {
    const result = parseSlashCommand(typed);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(error);
  });
});
