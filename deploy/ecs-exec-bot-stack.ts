import { fileURLToPath } from 'node:url';
import {
  aws_certificatemanager as acm,
  CfnOutput,
  aws_cloudwatch as cloudwatch,
  Duration,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_ecs_patterns as ecsPatterns,
  aws_elasticache as elasticache,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_logs as logs,
  Stack,
  type StackProps,
  aws_secretsmanager as secretsmanager,
  aws_ssm as ssm,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { loadConfigFile } from '../src/config/load-config.js';
import { generatePolicies } from '../src/iam/generate-policies.js';

/** How the stack is shaped; every field has a default that synthesises without an AWS account. */
export interface EcsExecBotStackProps extends StackProps {
  /** The bot's config file (YAML) as text; it is validated here and stored in SSM Parameter Store. */
  configYaml: string;
  /** `socket`: Socket Mode, no load balancer. `http`: Slack calls `/slack/events` through a public ALB. */
  slackMode?: 'socket' | 'http';
  /** HTTP mode: an ACM certificate for the ALB's HTTPS listener (Slack only calls https URLs). */
  certificateArn?: string;
  /** An existing Redis (`rediss://...`); without it an ElastiCache replication group with TLS and AUTH is made. */
  redisUrl?: string;
  /** Replicas of the bot; they share Redis, so more than one is safe. */
  desiredCount?: number;
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const PORT = 3000;

/**
 * The container's start: with ElastiCache the URL is put together from its endpoint and AUTH token, so the token
 * stays in Secrets Manager and never appears in the task definition. The bot reads its config from Parameter Store
 * itself (ECS_EXEC_CONFIG=ssm:/...), and reloads it when the parameter gets a new version.
 */
const START = [
  'if [ -n "$REDIS_AUTH_TOKEN" ]; then export REDIS_URL="rediss://:$REDIS_AUTH_TOKEN@$REDIS_HOST:$REDIS_PORT"; unset REDIS_AUTH_TOKEN; fi',
  'exec node bin/ecs-exec.js serve',
].join('\n');

/** The bot on ECS Fargate, with its least-privilege task role generated from the config it runs with. */
export class EcsExecBotStack extends Stack {
  readonly taskRole: iam.Role;

  constructor(scope: Construct, id: string, props: EcsExecBotStackProps) {
    super(scope, id, props);
    const mode = props.slackMode ?? 'socket';
    // The same validation as at start-up: a config the bot would refuse never gets deployed.
    const policy = loadConfigFile(props.configYaml, 'config');

    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR });

    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'ecs-exec-bot: runs approved commands with ECS Exec (policy from ecs-exec iam-policy)',
    });
    // Named, not generated: ECS_EXEC_CONFIG takes the name, and `iam-policy --config-source` writes the same ARN.
    const configName = `/${this.stackName}/config`;
    const configParameter = new ssm.StringParameter(this, 'Config', {
      description: 'ecs-exec-bot config (ECS_EXEC_CONFIG); a new version is picked up by the running bot',
      parameterName: configName,
      stringValue: props.configYaml,
      // Standard parameters hold 4 KB; a config with many rules and runbooks needs the advanced tier.
      tier: props.configYaml.length > 4096 ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD,
    });
    const generated = generatePolicies(policy, { botRoleArn: this.taskRole.roleArn });
    for (const statement of generated.botRole.permissions.Statement) {
      this.taskRole.addToPolicy(iam.PolicyStatement.fromJson(statement));
    }
    // What `iam-policy --config-source ssm:/...` adds, on the parameter's own ARN (the generator cannot place the
    // role's account and region here: they are deploy-time tokens). ssm:GetParameter only, not grantRead's four.
    this.taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadConfigParameter',
        actions: ['ssm:GetParameter'],
        resources: [configParameter.parameterArn],
      }),
    );
    for (const [index, role] of generated.clusterRoles.entries()) {
      // Per-cluster roles usually live in other accounts; the stack prints what to give them.
      new CfnOutput(this, `ClusterRole${index}Trust`, {
        description: `Trust policy for ${role.roleArn} (clusters ${role.clusters.join(', ')})`,
        value: this.toJsonString(role.trust),
      });
    }

    const slack = new secretsmanager.Secret(this, 'Slack', {
      description: `ecs-exec-bot Slack credentials: JSON with SLACK_BOT_TOKEN and ${mode === 'http' ? 'SLACK_SIGNING_SECRET' : 'SLACK_APP_TOKEN'}`,
    });

    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: 512,
      memoryLimitMiB: 1024,
      taskRole: this.taskRole,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64 },
    });
    const secrets: Record<string, ecs.Secret> = {
      SLACK_BOT_TOKEN: ecs.Secret.fromSecretsManager(slack, 'SLACK_BOT_TOKEN'),
      ...(mode === 'http'
        ? { SLACK_SIGNING_SECRET: ecs.Secret.fromSecretsManager(slack, 'SLACK_SIGNING_SECRET') }
        : { SLACK_APP_TOKEN: ecs.Secret.fromSecretsManager(slack, 'SLACK_APP_TOKEN') }),
    };
    const environment: Record<string, string> = {
      PORT: String(PORT),
      ECS_EXEC_CONFIG: `ssm:${configName}`,
      LOG_LEVEL: 'info',
    };
    const serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc,
      description: 'ecs-exec-bot tasks: outbound to Slack, AWS APIs and Redis',
    });
    if (props.redisUrl) environment['REDIS_URL'] = props.redisUrl;
    else {
      const redis = this.redis(vpc, serviceSecurityGroup);
      environment['REDIS_HOST'] = redis.group.attrPrimaryEndPointAddress;
      environment['REDIS_PORT'] = redis.group.attrPrimaryEndPointPort;
      secrets['REDIS_AUTH_TOKEN'] = ecs.Secret.fromSecretsManager(redis.token);
    }

    taskDefinition.addContainer('bot', {
      image: ecs.ContainerImage.fromAsset(REPO_ROOT, { exclude: ['deploy/cdk.out', '.git', 'node_modules'] }),
      entryPoint: ['sh', '-c'],
      command: [START],
      environment,
      secrets,
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'bot' }),
      portMappings: [{ containerPort: PORT }],
      readonlyRootFilesystem: false,
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${PORT}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      // SIGTERM gives running commands 25 s to finish before they are stopped and reported.
      stopTimeout: Duration.seconds(40),
    });

    const desiredCount = props.desiredCount ?? 2;
    let service: ecs.FargateService;
    if (mode === 'http') {
      const certificateArn = props.certificateArn;
      const web = new ecsPatterns.ApplicationLoadBalancedFargateService(this, 'Web', {
        cluster,
        taskDefinition,
        desiredCount,
        securityGroups: [serviceSecurityGroup],
        publicLoadBalancer: true,
        ...(certificateArn
          ? {
              protocol: elbv2.ApplicationProtocol.HTTPS,
              redirectHTTP: true,
              certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', certificateArn),
            }
          : {}),
      });
      web.targetGroup.configureHealthCheck({ path: '/healthz', healthyHttpCodes: '200' });
      service = web.service;
      new CfnOutput(this, 'SlackRequestUrl', {
        value: `${certificateArn ? 'https' : 'http'}://${web.loadBalancer.loadBalancerDnsName}/slack/events`,
      });
    } else {
      service = new ecs.FargateService(this, 'Service', {
        cluster,
        taskDefinition,
        desiredCount,
        securityGroups: [serviceSecurityGroup],
        circuitBreaker: { rollback: true },
      });
    }
    this.alarms(logGroup, cluster, service, desiredCount);
    new CfnOutput(this, 'SlackSecretArn', { value: slack.secretArn, description: 'Fill in the Slack tokens here' });
    new CfnOutput(this, 'TaskRoleArn', { value: this.taskRole.roleArn });
  }

  /** ElastiCache for Redis with TLS in transit, encryption at rest, an AUTH token and a replica for failover. */
  private redis(vpc: ec2.IVpc, clients: ec2.ISecurityGroup) {
    const securityGroup = new ec2.SecurityGroup(this, 'RedisSecurityGroup', { vpc, allowAllOutbound: false });
    securityGroup.addIngressRule(clients, ec2.Port.tcp(6379), 'ecs-exec-bot tasks');
    const subnets = new elasticache.CfnSubnetGroup(this, 'RedisSubnets', {
      description: 'ecs-exec-bot Redis',
      subnetIds: vpc.privateSubnets.map((s) => s.subnetId),
    });
    const token = new secretsmanager.Secret(this, 'RedisAuthToken', {
      description: 'ecs-exec-bot Redis AUTH token',
      // AUTH tokens allow printable characters except @, " and /; plain alphanumerics also keep the URL simple.
      generateSecretString: { excludePunctuation: true, passwordLength: 64 },
    });
    const group = new elasticache.CfnReplicationGroup(this, 'Redis', {
      replicationGroupDescription: 'ecs-exec-bot approvals, locks and audit',
      engine: 'redis',
      cacheNodeType: 'cache.t4g.small',
      numCacheClusters: 2,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      authToken: token.secretValue.unsafeUnwrap(),
      cacheSubnetGroupName: subnets.ref,
      securityGroupIds: [securityGroup.securityGroupId],
    });
    return { group, token };
  }

  /** Alarms on what the bot itself reports (its JSON log lines) and on the service keeping its replicas up. */
  private alarms(logGroup: logs.LogGroup, cluster: ecs.Cluster, service: ecs.FargateService, desired: number) {
    const fromLogs = (id: string, pattern: string, description: string) => {
      const metric = new logs.MetricFilter(this, `${id}Filter`, {
        logGroup,
        filterPattern: logs.FilterPattern.literal(pattern),
        metricNamespace: 'EcsExecBot',
        metricName: id,
        metricValue: '1',
      }).metric({ statistic: 'Sum', period: Duration.minutes(5) });
      new cloudwatch.Alarm(this, `${id}Alarm`, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    };
    // pino writes level 50 for error and 60 for fatal.
    fromLogs('Errors', '{ $.level >= 50 }', 'ecs-exec-bot logged an error');
    fromLogs(
      'RunsInterrupted',
      '{ $.msg = "audit" && $.audit.action = "finish" && $.audit.to = "interrupted" }',
      'A run lost its session: the command may still be running and nobody watches it',
    );
    fromLogs(
      'RunsNotStarted',
      '{ $.msg = "audit" && $.audit.action = "finish" && $.audit.to = "error" }',
      'ECS refused to start an approved command (permissions, exec agent, task gone)',
    );
    new cloudwatch.Alarm(this, 'ReplicasMissingAlarm', {
      alarmDescription: 'Fewer bot replicas are running than desired',
      metric: new cloudwatch.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName: 'RunningTaskCount',
        dimensionsMap: { ClusterName: cluster.clusterName, ServiceName: service.serviceName },
        statistic: 'Minimum',
        period: Duration.minutes(1),
      }),
      threshold: desired,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }
}
