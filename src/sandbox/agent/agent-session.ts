import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import {
  ActionStatus,
  ActionType,
  type AgentMessage,
  decodeAcknowledgeContent,
  decodeAgentMessage,
  decodeEncChallenge,
  decodeHandshakeResponse,
  decodeSize,
  encodeAcknowledgeContent,
  encodeAgentMessage,
  encodeChannelClosed,
  encodeEncChallenge,
  encodeHandshakeComplete,
  encodeHandshakeRequest,
  Flags,
  HEADER,
  HEADER_LENGTH_VALUE,
  MessageType,
  PAYLOAD_OFFSET,
  PayloadType,
  type TerminalSize,
  toKmsEncryptionResult,
} from '../../ssm/codec/index.js';
import { createSessionCipher, type SessionCipher } from '../../ssm/session-crypto.js';
import { type AgentFaults, isEvery } from './agent-faults.js';
import { CommandSplitError, splitCommand } from './command-split.js';
import { type PtyProcess, spawnPtyProcess } from './pty-process.js';
import { syntheticOutput } from './synthetic-output.js';
import { MAX_FRAME_PAYLOAD, Utf8Chunker } from './utf8-chunker.js';

/** The agent's version string in HandshakeRequests. */
export const SANDBOX_AGENT_VERSION = '3.3.987.0';
/** What the agent says when the client does not answer the handshake in time. */
export const HANDSHAKE_TIMEOUT_MESSAGE =
  'Handshake timed out. Please ensure that you have the latest version of the session manager plugin.';
/** What MGS says when the idle timer fires. */
export const IDLE_TIMEOUT_MESSAGE = 'Your session timed out due to inactivity and has been terminated.';

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

export interface AgentSessionOptions {
  sessionId: string;
  clusterArn: string;
  taskArn: string;
  containerName: string;
  command: string;
  targetId: string;
  kmsKeyId: string | undefined;
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

interface Unacked {
  frame: Uint8Array;
  firstSentAt: number;
  lastSentAt: number;
  sends: number;
}

const MAX_OUT_OF_ORDER = 100_000;
const ACK_TYPE_FIELD = Buffer.from(MessageType.Acknowledge.padEnd(HEADER.messageType.length, ' '));

/**
 * A space-padded `acknowledge` frame with the standard header length. The agent does not verify digests (it runs
 * only the header checks), so acks, one per output frame and the hottest path, skip the full decode.
 */
function isPlainAck(bytes: Uint8Array): boolean {
  if (bytes.length <= PAYLOAD_OFFSET || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0) return false;
  if (bytes[3] !== HEADER_LENGTH_VALUE) return false;
  const type = bytes.subarray(HEADER.messageType.offset, HEADER.messageType.offset + HEADER.messageType.length);
  return ACK_TYPE_FIELD.equals(type);
}
const SOURCE_HIGH_WATER = 64;
const MIN_RTO_MS = 10;
const MAX_RTO_MS = 1000;
const textEncoder = new TextEncoder();

/**
 * A `start_publication` as MGS has been seen to send it first thing: PayloadLength written little-endian and a digest
 * that does not match. Clients must not validate (or ack) publication messages.
 */
function garbledStartPublication(sessionId: string): Uint8Array {
  const payload = textEncoder.encode(JSON.stringify({ SessionId: sessionId }));
  const frame = encodeAgentMessage({
    messageType: MessageType.StartPublication,
    schemaVersion: 1,
    createdDate: Date.now(),
    sequenceNumber: 0,
    flags: Flags.None,
    messageId: randomUUID(),
    payloadType: PayloadType.None,
    payload,
  });
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  view.setUint32(HEADER.payloadLength.offset, payload.length, true);
  frame.fill(0xab, HEADER.payloadDigest.offset, HEADER.payloadDigest.offset + HEADER.payloadDigest.length);
  return frame;
}

/**
 * The SSM agent's side of one ECS Exec session, plus the MGS behaviour in front of it: sequencing, acks, resends,
 * the optional KMS handshake, the command on a pty, channel_closed at the end, and every injected fault.
 */
export class AgentSession {
  readonly snapshot: SessionSnapshot;
  private readonly options: AgentSessionOptions;
  /** Live: faults changed here apply from the next frame on. */
  readonly faults: AgentFaults;
  private socket: ChannelSocket | undefined;
  private clientId = '';

  private outSeq = 0;
  private readonly unacked = new Map<number, Unacked>();
  private srtt = 100;
  private rttvar = 0;
  private rto = 200;

