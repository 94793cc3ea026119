import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../shared/logger.js';
import type { AgentFaults } from './agent/agent-faults.js';
import { DataChannelEndpoint, SessionFaultRules } from './agent/data-channel-endpoint.js';
import { isScriptAvailable } from './agent/pty-process.js';
import type { SessionSnapshot } from './agent/session-snapshot.js';
import { ApiFaults } from './aws-api/api-faults.js';
import type { RecordedCall } from './aws-api/calls.js';
import { SandboxConfigObjects } from './aws-api/config-objects.js';
import { SandboxKms } from './aws-api/kms-api.js';
import { Principals } from './aws-api/principals.js';
import type { SandboxIamOptions } from './aws-api/sandbox-iam.js';
import { createAwsApiHandler } from './aws-api/server.js';
import { SandboxStartError } from './errors.js';
import { defaultSeed } from './state/default-seed.js';
import type { SandboxSeed } from './state/model.js';
import { SandboxState } from './state/sandbox-state.js';

export type { AgentFaults } from './agent/agent-faults.js';
export { splitCommand } from './agent/command-split.js';
export { SessionFaultRules } from './agent/data-channel-endpoint.js';
export type { SessionSnapshot } from './agent/session-snapshot.js';
export { syntheticOutput, syntheticOutputSha256 } from './agent/synthetic-output.js';
export type { ApiErrorFault, ApiRateLimit } from './aws-api/api-faults.js';
export { ApiFaults } from './aws-api/api-faults.js';
export type { RecordedCall } from './aws-api/calls.js';
export { SandboxConfigObjects } from './aws-api/config-objects.js';
export { EXEC_NOT_ENABLED_MESSAGE, TARGET_NOT_CONNECTED_MESSAGE } from './aws-api/ecs-api.js';
export type { SandboxIamOptions } from './aws-api/sandbox-iam.js';
export { DEFAULT_TASK_IDS, defaultSeed } from './state/default-seed.js';
export { DEFAULT_FLEET, type FleetSeedOptions, fleetSeed, fleetTaskId } from './state/fleet-seed.js';
export * from './state/model.js';
export { DEFAULT_ACCOUNT, DEFAULT_REGION, SandboxState } from './state/sandbox-state.js';
export { loadSeedFile, parseSeed } from './state/seed-file.js';

export interface SandboxOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; loopback by default, since the sandbox runs commands for anyone who can reach it. */
  host?: string;
  /** Initial state; the default is the `demo` cluster of {@link defaultSeed}. Pass `{}` for an empty sandbox. */
  seed?: SandboxSeed;
  /** Faults every session starts with. */
  agentFaults?: AgentFaults;
  /** Unacked output frames per session before the agent stops reading its command (default 256, about 280 KiB). */
  windowFrames?: number;
  /** How long the agent waits for each handshake answer (default 15 s, as the agent). */
  handshakeTimeoutMs?: number;
  /** Session idle timeout without client input (default 20 min, as ECS Exec). */
  idleTimeoutMs?: number;
  /** How long a finished command waits for its output to be acked or its client to come back (default 30 s). */
  drainTimeoutMs?: number;
  /** Warnings about sessions that closed with output unacknowledged (drain timeout); in-process sandboxes only. */
  logger?: Logger;
  /** IAM policies to enforce; without them every well-formed call is allowed. */
  iam?: SandboxIamOptions;
}

/** Fault controls: `api` for the AWS API, `agent` for data-channel sessions. */
export interface SandboxFaults {
  api: ApiFaults;
  agent: SessionFaultRules;
}

/** A running ECS Exec emulator. */
export interface Sandbox {
  /** Base URL of the AWS API, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  /** Variables that point the AWS SDK (and so the bot and the CLI) at the sandbox, with dummy credentials. */
  readonly env: Record<string, string>;
  /** Seeded clusters, services, tasks, keys and roles; change them at run time. */
  readonly state: SandboxState;
  /** SSM parameters and S3 objects served (the bot's config from `ssm:/…` or `s3://…`); change them at run time. */
  readonly configObjects: SandboxConfigObjects;
  readonly faults: SandboxFaults;
  /** Every AWS API call answered, in order (including the agent's own KMS Decrypt). */
  readonly calls: RecordedCall[];
  /** Every data-channel session, in order of creation. */
  readonly sessions: SessionSnapshot[];
  session(sessionId: string): SessionSnapshot | undefined;
  close(): Promise<void>;
}

