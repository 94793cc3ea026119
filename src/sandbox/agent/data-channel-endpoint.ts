import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../shared/logger.js';
import { decodeOpenDataChannel } from '../../ssm/codec/index.js';
import type { ExecSessionsPort, ExecTarget, SessionTicket } from '../exec-sessions-port.js';
import { type AgentFaults, mergeFaults } from './agent-faults.js';
import { AgentSession } from './agent-session.js';
import type { ChannelSocket, SessionSnapshot } from './session-snapshot.js';

/** Path prefix of stream URLs, as MGS uses it. */
export const DATA_CHANNEL_PATH = '/v1/data-channel/';
const OPEN_TIMEOUT_MS = 10_000;

/** Faults chosen for sessions not yet started: by session id, task, command text, or simply the next ones. */
export class SessionFaultRules {
  /** Applied to every session (edit in place or replace). */
  defaults: AgentFaults = {};
  private readonly bySession = new Map<string, AgentFaults>();
  private readonly byTask = new Map<string, AgentFaults>();
  private readonly byCommand: Array<{ match: string | RegExp; faults: AgentFaults }> = [];
  private readonly next: AgentFaults[] = [];

  /** Called for faults set on a session that already exists, so they apply to it at once. */
  onSessionFaults: ((sessionId: string, faults: AgentFaults) => void) | undefined;

  /** Faults for one session id; on a session already started they apply from its next frame on. */
  forSession(sessionId: string, faults: AgentFaults): void {
    this.bySession.set(sessionId, faults);
    this.onSessionFaults?.(sessionId, faults);
  }

  /** Faults for every session on a task (by ARN or 32-hex id). */
  forTask(taskRef: string, faults: AgentFaults): void {
    this.byTask.set(taskRef, faults);
  }

  /** Faults for sessions whose command contains `match` (or matches the RegExp). */
  forCommand(match: string | RegExp, faults: AgentFaults): void {
    this.byCommand.push({ match, faults });
  }

  /** Faults for the next session started (call several times to queue several). */
  forNextSession(faults: AgentFaults): void {
    this.next.push(faults);
  }

  clear(): void {
    this.defaults = {};
    this.bySession.clear();
    this.byTask.clear();
    this.byCommand.length = 0;
    this.next.length = 0;
  }

  /** The merged faults for a new session; consumes one `forNextSession` entry. */
  resolve(sessionId: string, taskArn: string, command: string): AgentFaults {
    const taskId = taskArn.split('/').pop() ?? '';
    const commandFaults = this.byCommand
      .filter(({ match }) => (typeof match === 'string' ? command.includes(match) : match.test(command)))
      .map(({ faults }) => faults);
    return mergeFaults(
      this.defaults,
      this.byTask.get(taskArn) ?? this.byTask.get(taskId),
      ...commandFaults,
      this.next.shift(),
      this.bySession.get(sessionId),
    );
  }
}

export interface DataChannelOptions {
  /** Base of stream URLs, e.g. `ws://127.0.0.1:4566`. */
  wsBaseUrl(): string;
  faults: SessionFaultRules;
  decryptDataKey(target: ExecTarget, blob: Buffer, context: Record<string, string>): Buffer;
  windowFrames?: number;
  handshakeTimeoutMs?: number;
  idleTimeoutMs?: number;
  drainTimeoutMs?: number;
  resendIntervalMs?: number;
  /** Where the endpoint reports sessions that lost output (drain timeout); default: nowhere, see the snapshots. */
  logger?: Logger;
}