  private inExpected = 0;
  private readonly inBuffer = new Map<number, AgentMessage>();
  private acksSent = 0;

  private phase: SessionStatus = 'waiting';
  private cipher: SessionCipher | undefined;
  private handshakeStartedAt = 0;
  private challenge: Buffer | undefined;
  private kmsChallenge = '';
  private handshakeTimer: NodeJS.Timeout | undefined;

  private process: PtyProcess | undefined;
  private processExited = false;
  private readonly chunker = new Utf8Chunker(MAX_FRAME_PAYLOAD);
  private readonly pending: Buffer[] = [];
  private sourcePaused = false;
  private sourceEnded = false;
  private syntheticOffset = 0;
  private startedAt = 0;

  private outputFrames = 0;
  private heldFrame: Uint8Array | undefined;
  private heldTimer: NodeJS.Timeout | undefined;
  private publicationPaused = false;
  private pauseTimer: NodeJS.Timeout | undefined;
  private socketClosedOnce = false;
  private nextSlowSendAt = 0;
  private pumpTimer: NodeJS.Timeout | undefined;
  private pumpScheduled = false;

  private readonly resendTimer: NodeJS.Timeout;
  private idleTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;

  constructor(options: AgentSessionOptions) {
    this.options = options;
    this.faults = { ...options.faults };
    this.snapshot = {
      sessionId: options.sessionId,
      clusterArn: options.clusterArn,
      taskArn: options.taskArn,
      containerName: options.containerName,
      command: options.command,
      argv: undefined,
      targetId: options.targetId,
      kmsKeyId: options.kmsKeyId,
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
      createdAt: Date.now(),
      closedAt: undefined,
    };
    this.resendTimer = setInterval(() => this.resendStale(), options.resendIntervalMs);
    this.resendTimer.unref();
    this.touchIdle();
  }

  get isClosed(): boolean {
    return this.phase === 'closed';
  }

  /** A client connected with a valid token: first attach starts the session, later ones resume it. */
  attach(socket: ChannelSocket, clientId: string): void {
    if (this.phase === 'closed') {
      this.sendChannelClosed(socket, this.snapshot.closeOutput ?? '');
      socket.close();
      return;
    }
    const previous = this.socket;
    this.socket = socket;
    this.clientId = clientId;
    this.snapshot.connections += 1;
    if (previous && previous !== socket) previous.terminate();
    if (this.faults.garbledStartPublication) socket.send(garbledStartPublication(this.options.sessionId));
    if (this.faults.neverAnswer) return;
    if (this.phase === 'vanished') {
      this.sendControl(MessageType.PausePublication);
      return;
    }
    if (this.snapshot.connections === 1) {
      this.begin();
      return;
    }
    // A resumed client gets everything it has not acknowledged, in order.
    socket.cork?.();
    for (const entry of this.unacked.values()) this.transmit(entry, true);
    socket.uncork?.();
    if (this.publicationPaused) this.sendControl(MessageType.PausePublication);
    this.pump();
    this.maybeFinish();
  }

  /** The socket went away without channel_closed; the session lives on, waiting for a resume. */
  detach(socket: ChannelSocket): void {
    if (this.socket === socket) this.socket = undefined;
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
    if (this.phase === 'vanished' || this.publicationPaused) {
      // While the agent is away MGS answers each client frame with pause_publication and nothing is acked.
      this.sendControl(MessageType.PausePublication);
      return;
    }
    this.touchIdle();
    const seq = message.sequenceNumber;
    if (seq < this.inExpected) {
      this.sendAck(message);
      return;
    }
    if (seq > this.inExpected) {
      if (this.inBuffer.size < MAX_OUT_OF_ORDER && !this.inBuffer.has(seq)) {
        this.inBuffer.set(seq, message);
        this.sendAck(message);
      }
      return;
    }
    if (!this.handleInput(message)) return;
    this.sendAck(message);
    this.inExpected += 1;
    for (let next = this.inBuffer.get(this.inExpected); next; next = this.inBuffer.get(this.inExpected)) {
      this.inBuffer.delete(this.inExpected);
      // Already acked when buffered; a "not ready" here waits for the client's resend.
      if (!this.handleInput(next)) {
        this.inBuffer.set(this.inExpected, next);
        break;
      }
      this.inExpected += 1;
    }
  }

  /** ssm:TerminateSession: kill the command, tell the client, close. */
  terminate(): void {
    if (this.phase === 'closed') return;
    this.snapshot.terminated = true;
    this.process?.kill();
    this.close('');
  }

