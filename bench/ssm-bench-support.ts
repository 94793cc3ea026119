/** Shared by the SSM benchmarks: the sandbox agent in a child process, and SDK-backed ports pointed at it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ECSClient, ExecuteCommandCommand } from '@aws-sdk/client-ecs';
import { KMSClient } from '@aws-sdk/client-kms';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DEFAULT_TASK_IDS, SANDBOX_CREDENTIALS } from '../src/sandbox/index.js';
import { AwsKms } from '../src/ssm/aws-kms.js';
import { AwsSsmControl } from '../src/ssm/aws-ssm-control.js';

/** A sandbox whose every session streams `bytes` of synthetic output, running in its own process. */
export async function startAgentProcess(bytes: number): Promise<{
  child: ChildProcess;
  ports: { control: AwsSsmControl; kms: AwsKms };
  /** ExecuteCommand against the sandbox; returns the session triple. */
  startSession(): Promise<{ sessionId: string; streamUrl: string; tokenValue: string }>;
  stop(): void;
}> {
  const script = fileURLToPath(new URL('./ssm-agent-process.ts', import.meta.url));
  // SSM_BENCH_AGENT_NODE_OPTIONS lets a run profile the agent side, e.g. "--cpu-prof --cpu-prof-dir=/tmp/agent".
  const extra = process.env['SSM_BENCH_AGENT_NODE_OPTIONS']?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', script, String(bytes)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  const [line] = (await once(lines, 'line')) as [string];
  const { url } = JSON.parse(line) as { url: string };
  const config = { region: 'us-east-1', endpoint: url, credentials: { ...SANDBOX_CREDENTIALS }, maxAttempts: 1 };
  const ecs = new ECSClient(config);
  return {
    child,
    ports: { control: new AwsSsmControl(new SSMClient(config)), kms: new AwsKms(new KMSClient(config)) },
    async startSession() {
      const response = await ecs.send(
        new ExecuteCommandCommand({
          cluster: 'demo',
          task: DEFAULT_TASK_IDS.web,
          command: 'synthetic',
          interactive: true,
        }),
      );
      const session = response.session;
      if (!session?.sessionId || !session.streamUrl || !session.tokenValue) throw new Error('no session');
      return { sessionId: session.sessionId, streamUrl: session.streamUrl, tokenValue: session.tokenValue };
    },
    stop: () => child.kill('SIGTERM'),
  };
}
