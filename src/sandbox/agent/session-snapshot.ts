import type { TerminalSize } from '../../ssm/codec/index.js';

/** One side of the data channel as the agent sees it: a WebSocket in production, anything in tests. */
export interface ChannelSocket {
  send(frame: Uint8Array): void;
  /** Closes with a close frame. */
  close(): void;
  /** Drops the connection without a close frame. */
  terminate(): void;
  /** Holds writes until `uncork`, so a burst of frames leaves in one system call. */
  cork?(): void;
  uncork?(): void;
}

export type SessionStatus = 'waiting' | 'handshaking' | 'running' | 'closing' | 'closed' | 'vanished';

/** A session as tests inspect it. */
export interface SessionSnapshot {
  sessionId: string;
  clusterArn: string;
  taskArn: string;
  containerName: string;
  command: string;
  argv: string[] | undefined;
  targetId: string;
  kmsKeyId: string | undefined;
  status: SessionStatus;
  /** Ended by ssm:TerminateSession. */
  terminated: boolean;
  /** The command's exit status once it ended (128 + n for signal n); null while running or when it never ran. */
  exitCode: number | null;
  /** `Output` of the channel_closed that ended the session. */
  closeOutput: string | undefined;
  connections: number;
  /** Terminal sizes the client sent, in order. */
  sizes: TerminalSize[];
  /** Bytes of client keystrokes (decrypted) written to the terminal. */
  inputBytes: number;
  /** Output payload bytes (plaintext) the agent produced. */
  outputBytes: number;
  /** Output frames sent again after a lost ack or a drop. */
  resentFrames: number;
  /** The command ended but its output was still unacknowledged when the drain timeout expired; the session closed anyway. */
  drainTimedOut: boolean;
  /** Output frames still unacknowledged when the session closed (normally 0). */
  unackedAtClose: number;
  createdAt: number;
  closedAt: number | undefined;
}

/** What a session is about, as ExecuteCommand described it. */
export type SessionIdentity = Pick<
  SessionSnapshot,
  'sessionId' | 'clusterArn' | 'taskArn' | 'containerName' | 'command' | 'targetId' | 'kmsKeyId'
>;

/** The snapshot of a session that has just been created. */
export function newSessionSnapshot(identity: SessionIdentity, createdAt: number): SessionSnapshot {
  return {
    sessionId: identity.sessionId,
    clusterArn: identity.clusterArn,
    taskArn: identity.taskArn,
    containerName: identity.containerName,
    command: identity.command,
    argv: undefined,
    targetId: identity.targetId,
    kmsKeyId: identity.kmsKeyId,
    status: 'waiting',
    terminated: false,
    exitCode: null,
    closeOutput: undefined,
    connections: 0,
    sizes: [],
    inputBytes: 0,
    outputBytes: 0,
    resentFrames: 0,
    drainTimedOut: false,
    unackedAtClose: 0,
    createdAt,
    closedAt: undefined,
  };
}