  /** The task stopped under the session: the agent is gone, no channel_closed ever comes. */
  vanish(): void {
    if (this.phase === 'closed' || this.phase === 'vanished') return;
    this.phase = 'vanished';
    this.snapshot.status = 'vanished';
    this.process?.kill();
    this.sourceEnded = true;
    this.pending.length = 0;
    this.sendControl(MessageType.PausePublication);
  }

  /** Ends the session on sandbox shutdown. */
  dispose(): void {
    this.process?.kill();
    this.close('');
  }

  // ------------------------------------------------------------------ start and handshake

  private begin(): void {
    if (this.options.kmsKeyId !== undefined || this.faults.alwaysHandshake) this.startHandshake();
    else this.startCommand();
  }

  private startHandshake(): void {
    this.phase = 'handshaking';
    this.snapshot.status = 'handshaking';
    this.handshakeStartedAt = Date.now();
    const actions: Array<{ actionType: string; parameters: Record<string, unknown> }> = [
      { actionType: ActionType.SessionType, parameters: { SessionType: 'InteractiveCommands', Properties: null } },
    ];
    if (this.options.kmsKeyId !== undefined) {
      this.kmsChallenge = randomBytes(16).toString('base64');
      actions.push({
        actionType: ActionType.KmsEncryption,
        parameters: { KMSKeyId: this.options.kmsKeyId, Challenge: this.kmsChallenge },
      });
    }
    this.queueFrame(
      PayloadType.HandshakeRequest,
      encodeHandshakeRequest({ agentVersion: SANDBOX_AGENT_VERSION, actions }),
    );
    this.armHandshakeTimer();
  }

  private armHandshakeTimer(): void {
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = setTimeout(() => this.close(HANDSHAKE_TIMEOUT_MESSAGE), this.options.handshakeTimeoutMs);
    this.handshakeTimer.unref();
  }

  private handleHandshakeResponse(payload: Uint8Array): void {
    let response: ReturnType<typeof decodeHandshakeResponse>;
    try {
      response = decodeHandshakeResponse(payload);
    } catch {
      this.close('Handshake failed: the handshake response could not be parsed.');
      return;
    }
    for (const action of response.actions) {
      if (action.actionStatus !== ActionStatus.Success) {
        this.close(`Handshake failed: ${action.actionType} failed on the client: ${action.error}`);
        return;
      }
    }
    if (this.options.kmsKeyId === undefined) {
      this.completeHandshake('');
      return;
    }
    const kmsAction = response.actions.find((a) => a.actionType === ActionType.KmsEncryption);
    if (!kmsAction) {
      this.close('Handshake failed: the client did not answer the KMSEncryption action.');
      return;
    }
    try {
      const result = toKmsEncryptionResult(kmsAction.actionResult);
      if (this.faults.requireChallengeAcknowledgement && !result.challengeAcknowledgement) {
        this.close('Handshake failed: client does not support required encryption context random challenge');
        return;
      }
      const context: Record<string, string> = {
        'aws:ssm:SessionId': this.options.sessionId,
        'aws:ssm:TargetId': this.options.targetId,
      };
      if (result.challengeAcknowledgement) context['aws:ssm:RandomChallenge'] = this.kmsChallenge;
      const dataKey = this.options.decryptDataKey(Buffer.from(result.kmsCipherTextKey, 'base64'), context);
      this.cipher = createSessionCipher(dataKey, 'agent');
    } catch (error) {
      const reason = error instanceof Error && error.message ? error.message : String(error);
      const type = error instanceof Error && 'type' in error ? String((error as { type: unknown }).type) : 'Error';
      this.close(`Handshake failed: KMS Decrypt of the data key failed: ${type}: ${reason}`);
      return;
    }
    this.challenge = randomBytes(64);
    this.queueFrame(PayloadType.EncChallengeRequest, encodeEncChallenge(this.cipher.encrypt(this.challenge)));
    this.armHandshakeTimer();
  }

  private handleChallengeResponse(payload: Uint8Array): void {
    if (!this.cipher || !this.challenge) return;
    try {
      const answer = Buffer.from(this.cipher.decrypt(decodeEncChallenge(payload)));
      if (answer.length !== this.challenge.length || !timingSafeEqual(answer, this.challenge))
        throw new Error('mismatch');
    } catch {
      this.close('Handshake failed: the encryption challenge response did not match.');
      return;
    }
    this.completeHandshake('This session is encrypted using AWS KMS.');
  }

