import { systemClock, systemTimers } from '../../shared/clock.js';
import {
  type AgentMessage,
  decodeAcknowledgeContent,
  decodeAgentMessage,
  encodeStreamFrame,
  MessageType,
  PAYLOAD_OFFSET,
  PayloadType,
} from '../../ssm/codec/index.js';
import { ReorderBuffer } from '../../ssm/reorder-buffer.js';
import { SendWindow } from '../../ssm/send-window.js';
import type { AgentFaults } from './agent-faults.js';
import { AgentHandshake, HANDSHAKE_TIMEOUT_MESSAGE } from './agent-handshake.js';
import { CommandOutput } from './command-output.js';
import { encodeChannelClosedFrame, garbledStartPublication, isPlainAck } from './mgs-frames.js';
import { MgsLink } from './mgs-link.js';
import {
  type ChannelSocket,
  newSessionSnapshot,
  type SessionIdentity,
  type SessionSnapshot,
  type SessionStatus,
} from './session-snapshot.js';
import { applyTerminalInput, commandArgv } from './terminal-input.js';

/** What MGS says when the idle timer fires. */
export const IDLE_TIMEOUT_MESSAGE = 'Your session timed out due to inactivity and has been terminated.';

export interface AgentSessionOptions extends SessionIdentity {
  faults: AgentFaults;
  /** kms:Decrypt as the agent does it, with the task role: throws when the blob or context is wrong. */
  decryptDataKey(blob: Buffer, context: Record<string, string>): Buffer;
  /** Unacked output frames allowed in flight before the source is paused. */
  windowFrames: number;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  /** How long a finished session waits for its output to be acked (or a client to come back) before closing. */
  drainTimeoutMs: number;
  resendIntervalMs: number;
  onClosed(session: AgentSession): void;
  /** The drain timeout expired with output unacknowledged: the session is about to close and that output is lost. */
  onDrainTimeout?(snapshot: SessionSnapshot, unackedFrames: number): void;
}

/** The agent's incoming reorder buffer holds this many frames, as amazon-ssm-agent does. */
const MAX_OUT_OF_ORDER = 100_000;

/**
 * The SSM agent's side of one ECS Exec session, plus the MGS behaviour in front of it: sequencing, acks, resends,
 * the optional KMS handshake, the command on a pty, channel_closed at the end, and every injected fault.
 */
export class AgentSession {
  readonly snapshot: SessionSnapshot;
  private readonly options: AgentSessionOptions;
  /** Live: faults changed here apply from the next frame on. */
  readonly faults: AgentFaults;
  private readonly link: MgsLink;
  private clientId = '';

  private outSeq = 0;
  private readonly window: SendWindow;
  private readonly inbound = new ReorderBuffer<AgentMessage>(MAX_OUT_OF_ORDER);

  private phase: SessionStatus = 'waiting';
  private readonly handshake: AgentHandshake;
  private handshakeTimer: NodeJS.Timeout | undefined;

  private readonly output: CommandOutput;
  private startedAt = 0;

  private nextSlowSendAt = 0;
  private pumpTimer: NodeJS.Timeout | undefined;
  private pumpScheduled = false;

  private idleTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;

  constructor(options: AgentSessionOptions) {
    this.options = options;
    this.faults = { ...options.faults };
    this.snapshot = newSessionSnapshot(options, Date.now());
    this.link = new MgsLink({ sessionId: options.sessionId, faults: this.faults, onResume: () => this.pump() });
    this.window = new SendWindow({
      clock: systemClock,
      timers: systemTimers,
      resendIntervalMs: options.resendIntervalMs,
      canResend: () =>
        this.link.socket !== undefined && !this.link.paused && this.phase !== 'closed' && this.phase !== 'vanished',
      resend: (entry) => {
        this.snapshot.resentFrames += 1;
        this.link.send(entry.frame);
      },
    });
    this.handshake = new AgentHandshake({
      sessionId: options.sessionId,
      targetId: options.targetId,
      kmsKeyId: options.kmsKeyId,
      faults: this.faults,
      decryptDataKey: options.decryptDataKey,
      send: (payloadType, payload) => this.queueFrame(payloadType, payload),
      armTimeout: () => this.armHandshakeTimer(),
      fail: (output) => this.close(output),
      complete: () => {
        clearTimeout(this.handshakeTimer);
        this.startCommand();
      },
    });
    this.output = new CommandOutput(this.faults, () => {
      this.snapshot.exitCode = 0;
    });
    this.touchIdle();
  }

  get isClosed(): boolean {
    return this.phase === 'closed';
  }

