import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { EcsExecBotStack } from './ecs-exec-bot-stack.js';

/*
 * `npm run deploy:synth` (or `npx cdk deploy` in deploy/): synthesises into deploy/cdk.out without AWS credentials.
 * Context (-c key=value, or cdk.json): config (path of the bot's config file; default deploy/ecs-exec.yml, else the
 * shipped example), slackMode (socket | http), certificateArn, redisUrl, desiredCount.
 */
const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

const app = new App({ outdir: process.env['CDK_OUTDIR'] ?? here('./cdk.out') });
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const configPath =
  context('config') ?? (existsSync(here('./ecs-exec.yml')) ? here('./ecs-exec.yml') : here('../ecs-exec.example.yml'));
const slackMode = context('slackMode') ?? 'socket';
if (slackMode !== 'socket' && slackMode !== 'http') throw new Error('slackMode must be "socket" or "http"');
const certificateArn = context('certificateArn');
const redisUrl = context('redisUrl');
const desiredCount = context('desiredCount');

new EcsExecBotStack(app, context('stackName') ?? 'EcsExecBot', {
  configYaml: readFileSync(configPath, 'utf8'),
  slackMode,
  ...(certificateArn ? { certificateArn } : {}),
  ...(redisUrl ? { redisUrl } : {}),
  ...(desiredCount ? { desiredCount: Number(desiredCount) } : {}),
  // Environment-agnostic unless the CDK CLI supplies an account and region.
  ...(process.env['CDK_DEFAULT_ACCOUNT'] && process.env['CDK_DEFAULT_REGION']
    ? { env: { account: process.env['CDK_DEFAULT_ACCOUNT'], region: process.env['CDK_DEFAULT_REGION'] } }
    : {}),
});
app.synth();