  private completeHandshake(customerMessage: string): void {
    clearTimeout(this.handshakeTimer);
    this.queueFrame(
      PayloadType.HandshakeComplete,
      encodeHandshakeComplete({
        handshakeTimeToComplete: (Date.now() - this.handshakeStartedAt) * 1_000_000,
        customerMessage,
      }),
    );
    this.startCommand();
  }

  private startCommand(): void {
    this.phase = 'running';
    this.snapshot.status = 'running';
    this.startedAt = Date.now();
    const synthetic = this.faults.syntheticOutputBytes;
    if (synthetic !== undefined) {
      this.snapshot.argv = [];
      this.produceSynthetic();
      this.pump();
      return;
    }
    let argv: string[];
    try {
      argv = splitCommand(this.options.command);
    } catch (error) {
      const reason = error instanceof CommandSplitError ? error.message : 'invalid command';
      this.close(`Unable to start command: failed to parse command: ${reason}`);
      return;
    }
    if (argv.length === 0) {
      this.close('Unable to start command: the command is empty');
      return;
    }
    this.snapshot.argv = argv;
    this.process = spawnPtyProcess(argv, {
      onData: (chunk) => this.acceptOutput(chunk),
      onExit: (code) => {
        this.processExited = true;
        this.snapshot.exitCode = code;
        if (this.phase === 'closed') this.process?.dispose();
        for (const rest of this.chunker.flush()) this.pending.push(rest);
        this.sourceEnded = true;
        this.pump();
        this.maybeFinish();
      },
    });
    const size = this.snapshot.sizes.at(-1);
    if (size) this.process.resize(size.cols, size.rows);
  }

  // ------------------------------------------------------------------ output

  private acceptOutput(chunk: Buffer): void {
    if (this.phase !== 'running' && this.phase !== 'closing') return;
    for (const payload of this.chunker.push(chunk)) this.pending.push(payload);
    if (this.pending.length > SOURCE_HIGH_WATER && !this.sourcePaused) {
      this.sourcePaused = true;
      this.process?.pause();
    }
    this.pump();
  }

  private produceSynthetic(): void {
    const total = this.faults.syntheticOutputBytes ?? 0;
    while (this.pending.length < SOURCE_HIGH_WATER && this.syntheticOffset < total) {
      const length = Math.min(MAX_FRAME_PAYLOAD, total - this.syntheticOffset);
      this.pending.push(syntheticOutput(this.syntheticOffset, length));
      this.syntheticOffset += length;
    }
    if (this.syntheticOffset >= total && !this.sourceEnded) {
      this.sourceEnded = true;
      this.snapshot.exitCode = 0;
    }
  }

  private canSend(): boolean {
    return (
      (this.phase === 'running' || this.phase === 'closing') &&
      !this.publicationPaused &&
      this.unacked.size < this.options.windowFrames
    );
  }

  /** Moves pending output into sequenced frames as far as the window, a pause and the slow-agent delay allow. */
  private pump(): void {
    if (this.pumpTimer) return;
    const socket = this.socket;
    socket?.cork?.();
    try {
      this.pumpFrames();
    } finally {
      socket?.uncork?.();
    }
  }

  private pumpFrames(): void {
    const slow = this.faults.outputDelayMs ?? 0;
    while (this.pending.length > 0 && this.canSend()) {
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
      const payload = this.pending.shift() as Buffer;
      this.snapshot.outputBytes += payload.length;
      this.queueFrame(PayloadType.Output, this.cipher ? this.cipher.encrypt(payload) : payload);
      if (this.faults.syntheticOutputBytes !== undefined && this.pending.length === 0) this.produceSynthetic();
    }
    if (this.sourcePaused && this.pending.length < SOURCE_HIGH_WATER / 2) {
      this.sourcePaused = false;
      this.process?.resume();
    }
    if (this.faults.syntheticOutputBytes !== undefined && this.pending.length === 0) this.produceSynthetic();
    this.maybeFinish();
  }

