import { ECSClient } from '@aws-sdk/client-ecs';
import { AwsEcsGateway, type AwsEcsGatewayOptions } from '../../../src/ecs/aws-ecs-gateway.js';
import { SANDBOX_CREDENTIALS, type Sandbox } from '../../../src/sandbox/index.js';

/** A real ECSClient pointed at the sandbox, built as the product builds it (no SDK retries). */
export function sandboxEcsClient(
  sandbox: Sandbox,
  region = 'us-east-1',
  extra: Record<string, unknown> = {},
): ECSClient {
  return new ECSClient({
    region,
    endpoint: sandbox.url,
    credentials: SANDBOX_CREDENTIALS,
    maxAttempts: 1,
    ...extra,
  });
}

/** The product's gateway over a sandbox client; retry delays shortened so error paths finish quickly. */
export function sandboxGateway(
  sandbox: Sandbox,
  options: Partial<AwsEcsGatewayOptions> = {},
): { gateway: AwsEcsGateway; client: ECSClient } {
  const client = options.client ?? sandboxEcsClient(sandbox);
  return {
    client,
    gateway: new AwsEcsGateway({ region: 'us-east-1', retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...options, client }),
  };
}

/** The sandbox's recorded calls of one operation. */
export function callsOf(sandbox: Sandbox, operation: string) {
  return sandbox.calls.filter((c) => c.operation === operation && !c.byAgent);
}

/** 32-hex task id from a number, so seeds read well. */
export function hexId(n: number): string {
  return n.toString(16).padStart(32, '0');
}
