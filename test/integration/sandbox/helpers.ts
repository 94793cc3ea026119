import { DescribeTasksCommand, ECSClient, ExecuteCommandCommand } from '@aws-sdk/client-ecs';
import { KMSClient } from '@aws-sdk/client-kms';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { DEFAULT_TASK_IDS, SANDBOX_CREDENTIALS, type Sandbox } from '../../../src/sandbox/index.js';
import { type RawClientOptions, RawDataChannelClient } from './raw-data-channel-client.js';

/** SDK client options pointing at the sandbox with static dummy credentials (no env, no retries unless asked). */
export function clientConfig(sandbox: Sandbox, extra: { region?: string; maxAttempts?: number } = {}) {
  return {
    region: extra.region ?? 'us-east-1',
    endpoint: sandbox.url,
    credentials: { ...SANDBOX_CREDENTIALS },
    maxAttempts: extra.maxAttempts ?? 1,
  };
}

export function clients(sandbox: Sandbox, extra: { region?: string; maxAttempts?: number } = {}) {
  const config = clientConfig(sandbox, extra);
  return {
    ecs: new ECSClient(config),
    sts: new STSClient(config),
    kms: new KMSClient(config),
    ssm: new SSMClient(config),
  };
}

/** ExecuteCommand through the SDK, then a raw client attached to the returned stream URL. */
export async function runRaw(
  sandbox: Sandbox,
  command: string,
  options: { cluster?: string; task?: string; container?: string; client?: RawClientOptions; kms?: boolean } = {},
): Promise<{ client: RawDataChannelClient; sessionId: string }> {
  const { ecs, kms } = clients(sandbox);
  const cluster = options.cluster ?? 'demo';
  const task = options.task ?? DEFAULT_TASK_IDS.web;
  const response = await ecs.send(
    new ExecuteCommandCommand({
      cluster,
      task,
      command,
      interactive: true,
      ...(options.container ? { container: options.container } : {}),
    }),
  );
  const session = response.session;
  if (!session?.streamUrl || !session.tokenValue || !session.sessionId) throw new Error('no session');
  let targetId: string | undefined;
  if (options.kms) {
    const described = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [task] }));
    const described0 = described.tasks?.[0];
    const runtimeId = described0?.containers?.find((c) => c.name === response.containerName)?.runtimeId;
    targetId = `ecs:${cluster}_${task}_${runtimeId}`;
  }
  const client = new RawDataChannelClient({
    kms,
    sessionId: session.sessionId,
    ...(targetId ? { targetId } : {}),
    ...options.client,
  });
  await client.connect(session.streamUrl, session.tokenValue);
  return { client, sessionId: session.sessionId };
}
