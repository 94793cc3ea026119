import { ECSClient } from '@aws-sdk/client-ecs';
import { KMSClient } from '@aws-sdk/client-kms';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { type Clock, systemClock } from '../shared/clock.js';
import { AwsEcsGateway } from './aws-ecs-gateway.js';
import type { AwsCredentialIdentityProvider } from './aws-settings.js';
import { AwsStsAssumer } from './aws-sts.js';
import type { EcsGateway } from './ecs-port.js';
import { NoRegionError } from './errors.js';
import {
  AssumedRoleCache,
  type AwsCredentials,
  type ClusterIdentity,
  identityFor,
  type Requester,
} from './identity.js';
import { ApiBudget } from './rate-budget.js';
import type { ClusterSettings } from './resolve-target.js';

/** The clients one run needs, all in the cluster's region and acting as the run's identity. */
export interface ClusterClients {
  region: string;
  identity: ClusterIdentity;
  ecs: EcsGateway;
  ssm: SSMClient;
  kms: KMSClient;
}

/** What the factory reads: the environment (for endpoints, region and static keys) and shared limits. */
export interface AwsClientFactoryOptions {
  /** `AWS_ENDPOINT_URL[_ECS|_SSM|_KMS|_STS]`, `AWS_REGION`, `AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID`… */
  env: Record<string, string | undefined>;
  /** Region for clusters that name none (the CLI's resolved `--region`/profile region); else AWS_REGION. */
  region?: string | undefined;
  /** Credentials to sign with (the CLI's resolved profile chain); else keys in `env`, else the SDK's default chain. */
  credentials?: AwsCredentialIdentityProvider | undefined;
  /** Named profile, for the SDK's own per-profile settings (endpoint_url, use_fips_endpoint…). */
  profile?: string | undefined;
  clock?: Clock;
  /** One budget for the whole process, so every cluster and person shares the bot's API allowance. */
  budget?: ApiBudget;
  /** How long described tasks are reused (ms). */
  cacheTtlMs?: number;
}

/** Builds per-cluster, per-identity clients; only the composition root and CLI commands use it. */
export interface AwsClientFactory {
  clientsFor(cluster: ClusterSettings, requester?: Requester): ClusterClients;
  /** Releases the SDK clients' sockets. */
  destroy(): void;
}

/** A hung API call must end the run with a message, not hang it; connect fast, answer within 30 s. */
const API_TIMEOUTS = { connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true };

type SdkCredentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date };

function toSdk(creds: AwsCredentials): SdkCredentials {
  return {
    accessKeyId: creds.accessKeyId,
    secretAccessKey: creds.secretAccessKey,
    ...(creds.sessionToken ? { sessionToken: creds.sessionToken } : {}),
    ...(creds.expiration ? { expiration: new Date(creds.expiration) } : {}),
  };
}

/**
 * The region a cluster's calls go to: its own, else the one resolved for the run, else the environment's. Never a
 * built-in default: a call in a region nobody chose answers "not found" about something that exists elsewhere.
 * @throws NoRegionError when there is none.
 */
export function regionFor(
  cluster: ClusterSettings,
  env: Record<string, string | undefined>,
  fallback?: string | undefined,
  profile?: string | undefined,
): string {
  const fromArn = /^arn:[^:]+:ecs:([a-z0-9-]+):/.exec(cluster.cluster)?.[1];
  const region = cluster.region ?? fromArn ?? fallback ?? (env['AWS_REGION'] || env['AWS_DEFAULT_REGION']);
  if (!region) throw new NoRegionError(profile);
  return region;
}

/**
 * Creates the factory. Endpoints and static keys are read from the given environment (not only process.env), so the
 * CLI run in-process by tests and the bot pointed at the sandbox behave like the SDK would with those variables.
 */
export function createAwsClientFactory(options: AwsClientFactoryOptions): AwsClientFactory {
  const env = options.env;
  const clock = options.clock ?? systemClock;
  const budget = options.budget ?? new ApiBudget(clock);
  const endpoint = (service: 'ECS' | 'SSM' | 'KMS' | 'STS'): { endpoint?: string } => {
    const url = env[`AWS_ENDPOINT_URL_${service}`] ?? env['AWS_ENDPOINT_URL'];
    return url ? { endpoint: url } : {};
  };
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  const sessionToken = env['AWS_SESSION_TOKEN'];
  // Resolved credentials when given; else keys in the given environment; else the SDK's default chain.
  const baseCredentials = options.credentials
    ? { credentials: options.credentials }
    : accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {};
  const profile = options.profile ? { profile: options.profile } : {};

  const stsCaches = new Map<string, AssumedRoleCache>();
  const clients = new Map<string, ClusterClients>();
  const destroyers: Array<() => void> = [];

  const roleCache = (region: string): AssumedRoleCache => {
    let cache = stsCaches.get(region);
    if (!cache) {
      const sts = new STSClient({
        region,
        requestHandler: API_TIMEOUTS,
        ...profile,
        ...endpoint('STS'),
        ...baseCredentials,
      });
      destroyers.push(() => sts.destroy());
      cache = new AssumedRoleCache(new AwsStsAssumer(sts), clock);
      stsCaches.set(region, cache);
    }
    return cache;
  };

  return {
    clientsFor(cluster, requester) {
      const region = regionFor(cluster, env, options.region, options.profile);
      const identity = identityFor(cluster.roleArn, requester);
      const key =
        identity.kind === 'default' ? `${region}|default` : `${region}|${identity.roleArn}|${identity.sourceIdentity}`;
      const existing = clients.get(key);
      if (existing) return existing;
      const credentials =
        identity.kind === 'default'
          ? baseCredentials
          : {
              credentials: async () => toSdk(await roleCache(region).credentials(identity)),
            };
      // ECS retries are ours alone: the SDK's would repeat an ExecuteCommand whose answer was lost.
      const ecsClient = new ECSClient({
        region,
        maxAttempts: 1,
        requestHandler: API_TIMEOUTS,
        ...profile,
        ...endpoint('ECS'),
        ...credentials,
      });
      const common = { region, requestHandler: API_TIMEOUTS, ...profile };
      const ssm = new SSMClient({ ...common, ...endpoint('SSM'), ...credentials });
      const kms = new KMSClient({ ...common, ...endpoint('KMS'), ...credentials });
      destroyers.push(
        () => ecsClient.destroy(),
        () => ssm.destroy(),
        () => kms.destroy(),
      );
      const built: ClusterClients = {
        region,
        identity,
        ecs: new AwsEcsGateway({
          client: ecsClient,
          region,
          budget,
          clock,
          ...(options.cacheTtlMs !== undefined ? { cacheTtlMs: options.cacheTtlMs } : {}),
        }),
        ssm,
        kms,
      };
      clients.set(key, built);
      return built;
    },
    destroy() {
      for (const destroy of destroyers.splice(0)) destroy();
      clients.clear();
      stsCaches.clear();
    },
  };
}