  private queueFrame(payloadType: number, payload: Uint8Array): void {
    const seq = this.outSeq;
    this.outSeq += 1;
    const frame = encodeAgentMessage({
      messageType: MessageType.OutputStreamData,
      schemaVersion: 1,
      createdDate: Date.now(),
      sequenceNumber: seq,
      flags: seq === 0 ? Flags.Syn : Flags.None,
      messageId: randomUUID(),
      payloadType,
      payload,
    });
    const now = Date.now();
    const entry: Unacked = { frame, firstSentAt: now, lastSentAt: now, sends: 0 };
    this.unacked.set(seq, entry);
    if (payloadType !== PayloadType.Output) {
      this.transmit(entry, false);
      return;
    }
    this.outputFrames += 1;
    const n = this.outputFrames;
    if (isEvery(this.faults.dropOutputEvery, n)) {
      entry.sends = 1;
    } else if (isEvery(this.faults.reorderOutputEvery, n) && !this.heldFrame) {
      entry.sends = 1;
      this.heldFrame = frame;
      this.heldTimer = setTimeout(() => this.releaseHeld(), 30);
      this.heldTimer.unref();
    } else {
      this.transmit(entry, false);
      if (isEvery(this.faults.duplicateOutputEvery, n)) this.socket?.send(frame);
      this.releaseHeld();
    }
    if (this.faults.closeSocketAfterFrames !== undefined && n === this.faults.closeSocketAfterFrames) {
      this.dropSocketOnce();
    }
    if (this.faults.pausePublicationAfterFrames !== undefined && n === this.faults.pausePublicationAfterFrames) {
      this.pausePublication();
    }
  }

  private transmit(entry: Unacked, isResend: boolean): void {
    entry.sends += 1;
    entry.lastSentAt = Date.now();
    if (isResend) this.snapshot.resentFrames += 1;
    this.socket?.send(entry.frame);
  }

  private releaseHeld(): void {
    clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    const held = this.heldFrame;
    this.heldFrame = undefined;
    if (held) this.socket?.send(held);
  }

  private dropSocketOnce(): void {
    if (this.socketClosedOnce || !this.socket) return;
    this.socketClosedOnce = true;
    const socket = this.socket;
    this.socket = undefined;
    // Let the frames already written leave first, so the cut lands mid-output, not before it.
    setImmediate(() => socket.terminate());
  }

  private pausePublication(): void {
    this.publicationPaused = true;
    this.sendControl(MessageType.PausePublication);
    const duration = this.faults.pausePublicationMs;
    if (duration === undefined) return;
    // Only MGS lifts the pause; client acks or input do not bring a paused agent back.
    this.pauseTimer = setTimeout(() => {
      this.sendControl(MessageType.StartPublication);
      this.clearPublicationPause();
    }, duration);
    this.pauseTimer.unref();
  }

  private clearPublicationPause(): void {
    this.pauseTimer = undefined;
    this.publicationPaused = false;
    this.pump();
  }

  /** Like the agent, looks only at the oldest unacked frame each tick: later ones are usually just queued, not lost. */
  private resendStale(): void {
    if (!this.socket || this.publicationPaused || this.phase === 'closed' || this.phase === 'vanished') return;
    const oldest = this.unacked.values().next();
    if (oldest.done || Date.now() - oldest.value.lastSentAt < this.rto) return;
    this.transmit(oldest.value, true);
  }

  private handleAckPayload(payload: Uint8Array): void {
    let seq: number;
    try {
      seq = decodeAcknowledgeContent(payload).acknowledgedMessageSequenceNumber;
    } catch {
      return;
    }
    const entry = this.unacked.get(seq);
    if (!entry) return;
    this.unacked.delete(seq);
    if (entry.sends === 1) this.updateRto(Date.now() - entry.firstSentAt);
    // Acks arrive in bursts (one TCP read holds many): refill the window once per burst, in one corked write.
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
  }

  private updateRto(sample: number): void {
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - sample);
    this.srtt = 0.875 * this.srtt + 0.125 * sample;
    this.rto = Math.min(MAX_RTO_MS, this.srtt + Math.max(MIN_RTO_MS, 4 * this.rttvar));
  }

  // ------------------------------------------------------------------ input

  /** Handles one in-order client frame; false means "not ready", so it stays unacked and the client resends it. */
  private handleInput(message: AgentMessage): boolean {
    const type = message.payloadType;
    if (this.phase === 'handshaking') {
      if (type === PayloadType.HandshakeResponse) this.handleHandshakeResponse(message.payload);
      else if (type === PayloadType.EncChallengeResponse) this.handleChallengeResponse(message.payload);
      // Anything else before the handshake is done is acked and thrown away, as the agent does.
      return true;
    }
    if (this.phase !== 'running') return true;
    const notReady = this.faults.notReadyMs;
    if (notReady !== undefined && Date.now() - this.startedAt < notReady) return false;
    if (type === PayloadType.Size) {
      try {
        const size = decodeSize(message.payload);
        this.snapshot.sizes.push(size);
        if (size.cols > 0 && size.rows > 0) this.process?.resize(size.cols, size.rows);
      } catch {
        // A malformed size is ignored by the agent too.
      }
      return true;
    }
    if (type === PayloadType.Output) {
      let bytes = message.payload;
      if (this.cipher) {
        try {
          bytes = this.cipher.decrypt(bytes);
        } catch {
          return true;
        }
      }
      this.snapshot.inputBytes += bytes.length;
      this.process?.write(bytes);
    }
    return true;
  }