/** Dummy credentials the sandbox accepts (any well-formed SigV4 request is accepted). */
export const SANDBOX_CREDENTIALS = {
  accessKeyId: 'AKIASANDBOXEXAMPLE01',
  secretAccessKey: 'sandbox/secret/not-a-real-key/000000000000',
} as const;

/**
 * Starts the sandbox: one HTTP server for ECS, STS, KMS and SSM, with the data channel upgraded on the same port.
 * @throws SandboxStartError when `script` (util-linux) is missing or the port cannot be bound.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  if (!isScriptAvailable()) {
    throw new SandboxStartError('util-linux `script` is not installed', {
      userMessage: 'The sandbox runs commands on a pseudo-terminal with util-linux `script`; install util-linux.',
    });
  }
  const state = new SandboxState(options.seed ?? defaultSeed());
  const calls: RecordedCall[] = [];
  const principals = new Principals(state.defaultAccount, options.iam?.staticRoleArn);
  const kms = new SandboxKms(state);
  const apiFaults = new ApiFaults();
  const configObjects = new SandboxConfigObjects();
  const agentFaults = new SessionFaultRules();
  if (options.agentFaults) agentFaults.defaults = { ...options.agentFaults };
  let wsBase = '';

  const endpoint = new DataChannelEndpoint({
    wsBaseUrl: () => wsBase,
    faults: agentFaults,
    decryptDataKey: (target, blob, context) => {
      const call: RecordedCall = {
        service: 'kms',
        operation: 'Decrypt',
        input: { EncryptionContext: context },
        region: target.cluster.region,
        account: target.cluster.account,
        accessKeyId: 'agent',
        principalArn: `arn:aws:sts::${target.cluster.account}:assumed-role/${target.task.family}-task/${target.task.taskId}`,
        byAgent: true,
        at: Date.now(),
      };
      calls.push(call);
      try {
        return kms.decrypt(target.cluster.account, target.cluster.region, blob, context).plaintext;
      } catch (error) {
        call.error = error instanceof Error && 'type' in error ? String(error.type) : 'Error';
        throw error;
      }
    },
    ...(options.windowFrames !== undefined ? { windowFrames: options.windowFrames } : {}),
    ...(options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
    ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    ...(options.drainTimeoutMs !== undefined ? { drainTimeoutMs: options.drainTimeoutMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const unsubscribe = state.onTaskStopped((task) => endpoint.taskStopped(task.taskArn));

  const server = createServer(
    createAwsApiHandler({
      state,
      sessions: endpoint,
      kms,
      principals,
      faults: apiFaults,
      configObjects,
      record: (call) => calls.push(call),
      ...(options.iam ? { iam: options.iam } : {}),
    }),
  );
  server.on('upgrade', (req, socket, head) => {
    if (!endpoint.handleUpgrade(req, socket, head)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new SandboxStartError(`cannot listen on ${host}:${options.port ?? 0}: ${error.code ?? error.message}`, {
          cause: error,
          userMessage:
            error.code === 'EADDRINUSE'
              ? `Port ${options.port ?? 0} is already in use; choose another with --port.`
              : `The sandbox could not listen on ${host}:${options.port ?? 0} (${error.code ?? error.message}).`,
        }),
      );
    };
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  const url = `http://${hostForUrl}:${port}`;
  wsBase = `ws://${hostForUrl}:${port}`;
  const env: Record<string, string> = {
    AWS_REGION: state.defaultRegion,
    AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_ECS: url,
    AWS_ENDPOINT_URL_SSM: url,
    AWS_ENDPOINT_URL_KMS: url,
    AWS_ENDPOINT_URL_STS: url,
    AWS_ENDPOINT_URL_S3: url,
  };

  let closed = false;
  return {
    url,
    port,
    env,
    state,
    configObjects,
    faults: { api: apiFaults, agent: agentFaults },
    calls,
    get sessions() {
      return endpoint.list();
    },
    session: (sessionId) => endpoint.get(sessionId),
    close: async () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      endpoint.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
