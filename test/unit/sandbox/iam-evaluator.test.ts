import { describe, expect, it } from 'vitest';
import { policyDocument } from '../../../src/iam/policy-document.js';
import { evaluatePolicies, trustAllows } from '../../../src/sandbox/aws-api/iam-evaluator.js';

const TASK = 'arn:aws:ecs:eu-west-1:111122223333:task/prod/0a1b';
const exec = (container: string | undefined, resource = TASK) => ({
  action: 'ecs:ExecuteCommand',
  resource,
  context: { 'ecs:container-name': container },
});

describe('evaluatePolicies', () => {
  const policy = policyDocument([
    {
      Effect: 'Allow',
      Action: 'ecs:Execute*',
      Resource: 'arn:aws:ecs:eu-west-1:111122223333:task/prod/*',
      Condition: { StringLike: { 'ecs:container-name': ['app', 'side?'] } },
    },
    { Effect: 'Allow', Action: 'ecs:ListTasks', Resource: '*' },
    {
      Effect: 'Deny',
      Action: 'ECS:EXECUTECOMMAND',
      Resource: '*',
      Condition: { StringEquals: { 'ecs:container-name': 'side1' } },
    },
  ]);

  it.each([
    ['a wildcard action and resource with a matching condition', exec('app'), 'allow'],
    ['a ? wildcard in a condition value', exec('side2'), 'allow'],
    ['an explicit deny, which wins (actions match case-insensitively)', exec('side1'), 'explicit-deny'],
    ['a condition key that is absent', exec(undefined), 'implicit-deny'],
    [
      'a resource outside the pattern',
      exec('app', 'arn:aws:ecs:eu-west-1:111122223333:task/staging/0a1b'),
      'implicit-deny',
    ],
    [
      'a statement on * for an action without resource-level permissions',
      { action: 'ecs:ListTasks', resource: '*', context: {} },
      'allow',
    ],
    [
      'a named resource never matches the * of such an action',
      { action: 'ecs:ExecuteCommand', resource: '*', context: { 'ecs:container-name': 'app' } },
      'implicit-deny',
    ],
  ] as const)('%s', (_name, request, decision) => {
    expect(evaluatePolicies([policy], request)).toBe(decision);
  });

  it('fails closed on a condition operator it does not know', () => {
    const unknown = policyDocument([
      { Effect: 'Allow', Action: '*', Resource: '*', Condition: { NumericLessThan: { n: '1' } } as never },
    ]);
    expect(evaluatePolicies([unknown], { action: 'ecs:ListTasks', resource: '*', context: { n: '0' } })).toBe(
      'implicit-deny',
    );
  });
});

describe('trustAllows', () => {
  const trust = policyDocument([
    {
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111122223333:role/ecs-exec-bot' },
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      Condition: { StringLike: { 'sts:SourceIdentity': 'slack-*' } },
    },
  ]);
  const assume = (sourceIdentity: string | undefined) => ({
    action: 'sts:AssumeRole',
    resource: 'arn:aws:iam::111122223333:role/ecs-exec-prod',
    context: { 'sts:SourceIdentity': sourceIdentity },
  });

  it('lets the named principal in only with a SourceIdentity that matches', () => {
    const bot = [
      'arn:aws:sts::111122223333:assumed-role/ecs-exec-bot/task',
      'arn:aws:iam::111122223333:role/ecs-exec-bot',
    ];
    expect(trustAllows(trust, bot, assume('slack-U0123'))).toBe(true);
    expect(trustAllows(trust, bot, assume(undefined))).toBe(false);
    expect(trustAllows(trust, ['arn:aws:iam::111122223333:user/mallory'], assume('slack-U0123'))).toBe(false);
  });
});
