import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EcsExecBotStack, type EcsExecBotStackProps } from '../../../deploy/ecs-exec-bot-stack.js';
import { loadConfigFile } from '../../../src/config/load-config.js';
import { generatePolicies } from '../../../src/iam/generate-policies.js';

const EXAMPLE = readFileSync(new URL('../../../ecs-exec.example.yml', import.meta.url), 'utf8');

function synth(props: Partial<EcsExecBotStackProps> = {}): Template {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'ecs-exec-cdk-')) });
  return Template.fromStack(new EcsExecBotStack(app, 'Bot', { configYaml: EXAMPLE, ...props }));
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };

function taskRoleStatements(template: Template): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^TaskRole') }] },
  });
  return Object.values(policies).flatMap(
    (p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}

const envNames = (template: Template, key: 'Environment' | 'Secrets'): string[] => {
  const defs = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  const container = (defs[0] as { Properties: { ContainerDefinitions: Array<Record<string, unknown>> } }).Properties
    .ContainerDefinitions[0];
  return ((container?.[key] as Array<{ Name: string }> | undefined) ?? []).map((e) => e.Name).sort();
};

describe('EcsExecBotStack, Socket Mode with its own Redis', () => {
  const template = synth();

  it('gives the task role exactly the statements ecs-exec iam-policy generates for the config', () => {
    const expected = generatePolicies(loadConfigFile(EXAMPLE, 'config')).botRole.permissions.Statement;
    const actual = taskRoleStatements(template);
    // ...and ssm:GetParameter on the config parameter, as `iam-policy --config-source ssm:/Bot/config` adds.
    expect(actual).toContainEqual(
      expect.objectContaining({ Sid: 'ReadConfigParameter', Effect: 'Allow', Action: 'ssm:GetParameter' }),
    );
    expect(actual).toHaveLength(expected.length + 1);
    for (const statement of expected) {
      expect(actual).toContainEqual(
        expect.objectContaining({ Effect: statement.Effect, Action: statement.Action, Resource: statement.Resource }),
      );
    }
  });

  it('runs on Fargate without a load balancer, with health check and log group', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    template.hasResourceProperties('AWS::ECS::Service', { LaunchType: 'FARGATE', DesiredCount: 2 });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          HealthCheck: Match.objectLike({ Command: Match.arrayWith([Match.stringLikeRegexp('/healthz')]) }),
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
        }),
      ],
    });
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
  });

  it('keeps Slack tokens in Secrets Manager, the config in Parameter Store and Redis behind TLS and AUTH', () => {
    expect(envNames(template, 'Secrets')).toEqual(['REDIS_AUTH_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_BOT_TOKEN']);
    expect(envNames(template, 'Environment')).toEqual([
      'ECS_EXEC_CONFIG',
      'LOG_LEVEL',
      'PORT',
      'REDIS_HOST',
      'REDIS_PORT',
    ]);
    template.hasResourceProperties('AWS::SSM::Parameter', { Value: EXAMPLE, Name: '/Bot/config' });
    // The bot reads (and reloads) the parameter itself, with ssm:GetParameter on it alone.
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([{ Name: 'ECS_EXEC_CONFIG', Value: 'ssm:/Bot/config' }]),
        }),
      ],
    });
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      AuthToken: Match.anyValue(),
      AutomaticFailoverEnabled: true,
    });
  });

  it('alarms on errors, interrupted and refused runs from the bot, and on missing replicas', () => {
    template.resourceCountIs('AWS::Logs::MetricFilter', 3);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: Match.stringLikeRegexp('interrupted'),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RunningTaskCount',
      ComparisonOperator: 'LessThanThreshold',
    });
  });

  it('prints the trust policy each per-cluster role needs, naming the task role', () => {
    const outputs = template.findOutputs('*');
    const trust = Object.entries(outputs).find(([key]) => key.startsWith('ClusterRole0Trust'))?.[1];
    expect(JSON.stringify(trust)).toContain('sts:SourceIdentity');
    expect(JSON.stringify(trust)).toContain('TaskRole');
  });
});

describe('EcsExecBotStack, HTTP mode with an existing Redis', () => {
  const template = synth({
    slackMode: 'http',
    redisUrl: 'rediss://redis.internal:6379',
    certificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/abc',
  });

  it('puts the bot behind an HTTPS load balancer that checks /healthz', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Protocol: 'HTTPS', Port: 443 });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/healthz' });
  });

  it('uses the given Redis and the signing secret instead of an app token', () => {
    template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 0);
    expect(envNames(template, 'Secrets')).toEqual(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']);
    expect(envNames(template, 'Environment')).toContain('REDIS_URL');
  });
});

it('refuses to synthesise a config the bot would refuse', () => {
  expect(() => synth({ configYaml: 'clusters: {}\n' })).toThrow(/cluster/);
});