  /** A client connected with a valid token: first attach starts the session, later ones resume it. */
  attach(socket: ChannelSocket, clientId: string): void {
    if (this.phase === 'closed') {
      socket.send(encodeChannelClosedFrame(this.options.sessionId, this.clientId, this.snapshot.closeOutput ?? ''));
      socket.close();
      return;
    }
    this.link.connect(socket);
    this.clientId = clientId;
    this.snapshot.connections += 1;
    if (this.faults.garbledStartPublication) socket.send(garbledStartPublication(this.options.sessionId));
    if (this.faults.neverAnswer) return;
    if (this.phase === 'vanished') {
      this.link.sendPublication(MessageType.PausePublication);
      return;
    }
    if (this.snapshot.connections === 1) {
      this.begin();
      return;
    }
    // A resumed client gets everything it has not acknowledged, in order.
    this.link.corked(() => this.window.resendAll());
    if (this.link.paused) this.link.sendPublication(MessageType.PausePublication);
    this.pump();
    this.maybeFinish();
  }

  /** The socket went away without channel_closed; the session lives on, waiting for a resume. */
  detach(socket: ChannelSocket): void {
    this.link.detach(socket);
  }

  /** A binary frame from the client. */
  receive(bytes: Uint8Array): void {
    if (this.phase === 'closed' || this.faults.neverAnswer) return;
    if (isPlainAck(bytes)) {
      this.handleAckPayload(bytes.subarray(PAYLOAD_OFFSET));
      return;
    }
    let message: AgentMessage;
    try {
      message = decodeAgentMessage(bytes);
    } catch {
      // The agent drops what it cannot parse without an ack; the client's resend repairs it.
      return;
    }
    if (message.messageType === MessageType.Acknowledge) {
      this.handleAckPayload(message.payload);
      return;
    }
    if (message.messageType !== MessageType.InputStreamData) return;
    if (this.phase === 'vanished' || this.link.paused) {
      // While the agent is away MGS answers each client frame with pause_publication and nothing is acked.
      this.link.sendPublication(MessageType.PausePublication);
      return;
    }
    this.touchIdle();
    const seq = message.sequenceNumber;
    if (seq < this.inbound.expected) {
      this.link.sendAck(message);
      return;
    }
    if (seq > this.inbound.expected) {
      if (this.inbound.hold(seq, () => message) === 'held') this.link.sendAck(message);
      return;
    }
    if (!this.handleInput(message)) return;
    this.link.sendAck(message);
    this.inbound.advance();
    for (let next = this.inbound.takeNext(); next; next = this.inbound.takeNext()) {
      // Already acked when buffered; a "not ready" here waits for the client's resend.
      if (!this.handleInput(next)) {
        this.inbound.putBack(next);
        break;
      }
      this.inbound.advance();
    }
  }

  /** ssm:TerminateSession: kill the command, tell the client, close. */
  terminate(): void {
    if (this.phase === 'closed') return;
    this.snapshot.terminated = true;
    this.output.kill();
    this.close('');
  }

  /** The task stopped under the session: the agent is gone, no channel_closed ever comes. */
  vanish(): void {
    if (this.phase === 'closed' || this.phase === 'vanished') return;
    this.phase = 'vanished';
    this.snapshot.status = 'vanished';
    this.output.abandon();
    this.link.sendPublication(MessageType.PausePublication);
  }

  /** Ends the session on sandbox shutdown. */
  dispose(): void {
    this.output.kill();
    this.close('');
  }

  private begin(): void {
    if (this.options.kmsKeyId !== undefined || this.faults.alwaysHandshake) {
      this.phase = 'handshaking';
      this.snapshot.status = 'handshaking';
      this.handshake.start();
    } else this.startCommand();
  }

  private armHandshakeTimer(): void {
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = setTimeout(() => this.close(HANDSHAKE_TIMEOUT_MESSAGE), this.options.handshakeTimeoutMs);
    this.handshakeTimer.unref();
  }

  private startCommand(): void {
    this.phase = 'running';
    this.snapshot.status = 'running';
    this.startedAt = Date.now();
    if (this.faults.syntheticOutputBytes !== undefined) {
      this.snapshot.argv = [];
      this.output.startSynthetic();
      this.pump();
      return;
    }
    const argv = commandArgv(this.options.command);
    if (typeof argv === 'string') {
      this.close(argv);
      return;
    }
    this.snapshot.argv = argv;
    const process = this.output.spawn(argv, {
      accepting: () => this.phase === 'running' || this.phase === 'closing',
      onOutput: () => this.pump(),
      onExit: (code) => {
        this.snapshot.exitCode = code;
        if (this.phase === 'closed') this.output.disposeIfExited();
        this.pump();
        this.maybeFinish();
      },
    });
    const size = this.snapshot.sizes.at(-1);
    if (size) process.resize(size.cols, size.rows);
  }

