import { describe, expect, it } from 'vitest';
import { MalformedTargetError } from '../../../src/ecs/errors.js';
import { targetFromFlags } from '../../../src/ecs/resolve-target.js';
import { parseTarget } from '../../../src/shared/ecs-target.js';
import { parseSlashCommand } from '../../../src/slack/parse-command.js';

const TASK = '0123456789abcdef0123456789abcdef';
const UUID_TASK = '01234567-89ab-cdef-0123-456789abcdef';

describe('one target grammar for Slack, the CLI and runbooks', () => {
  it.each([
    ['prod/web', { kind: 'service', cluster: 'prod', service: 'web' }],
    ['prod/web_v2-blue:app_1', { kind: 'service', service: 'web_v2-blue', container: 'app_1' }],
    [`prod/${TASK}`, { kind: 'task', taskId: TASK }],
    [`prod/${UUID_TASK}:app`, { kind: 'task', taskId: UUID_TASK, container: 'app' }],
    [`prod/${'s'.repeat(255)}`, { kind: 'service', service: 's'.repeat(255) }],
    [
      `arn:aws:ecs:eu-west-1:111122223333:task/prod/${TASK}:app`,
      {
        kind: 'task-arn',
        cluster: 'prod',
        taskId: TASK,
        region: 'eu-west-1',
        account: '111122223333',
        container: 'app',
      },
    ],
  ])('reads %s', (text, expected) => {
    expect(parseTarget(text)).toMatchObject({ ok: true, value: expected });
  });

  it.each([
    ['prod/web.v2', 'not a valid service'],
    ['prod.eu/web', 'not a valid cluster'],
    ['prod/web:app.1', 'not a valid container'],
    [`prod/${'s'.repeat(256)}`, 'not a valid service'],
  ])('refuses %s as ECS would, saying what ECS allows', (text, error) => {
    const parsed = parseTarget(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(new RegExp(`${error}.*letters, digits, - and _`));
  });

  it('the Slack parser and the CLI agree on names with a dot', () => {
    expect(parseSlashCommand('prod/web.v2 -- ls').ok).toBe(false);
    expect(() => targetFromFlags({ cluster: 'prod', service: 'web.v2' })).toThrow(MalformedTargetError);
  });

  it('the Slack parser and the CLI agree on the older UUID task ids', () => {
    expect(parseSlashCommand(`prod/${UUID_TASK} -- ls`)).toMatchObject({
      ok: true,
      value: { target: { taskId: UUID_TASK } },
    });
    expect(targetFromFlags({ cluster: 'prod', task: UUID_TASK })).toMatchObject({ kind: 'task', taskId: UUID_TASK });
  });
});
