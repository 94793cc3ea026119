import type { Clock } from '../../shared/clock.js';
import type { MethodRateLimit } from './rate-limits.js';
import type {
  SeedChannel,
  SeedUser,
  SeedUserGroup,
  StoredEphemeral,
  StoredFile,
  StoredMessage,
  StoredView,
} from './types.js';
import type { StandInIdentity } from './workspace.js';

export interface SlackStandInOptions {
  /** Port on 127.0.0.1; 0 (default) lets the kernel choose. */
  port?: number;
  botToken?: string;
  appToken?: string;
  identity?: Partial<StandInIdentity>;
  users?: SeedUser[];
  usergroups?: SeedUserGroup[];
  channels?: SeedChannel[];
  clock?: Clock;
  /** Refuse channels that were not seeded (`channel_not_found`), as Slack does. Default false: any id works. */
  strictChannels?: boolean;
  /** Refuse trigger ids this stand-in did not issue. Default false. */
  strictTriggers?: boolean;
  /** Lifetime of issued trigger ids (Slack: 3 s). */
  triggerTtlMs?: number;
  socketPingIntervalMs?: number;
  socketAckTimeoutMs?: number;
  socketConnectionWaitMs?: number;
  /**
   * Answer 429 with Retry-After when a method goes over Slack's per-minute tier (`true` = `SLACK_RATE_LIMITS`,
   * or a table of your own). Off by default; injected faults work either way.
   */
  rateLimits?: boolean | Readonly<Record<string, MethodRateLimit>>;
  /** Largest request body accepted (uploads included); default 64 MiB. */
  maxBodyBytes?: number;
  /** Concurrent Socket Mode connections allowed (Slack: 10); one more is told `too_many_websockets`. */
  maxSocketConnections?: number;
  /** Recorded calls kept (oldest dropped first), so a long-running playground stays small; default 10,000. */
  maxRecordedCalls?: number;
}

/** A file as a page shows it: everything but the bytes. */
export type FileSummary = Omit<StoredFile, 'content'>;

/** A message as a page renders it. */
export type MessageSnapshot = Omit<StoredMessage, 'files'> & { files?: FileSummary[] };

/** The whole visible workspace, JSON-serialisable, for a UI's first render. */
export interface WorkspaceSnapshot {
  identity: StandInIdentity;
  channels: Array<{
    id: string;
    name: string;
    is_private: boolean;
    messages: MessageSnapshot[];
    ephemerals: StoredEphemeral[];
  }>;
  users: SeedUser[];
  usergroups: SeedUserGroup[];
  views: StoredView[];
}
