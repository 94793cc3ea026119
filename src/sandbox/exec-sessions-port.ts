import type { Cluster, Container, Task } from './state/model.js';

/** What ECS ExecuteCommand hands the data-channel side when it starts a session. */
export interface ExecTarget {
  cluster: Cluster;
  task: Task;
  container: Container;
  command: string;
}

/** A data-channel address with its one-use bearer token, as ExecuteCommand and ResumeSession return it. */
export interface SessionTicket {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
}

/** The data-channel side as the AWS API handlers see it (ECS ExecuteCommand, SSM ResumeSession/TerminateSession). */
export interface ExecSessionsPort {
  open(target: ExecTarget): SessionTicket;
  /** A new token for a session that can still be re-attached; undefined when it is over or unknown. */
  resume(sessionId: string): SessionTicket | undefined;
  /** Ends a session and kills its process; false when no such session exists. */
  terminate(sessionId: string): boolean;
}
