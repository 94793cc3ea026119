/** Shared by the fleet benchmarks: the fleet sandbox in a child process, and the bot's fan-out pointed at it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ECSClient } from '@aws-sdk/client-ecs';
import { KMSClient } from '@aws-sdk/client-kms';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AwsEcsGateway } from '../src/ecs/aws-ecs-gateway.js';
import { runInContainer } from '../src/ecs/exec-runner.js';
import { ApiBudget } from '../src/ecs/rate-budget.js';
import type { ClusterSettings } from '../src/ecs/resolve-target.js';
import type { FleetTaskRunner } from '../src/fleet/fan-out.js';
import { SANDBOX_CREDENTIALS } from '../src/sandbox/index.js';
import { systemClock } from '../src/shared/clock.js';
import { AwsKms } from '../src/ssm/aws-kms.js';
import { AwsSsmControl } from '../src/ssm/aws-ssm-control.js';

export const FLEET_CLUSTER: ClusterSettings = { alias: 'fleet', cluster: 'fleet', shell: '/bin/sh' };

/** The fleet sandbox in its own process, and a runner that execs into its tasks as the bot does. */
export async function startFleetSandbox(
  tasks: number,
  bytesPerSession: number,
  frameDelayMs: number,
): Promise<{ child: ChildProcess; gateway: AwsEcsGateway; runTask: FleetTaskRunner; stop(): void }> {
  const script = fileURLToPath(new URL('./fleet-sandbox-process.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, String(tasks), String(bytesPerSession), String(frameDelayMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  const [line] = (await once(lines, 'line')) as [string];
  const { url } = JSON.parse(line) as { url: string };
  const config = { region: 'us-east-1', endpoint: url, credentials: { ...SANDBOX_CREDENTIALS } };
  // The benchmark measures the data channel and the fan-out, not ECS's ExecuteCommand rate: a budget that never waits.
  const budget = new ApiBudget(systemClock, {
    execute: { perSecond: 10_000, burst: 10_000 },
    read: { perSecond: 10_000, burst: 10_000 },
  });
  const gateway = new AwsEcsGateway({ client: new ECSClient({ ...config, maxAttempts: 1 }), budget });
  const deps = {
    ecs: gateway,
    control: new AwsSsmControl(new SSMClient(config)),
    kms: new AwsKms(new KMSClient(config)),
  };
  const runTask: FleetTaskRunner = (task, io) =>
    runInContainer(deps, {
      target: {
        kind: 'task-arn',
        taskArn: task.taskArn,
        cluster: 'fleet',
        taskId: task.taskId,
        container: task.container,
      },
      cluster: FLEET_CLUSTER,
      command: 'synthetic',
      // Synthetic output carries no exit marker: run unwrapped, as `--no-wrap` does.
      noWrap: true,
      onOutput: io.onOutput,
      signal: io.signal,
    });
  return { child, gateway, runTask, stop: () => child.kill('SIGTERM') };
}