  private sendAck(message: AgentMessage): void {
    this.acksSent += 1;
    if (isEvery(this.faults.dropAckEvery, this.acksSent)) return;
    const frame = encodeAgentMessage({
      messageType: MessageType.Acknowledge,
      schemaVersion: 1,
      createdDate: Date.now(),
      sequenceNumber: 0,
      flags: Flags.SynFin,
      messageId: randomUUID(),
      payloadType: PayloadType.None,
      payload: encodeAcknowledgeContent({
        acknowledgedMessageType: message.messageType,
        acknowledgedMessageId: message.messageId,
        acknowledgedMessageSequenceNumber: message.sequenceNumber,
      }),
    });
    const delay = this.faults.ackDelayMs;
    if (delay) setTimeout(() => this.socket?.send(frame), delay).unref();
    else this.socket?.send(frame);
  }

  private sendControl(type: typeof MessageType.PausePublication | typeof MessageType.StartPublication): void {
    // MGS's control messages carry a payload too; the client must not validate or ack them.
    const frame = encodeAgentMessage({
      messageType: type,
      schemaVersion: 1,
      createdDate: Date.now(),
      sequenceNumber: 0,
      flags: Flags.None,
      messageId: randomUUID(),
      payloadType: PayloadType.None,
      payload: textEncoder.encode(JSON.stringify({ SessionId: this.options.sessionId })),
    });
    this.socket?.send(frame);
  }

  private touchIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.process?.kill();
      this.close(IDLE_TIMEOUT_MESSAGE);
    }, this.options.idleTimeoutMs);
    this.idleTimer.unref();
  }

  // ------------------------------------------------------------------ end

  private maybeFinish(): void {
    if (!this.sourceEnded || this.pending.length > 0 || this.phase !== 'running') {
      if (this.phase === 'closing' && this.unacked.size === 0 && this.pending.length === 0) this.close('');
      return;
    }
    this.phase = 'closing';
    this.snapshot.status = 'closing';
    this.drainTimer = setTimeout(() => this.drainTimeout(), this.options.drainTimeoutMs);
    this.drainTimer.unref();
    if (this.unacked.size === 0) this.close('');
  }

  /** Like the agent after its drain wait, closes normally even though output is unacked, but says so. */
  private drainTimeout(): void {
    if (this.phase === 'closed') return;
    if (this.unacked.size > 0) {
      this.snapshot.drainTimedOut = true;
      this.options.onDrainTimeout?.(this.snapshot, this.unacked.size);
    }
    this.close('');
  }

  private close(output: string): void {
    if (this.phase === 'closed') return;
    this.snapshot.unackedAtClose = this.unacked.size;
    this.phase = 'closed';
    this.snapshot.status = 'closed';
    this.snapshot.closeOutput = output;
    this.snapshot.closedAt = Date.now();
    clearInterval(this.resendTimer);
    for (const timer of [this.idleTimer, this.drainTimer, this.handshakeTimer, this.pauseTimer, this.pumpTimer]) {
      clearTimeout(timer);
    }
    this.releaseHeld();
    const socket = this.socket;
    if (socket) {
      this.sendChannelClosed(socket, output);
      socket.close();
    }
    this.unacked.clear();
    this.inBuffer.clear();
    this.pending.length = 0;
    this.process?.kill();
    if (this.processExited) this.process?.dispose();
    this.options.onClosed(this);
  }

  private sendChannelClosed(socket: ChannelSocket, output: string): void {
    socket.send(
      encodeAgentMessage({
        messageType: MessageType.ChannelClosed,
        schemaVersion: 1,
        createdDate: Date.now(),
        sequenceNumber: 0,
        flags: Flags.SynFin,
        messageId: randomUUID(),
        payloadType: PayloadType.None,
        payload: encodeChannelClosed({
          messageId: randomUUID(),
          createdDate: new Date().toISOString(),
          destinationId: this.clientId,
          sessionId: this.options.sessionId,
          schemaVersion: 1,
          output,
        }),
      }),
    );
  }
}