  // ------------------------------------------------------------------ output

  private canSend(): boolean {
    return (
      (this.phase === 'running' || this.phase === 'closing') &&
      !this.link.paused &&
      this.window.size < this.options.windowFrames
    );
  }

  /** Moves pending output into sequenced frames as far as the window, a pause and the slow-agent delay allow. */
  private pump(): void {
    if (this.pumpTimer) return;
    this.link.corked(() => this.pumpFrames());
  }

  private pumpFrames(): void {
    const slow = this.faults.outputDelayMs ?? 0;
    while (this.output.queued > 0 && this.canSend()) {
      if (slow > 0) {
        const wait = this.nextSlowSendAt - Date.now();
        if (wait > 0) {
          this.pumpTimer = setTimeout(() => {
            this.pumpTimer = undefined;
            this.pump();
          }, wait);
          this.pumpTimer.unref();
          return;
        }
        this.nextSlowSendAt = Date.now() + slow;
      }
      const payload = this.output.take() as Buffer;
      this.snapshot.outputBytes += payload.length;
      const cipher = this.handshake.cipher;
      this.queueFrame(PayloadType.Output, cipher ? cipher.encrypt(payload) : payload);
    }
    this.output.refill();
    this.maybeFinish();
  }

  private queueFrame(payloadType: number, payload: Uint8Array): void {
    const seq = this.outSeq;
    this.outSeq += 1;
    const frame = encodeStreamFrame(MessageType.OutputStreamData, seq, payloadType, payload, Date.now());
    this.window.track(seq, frame);
    if (payloadType === PayloadType.Output) this.link.sendOutput(frame);
    else this.link.send(frame);
  }

  private handleAckPayload(payload: Uint8Array): void {
    let seq: number;
    try {
      seq = decodeAcknowledgeContent(payload).acknowledgedMessageSequenceNumber;
    } catch {
      return;
    }
    if (!this.window.acknowledge(seq)) return;
    // Acks arrive in bursts (one TCP read holds many): refill the window once per burst, in one corked write.
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
  }

  // ------------------------------------------------------------------ input

  /** Handles one in-order client frame; false means "not ready", so it stays unacked and the client resends it. */
  private handleInput(message: AgentMessage): boolean {
    const type = message.payloadType;
    if (this.phase === 'handshaking') {
      // Anything else than the handshake answers is acked and thrown away, as the agent does.
      this.handshake.receive(type, message.payload);
      return true;
    }
    if (this.phase !== 'running') return true;
    const notReady = this.faults.notReadyMs;
    if (notReady !== undefined && Date.now() - this.startedAt < notReady) return false;
    applyTerminalInput(type, message.payload, this.handshake.cipher, this.output, this.snapshot);
    return true;
  }

  private touchIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.output.kill();
      this.close(IDLE_TIMEOUT_MESSAGE);
    }, this.options.idleTimeoutMs);
    this.idleTimer.unref();
  }

  // ------------------------------------------------------------------ end

  private maybeFinish(): void {
    if (!this.output.ended || this.output.queued > 0 || this.phase !== 'running') {
      if (this.phase === 'closing' && this.window.size === 0 && this.output.queued === 0) this.close('');
      return;
    }
    this.phase = 'closing';
    this.snapshot.status = 'closing';
    this.drainTimer = setTimeout(() => this.drainTimeout(), this.options.drainTimeoutMs);
    this.drainTimer.unref();
    if (this.window.size === 0) this.close('');
  }

  /** Like the agent after its drain wait, closes normally even though output is unacked, but says so. */
  private drainTimeout(): void {
    if (this.phase === 'closed') return;
    if (this.window.size > 0) {
      this.snapshot.drainTimedOut = true;
      this.options.onDrainTimeout?.(this.snapshot, this.window.size);
    }
    this.close('');
  }

  private close(output: string): void {
    if (this.phase === 'closed') return;
    this.snapshot.unackedAtClose = this.window.size;
    this.phase = 'closed';
    this.snapshot.status = 'closed';
    this.snapshot.closeOutput = output;
    this.snapshot.closedAt = Date.now();
    this.window.close();
    for (const timer of [this.idleTimer, this.drainTimer, this.handshakeTimer, this.pumpTimer]) clearTimeout(timer);
    this.link.close(this.clientId, output);
    this.window.clear();
    this.inbound.clear();
    this.output.dispose();
    this.options.onClosed(this);
  }
}
