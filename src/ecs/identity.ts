import { type Clock, systemClock } from '../shared/clock.js';

/** The person a run is for: CloudTrail should name them, not the bot. */
export interface Requester {
  /** Slack user id (`U0123ABCD`), or a local user name for the CLI. */
  userId: string;
  /** Slack handle or display name, when known; only used to make the session name readable. */
  userName?: string;
  /** Where the person came from; `cli` for a local user of `ecs-exec exec`. Default `slack`. */
  via?: 'slack' | 'cli';
}

/** Temporary credentials, as the SDK's credential providers want them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Epoch ms; undefined for long-lived keys. */
  expiration?: number;
}

/** The STS call the identity layer needs. */
export interface StsPort {
  assumeRole(request: {
    roleArn: string;
    roleSessionName: string;
    sourceIdentity: string;
    durationSeconds: number;
  }): Promise<AwsCredentials>;
}

// AWS allows [\w+=,.@-] in both, 2–64 characters; SourceIdentity may not start with "aws:" (a colon is not allowed
// anyway, so sanitising removes that risk too).
const DISALLOWED = /[^\w+=,.@-]/g;
const MAX_NAME = 64;

function sanitise(text: string): string {
  return text.replace(DISALLOWED, '-').replace(/-{2,}/g, '-');
}

function clampLength(text: string): string {
  const trimmed = text.slice(0, MAX_NAME);
  return trimmed.length >= 2 ? trimmed : `${trimmed}__`.slice(0, 2);
}

/**
 * SourceIdentity for a requester: `slack-<user id>` (or `cli-<login>`); it persists across role chaining and cannot be changed by
 * the session, so it is the stable id rather than a display name that people can edit.
 */
export function sourceIdentityFor(requester: Requester): string {
  return clampLength(`${requester.via ?? 'slack'}-${sanitise(requester.userId)}`);
}

/** RoleSessionName: readable in CloudTrail (`ecs-exec-alice-U0123`), within AWS's charset and 64 characters. */
export function roleSessionNameFor(requester: Requester): string {
  const id = sanitise(requester.userId);
  const name = requester.userName ? sanitise(requester.userName) : '';
  const prefix = 'ecs-exec-';
  if (!name) return clampLength(`${prefix}${id}`);
  // Keep the user id whole (it is what identifies the person); shorten the name to make room.
  const room = MAX_NAME - prefix.length - id.length - 1;
  const shortName = room > 0 ? name.slice(0, room) : '';
  return clampLength(shortName ? `${prefix}${shortName}-${id}` : `${prefix}${id}`);
}

/** How a cluster's calls are authenticated: the bot's own credentials, or a role assumed for one person. */
export type ClusterIdentity =
  | { kind: 'default' }
  | { kind: 'assumed'; roleArn: string; sourceIdentity: string; roleSessionName: string };

/** Decides the identity for a cluster: with a roleArn, an assumed-role session named after the requester. */
export function identityFor(roleArn: string | undefined, requester: Requester | undefined): ClusterIdentity {
  if (!roleArn) return { kind: 'default' };
  const who = requester ?? { userId: 'unknown' };
  return {
    kind: 'assumed',
    roleArn,
    sourceIdentity: sourceIdentityFor(who),
    roleSessionName: roleSessionNameFor(who),
  };
}

/** Refresh this long before the credentials expire, so a run never starts with keys about to lapse. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Assumed-role credentials cached per (role, source identity) until shortly before expiry. Concurrent requests for
 * the same pair share one AssumeRole call; a failure is not cached, and not retried here (a denial must be
 * reported as a denial).
 */
export class AssumedRoleCache {
  private readonly entries = new Map<string, Promise<AwsCredentials>>();

  constructor(
    private readonly sts: StsPort,
    private readonly clock: Clock = systemClock,
    private readonly durationSeconds = 3_600,
  ) {}

  /** Credentials for the identity; served from cache while they have more than the refresh margin left. */
  async credentials(identity: Extract<ClusterIdentity, { kind: 'assumed' }>): Promise<AwsCredentials> {
    const key = `${identity.roleArn}\u0000${identity.sourceIdentity}`;
    const existing = this.entries.get(key);
    if (existing) {
      const creds = await existing.catch(() => undefined);
      if (creds && (creds.expiration === undefined || creds.expiration - this.clock.now() > REFRESH_MARGIN_MS)) {
        return creds;
      }
      if (this.entries.get(key) === existing) this.entries.delete(key);
    }
    const pending = this.entries.get(key) ?? this.assume(identity);
    this.entries.set(key, pending);
    try {
      return await pending;
    } catch (error) {
      if (this.entries.get(key) === pending) this.entries.delete(key);
      throw error;
    }
  }

  private assume(identity: Extract<ClusterIdentity, { kind: 'assumed' }>): Promise<AwsCredentials> {
    return this.sts.assumeRole({
      roleArn: identity.roleArn,
      roleSessionName: identity.roleSessionName,
      sourceIdentity: identity.sourceIdentity,
      durationSeconds: this.durationSeconds,
    });
  }
}