function wrap(ws: WebSocket): ChannelSocket {
  // ws keeps its TCP socket private; corking it batches a burst of frames into one write.
  const tcp = (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
  return {
    cork: () => tcp?.cork(),
    uncork: () => tcp?.uncork(),
    send: (frame) => {
      if (ws.readyState === ws.OPEN) ws.send(frame, { binary: true });
    },
    close: () => ws.close(1000),
    terminate: () => ws.terminate(),
  };
}

/**
 * MGS for the sandbox: ExecuteCommand and ResumeSession mint one-use tokens, a client upgrades on the stream URL
 * and proves its token in the OpenDataChannel text frame, then frames flow to the session's agent.
 */
export class DataChannelEndpoint implements ExecSessionsPort {
  private readonly sessions = new Map<string, AgentSession>();
  private readonly targets = new Map<string, ExecTarget>();
  private readonly tokens = new Map<string, string>();
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 });
  private readonly options: DataChannelOptions;

  constructor(options: DataChannelOptions) {
    this.options = options;
    options.faults.onSessionFaults = (sessionId, faults) => {
      const session = this.sessions.get(sessionId);
      if (session) Object.assign(session.faults, faults);
    };
  }

  /** Every session ever opened, newest last. */
  list(): SessionSnapshot[] {
    return [...this.sessions.values()].map((s) => s.snapshot);
  }

  get(sessionId: string): SessionSnapshot | undefined {
    return this.sessions.get(sessionId)?.snapshot;
  }

  private ticket(sessionId: string): SessionTicket {
    const tokenValue = randomBytes(48).toString('base64');
    this.tokens.set(tokenValue, sessionId);
    return {
      sessionId,
      streamUrl: `${this.options.wsBaseUrl()}${DATA_CHANNEL_PATH}${sessionId}?role=publish_subscribe`,
      tokenValue,
    };
  }

  open(target: ExecTarget): SessionTicket {
    const sessionId = `ecs-execute-command-${randomBytes(9).toString('hex').slice(0, 17)}`;
    const kmsKeyId = target.cluster.executeCommandConfiguration?.kmsKeyId;
    const session = new AgentSession({
      sessionId,
      clusterArn: target.cluster.clusterArn,
      taskArn: target.task.taskArn,
      containerName: target.container.name,
      command: target.command,
      targetId: `ecs:${target.cluster.clusterName}_${target.task.taskId}_${target.container.runtimeId}`,
      kmsKeyId,
      faults: this.options.faults.resolve(sessionId, target.task.taskArn, target.command),
      decryptDataKey: (blob, context) => this.options.decryptDataKey(target, blob, context),
      windowFrames: this.options.windowFrames ?? 256,
      handshakeTimeoutMs: this.options.handshakeTimeoutMs ?? 15_000,
      idleTimeoutMs: this.options.idleTimeoutMs ?? 20 * 60_000,
      drainTimeoutMs: this.options.drainTimeoutMs ?? 30_000,
      resendIntervalMs: this.options.resendIntervalMs ?? 100,
      onDrainTimeout: (snapshot, unackedFrames) => {
        this.options.logger?.warn(
          { sessionId: snapshot.sessionId, unackedFrames, outputBytes: snapshot.outputBytes },
          'sandbox agent: drain timeout expired with output unacknowledged; closing the session anyway',
        );
      },
      onClosed: () => {
        for (const [token, id] of this.tokens) if (id === sessionId) this.tokens.delete(token);
      },
    });
    this.sessions.set(sessionId, session);
    this.targets.set(sessionId, target);
    return this.ticket(sessionId);
  }

  resume(sessionId: string): SessionTicket | undefined {
    const session = this.sessions.get(sessionId);
    if (!session || session.isClosed) return undefined;
    return this.ticket(sessionId);
  }

  terminate(sessionId: string): boolean {
    const session = this.sessions.get(sessionId);
    if (!session) return false;
    session.terminate();
    return true;
  }

  /** The task's agents are gone (it is stopping): its sessions go silent, like a vanished agent. */
  taskStopped(taskArn: string): void {
    for (const session of this.sessions.values()) if (session.snapshot.taskArn === taskArn) session.vanish();
  }

  /** Handles an HTTP upgrade; false when the path is not a data channel (the caller answers it). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (!url.pathname.startsWith(DATA_CHANNEL_PATH)) return false;
    const sessionId = url.pathname.slice(DATA_CHANNEL_PATH.length);
    const session = this.sessions.get(sessionId);
    if (!session) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, sessionId, session));
    return true;
  }

  private accept(ws: WebSocket, sessionId: string, session: AgentSession): void {
    const channel = wrap(ws);
    let opened = false;
    const openTimer = setTimeout(() => ws.close(1008, 'OpenDataChannel expected'), OPEN_TIMEOUT_MS);
    openTimer.unref();
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!opened) {
        clearTimeout(openTimer);
        if (isBinary) {
          ws.close(1008, 'OpenDataChannel expected');
          return;
        }
        let token: string;
        let clientId: string;
        try {
          const open = decodeOpenDataChannel(data.toString());
          token = open.tokenValue;
          clientId = open.clientId;
        } catch {
          ws.close(1008, 'Malformed OpenDataChannel');
          return;
        }
        if (this.tokens.get(token) !== sessionId) {
          ws.close(1008, 'Invalid token');
          return;
        }
        // Tokens are one use: a reconnect needs a fresh one from ssm:ResumeSession.
        this.tokens.delete(token);
        opened = true;
        session.attach(channel, clientId);
        return;
      }
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      session.receive(bytes);
    });
    ws.on('close', () => {
      clearTimeout(openTimer);
      session.detach(channel);
    });
    ws.on('error', () => session.detach(channel));
  }

  /** Closes every session and the WebSocket server. */
  close(): void {
    for (const session of this.sessions.values()) session.dispose();
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }
}
