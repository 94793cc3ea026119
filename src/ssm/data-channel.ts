import type { Clock, Timers } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { decodeAgentMessage, encodeAgentMessage } from './codec/agent-message.js';
import { DecodeError } from './codec/errors.js';
import { type AgentMessage, Flags, MessageType, PayloadType } from './codec/layout.js';
import {
  ActionStatus,
  ActionType,
  decodeAcknowledgeContent,
  decodeChannelClosed,
  decodeEncChallenge,
  decodeHandshakeComplete,
  decodeHandshakeRequest,
  encodeAcknowledgeContent,
  encodeEncChallenge,
  encodeHandshakeResponse,
  encodeOpenDataChannel,
  encodeSize,
  type HandshakeRequest,
  kmsEncryptionResult,
  type ProcessedClientAction,
  type TerminalSize,
  toKmsEncryptionParameters,
} from './codec/payloads.js';
import { randomMessageId } from './codec/uuid.js';
import { SsmError } from './errors.js';
import type { KmsPort } from './ports.js';
import {
  answerEncryptionChallenge,
  createSessionCipher,
  DATA_KEY_BYTES,
  type SessionCipher,
} from './session-crypto.js';
import type { MessageTransport, TransportCloseInfo } from './transport-port.js';

/** What the data channel reports upward. */
export interface DataChannelEvents {
  /** Command output in order, decrypted; may be a view into a received frame. */
  onOutput(chunk: Uint8Array): void;
  /** MGS closed the channel; `output` is empty on a normal end and holds the reason otherwise. */
  onChannelClosed(output: string): void;
  /** The channel cannot go on (handshake, KMS or decryption failure). */
  onFatal(error: SsmError): void;
  /** The socket went away without `channel_closed`; the owner may reconnect and `attach` again. */
  onTransportClosed(info: TransportCloseInfo): void;
  /** The session is live: the handshake completed, or the first output arrived without one. */
  onLive?(): void;
  /** An `EXIT_CODE: n` payload (only NonInteractiveCommands sessions send it). */
  onExitCode?(code: number): void;
}

/** Options for {@link DataChannel}. Defaults follow AWS's session-manager-plugin unless noted. */
export interface DataChannelOptions {
  sessionId: string;
  /** `ecs:<cluster>_<task>_<runtimeId>`; part of the KMS encryption context. */
  targetId: string;
  kms: KmsPort;
  clock: Clock;
  timers: Timers;
  events: DataChannelEvents;
  /** Reused across reconnects of this client. Default: random. */
  clientId?: string;
  /** Advertised client version; a realistic released one. Default 1.2.650.0. */
  clientVersion?: string;
  /** Sent once when live. Default 200x50. */
  terminalSize?: TerminalSize;
  /**
   * Out-of-order frames held at most; beyond it they are dropped unacked and the agent resends. Default 10,000, as the
   * session-manager-plugin: the agent resends one lost frame per 100 ms tick, so a gap can stay open while thousands of
   * later frames arrive, and each one discarded here would need its own slow resend.
   */
  maxOutOfOrder?: number;
  /** Input messages awaiting an ack at most. Default 10,000. */
  maxUnacked?: number;
  /** Resend scheduler period. Default 100 ms. */
  resendIntervalMs?: number;
  /** Add `aws:ssm:RandomChallenge` to the KMS context and acknowledge it. Default false (as the stock client). */
  kmsChallengeContext?: boolean;
  /**
   * When nothing at all has arrived this long after attaching, the agent has skipped the handshake and its command
   * is simply quiet: send the Size now, so a command that measures the terminal before printing sees the real size.
   * Default 1000 ms; 0 disables (Size only once live, as session-manager-plugin does).
   */
  earlySizeAfterMs?: number;
  /** Largest accepted frame payload. Default 1 MiB. */
  maxPayloadBytes?: number;
  logger?: Logger;
}

/** Output the channel knows it never delivered: frames from `firstMissingSeq` on are missing or held past a gap. */
export interface OutputGap {
  /** The sequence number output stopped at. */
  firstMissingSeq: number;
  /** Highest sequence number seen; frames up to it exist but were not all delivered. */
  highestSeenSeq: number;
  /** Frames held in the reorder buffer, never delivered. */
  bufferedFrames: number;
}

/** Where the channel is in its life. */
export type DataChannelState = 'waiting' | 'handshaking' | 'live' | 'closed';

interface Unacked {
  seq: number;
  frame: Uint8Array;
  firstSentAt: number;
  lastSentAt: number;
  resends: number;
}

const SUPPORTED_SESSION_TYPES = new Set(['Standard_Stream', 'InteractiveCommands', 'NonInteractiveCommands']);
const MAX_INPUT_CHUNK = 1024;
/** RTO estimator constants (Jacobson/Karels), shared by the reference agent and client. */
const RTO = { initialSrtt: 100, initialRto: 200, alpha: 1 / 8, beta: 1 / 4, granularity: 10, max: 1000 } as const;

/**
 * The SSM data channel over one (replaceable) transport: OpenDataChannel, sequence numbers both ways, acks, in-order
 * delivery with a bounded reorder buffer, resends on the RTO estimate, pause/start publication, the optional KMS
 * handshake and payload encryption. Sequence state survives `attach` to a new transport, which is how a reconnect
 * continues without losing or doubling a byte.
 */
export class DataChannel {
  private readonly options: DataChannelOptions;
  private readonly clientId: string;
  private transport: MessageTransport | null = null;
  private stateValue: DataChannelState = 'waiting';

  private expected = 0;
  /** Highest output sequence number seen, delivered or not; -1 before the first. */
  private highestSeen = -1;
  private readonly outOfOrder = new Map<number, AgentMessage>();
  /** True while an async handshake step runs; later frames wait in the reorder buffer. */
  private busy = false;

  private nextSeq = 0;
  private readonly unacked: Unacked[] = [];
  private readonly pendingInput: Array<{ payloadType: number; payload: Uint8Array }> = [];
  private resendTimer: unknown = null;
  private srtt: number = RTO.initialSrtt;
  private rttvar = 0;
  private rtoValue: number = RTO.initialRto;

  private pausedValue = false;
  private pausedSinceValue = 0;
  private lastProgressAtValue: number;
  private lastReceivedAtValue = 0;
  private decodeErrorCount = 0;

  private sizeSent = false;
  private terminalSize: TerminalSize | undefined;
  private earlySizeTimer: unknown = null;
  private dataKey: Uint8Array | null = null;
  private cipher: SessionCipher | null = null;

  constructor(options: DataChannelOptions) {
    this.options = options;
    this.clientId = options.clientId ?? randomMessageId();
    this.terminalSize = options.terminalSize;
    this.lastProgressAtValue = options.clock.now();
  }

  get state(): DataChannelState {
    return this.stateValue;
  }
  /** MGS said the agent's side is inactive (pause_publication) and nothing has resumed it since. */
  get paused(): boolean {
    return this.pausedValue;
  }
  get pausedSince(): number {
    return this.pausedSinceValue;
  }
  /** Last time stream data or an ack arrived (publication messages do not count). */
  get lastProgressAt(): number {
    return this.lastProgressAtValue;
  }
  /** Last time any frame arrived; 0 before the first. */
  get lastReceivedAt(): number {
    return this.lastReceivedAtValue;
  }
  get unackedCount(): number {
    return this.unacked.length;
  }
  /** First send time of the oldest unacked input, or null. */
  get oldestUnackedSentAt(): number | null {
    return this.unacked[0]?.firstSentAt ?? null;
  }
  get rto(): number {
    return this.rtoValue;
  }
  get encrypted(): boolean {
    return this.cipher !== null;
  }
  get decodeErrors(): number {
    return this.decodeErrorCount;
  }
  /**
   * Null when every output frame seen so far was delivered; otherwise the gap: a frame is missing while later ones
   * arrived (held in the reorder buffer, or dropped because it was full). Output ending now would be incomplete.
   */
  get outputGap(): OutputGap | null {
    if (this.highestSeen < this.expected && this.outOfOrder.size === 0) return null;
    return {
      firstMissingSeq: this.expected,
      highestSeenSeq: this.highestSeen,
      bufferedFrames: this.outOfOrder.size,
    };
  }

  /** Starts using `transport`: sends OpenDataChannel with a fresh RequestId and resends unacked input promptly. */
  attach(transport: MessageTransport, tokenValue: string): void {
    if (this.stateValue === 'closed') return;
    this.transport = transport;
    transport.onMessage((data) => this.receive(transport, data));
    transport.onClose((info) => {
      if (transport !== this.transport) return;
      this.transport = null;
      if (this.stateValue !== 'closed') this.options.events.onTransportClosed(info);
    });
    transport.sendText(
      encodeOpenDataChannel({
        requestId: randomMessageId(),
        tokenValue,
        clientId: this.clientId,
        clientVersion: this.options.clientVersion ?? '1.2.650.0',
      }),
    );
    const head = this.unacked[0];
    if (head) head.lastSentAt = Number.NEGATIVE_INFINITY;
    this.lastProgressAtValue = this.options.clock.now();
    this.ensureResendTimer();
    this.scheduleEarlySize();
  }

  private scheduleEarlySize(): void {
    const delay = this.options.earlySizeAfterMs ?? 1000;
    if (delay <= 0 || this.sizeSent || this.earlySizeTimer !== null) return;
    this.earlySizeTimer = this.options.timers.setTimeout(() => {
      this.earlySizeTimer = null;
      if (this.stateValue === 'waiting' && this.lastReceivedAtValue === 0 && !this.sizeSent && this.transport) {
        this.sizeSent = true;
        this.sendStream(PayloadType.Size, this.sizePayload());
      }
    }, delay);
  }

  private sizePayload(): Uint8Array {
    return encodeSize(this.terminalSize ?? { cols: 200, rows: 50 });
  }

  /**
   * The local terminal changed size: tell the agent (PayloadType Size, in order with keystrokes). Before the first
   * Size went out, that first one simply carries the new size.
   */
  resize(size: TerminalSize): void {
    this.terminalSize = size;
    if (!this.sizeSent || this.stateValue === 'closed') return;
    this.pendingInput.push({ payloadType: PayloadType.Size, payload: this.sizePayload() });
    this.flushPendingInput();
  }

  /** Sends keystrokes (PayloadType Output, encrypted under KMS); held until the session is live and not paused. */
  sendInput(bytes: Uint8Array): void {
    for (let offset = 0; offset < bytes.length; offset += MAX_INPUT_CHUNK) {
      this.pendingInput.push({
        payloadType: PayloadType.Output,
        payload: bytes.slice(offset, offset + MAX_INPUT_CHUNK),
      });
    }
    this.flushPendingInput();
  }

  /** Stops everything and closes the transport; no event fires afterwards. */
  close(code = 1000, reason = ''): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.stopResendTimer();
    if (this.earlySizeTimer !== null) this.options.timers.clearTimeout(this.earlySizeTimer);
    const transport = this.transport;
    this.transport = null;
    transport?.close(code, reason);
  }

  private receive(transport: MessageTransport, data: Uint8Array | string): void {
    if (transport !== this.transport || this.stateValue === 'closed') return;
    const now = this.options.clock.now();
    this.lastReceivedAtValue = now;
    const bytes = typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'utf8')) : data;
    let message: AgentMessage;
    try {
      message = decodeAgentMessage(
        bytes,
        this.options.maxPayloadBytes !== undefined ? { maxPayloadBytes: this.options.maxPayloadBytes } : undefined,
      );
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      // Dropped without an ack: a damaged frame is resent by the agent.
      this.decodeErrorCount += 1;
      this.options.logger?.warn({ code: error.code, offset: error.offset }, 'ssm: dropped an undecodable frame');
      return;
    }
    switch (message.messageType) {
      case MessageType.OutputStreamData:
        this.markProgress(now);
        this.onStreamData(message);
        break;
      case MessageType.Acknowledge:
        this.markProgress(now);
        this.onAcknowledge(message, now);
        break;
      case MessageType.ChannelClosed:
        this.onChannelClosed(message);
        break;
      case MessageType.StartPublication:
        this.pausedValue = false;
        this.flushPendingInput();
        break;
      case MessageType.PausePublication:
        if (!this.pausedValue) {
          this.pausedValue = true;
          this.pausedSinceValue = now;
        }
        break;
      default:
        this.options.logger?.debug({ messageType: message.messageType }, 'ssm: ignored a message of unknown type');
    }
  }

  private markProgress(now: number): void {
    this.lastProgressAtValue = now;
    // Like the agent: any stream data or ack proves the peer is back.
    if (this.pausedValue) {
      this.pausedValue = false;
      this.flushPendingInput();
    }
  }

  private onStreamData(message: AgentMessage): void {
    const seq = message.sequenceNumber;
    if (seq > this.highestSeen) this.highestSeen = seq;
    if (seq < this.expected) {
      // A resend of something we already have: our ack was lost, so ack again and drop it.
      this.sendAck(message);
      return;
    }
    if (seq > this.expected || this.busy) {
      if (!this.outOfOrder.has(seq)) {
        if (this.outOfOrder.size >= (this.options.maxOutOfOrder ?? 10_000)) return;
        // Copy: the frame may be a view into a much larger socket buffer.
        this.outOfOrder.set(seq, { ...message, payload: message.payload.slice() });
      }
      this.sendAck(message);
      return;
    }
    if (!this.process(message, true)) return;
    this.expected += 1;
    this.drain();
  }

  private drain(): void {
    while (!this.busy && this.stateValue !== 'closed') {
      const next = this.outOfOrder.get(this.expected);
      if (!next) return;
      this.outOfOrder.delete(this.expected);
      if (!this.process(next, false)) return;
      this.expected += 1;
    }
  }

  /** Handles one in-order message; returns false when the channel failed and must stop. */
  private process(message: AgentMessage, ack: boolean): boolean {
    switch (message.payloadType) {
      case PayloadType.HandshakeRequest:
        if (ack) this.sendAck(message);
        this.startHandshake(message);
        return true;
      case PayloadType.EncChallengeRequest:
        if (ack) this.sendAck(message);
        return this.answerChallenge(message);
      case PayloadType.HandshakeComplete:
        if (ack) this.sendAck(message);
        this.logHandshakeComplete(message);
        this.goLive();
        return true;
      case PayloadType.Output:
      case PayloadType.Error:
      case PayloadType.StdErr: {
        const payload = this.decrypt(message.payload);
        if (payload === null) return false;
        if (payload.length > 0) this.options.events.onOutput(payload);
        if (ack) this.sendAck(message);
        if (this.stateValue === 'waiting') this.goLive();
        return this.stateValue !== 'closed';
      }
      case PayloadType.ExitCode: {
        const payload = this.decrypt(message.payload);
        if (payload === null) return false;
        const match = /EXIT_CODE:\s*(-?\d+)/.exec(new TextDecoder().decode(payload));
        if (match?.[1]) this.options.events.onExitCode?.(Number(match[1]));
        if (ack) this.sendAck(message);
        return true;
      }
      default:
        if (ack) this.sendAck(message);
        this.options.logger?.debug({ payloadType: message.payloadType }, 'ssm: ignored output of unknown payload type');
        return true;
    }
  }

  private decrypt(payload: Uint8Array): Uint8Array | null {
    if (!this.cipher) return payload;
    try {
      return this.cipher.decrypt(payload);
    } catch (error) {
      this.fail(error instanceof SsmError ? error : new SsmError('ssm.crypto.decrypt', String(error)));
      return null;
    }
  }

  private goLive(): void {
    if (this.stateValue === 'live' || this.stateValue === 'closed') return;
    this.stateValue = 'live';
    // One Size message so programs do not see a 0x0 terminal; input held so far follows it.
    if (!this.sizeSent) {
      this.sizeSent = true;
      this.pendingInput.unshift({ payloadType: PayloadType.Size, payload: this.sizePayload() });
    }
    this.options.events.onLive?.();
    this.flushPendingInput();
  }

  private startHandshake(message: AgentMessage): void {
    let request: HandshakeRequest;
    try {
      request = decodeHandshakeRequest(message.payload);
    } catch (error) {
      this.fail(
        new SsmError('ssm.handshake.bad_request', `unreadable HandshakeRequest: ${String(error)}`, { cause: error }),
      );
      return;
    }
    if (this.stateValue === 'waiting') this.stateValue = 'handshaking';
    this.busy = true;
    this.respondToHandshake(request).then(
      () => {
        this.busy = false;
        this.drain();
      },
      (error: unknown) => {
        this.busy = false;
        this.fail(
          error instanceof SsmError ? error : new SsmError('ssm.handshake.failed', String(error), { cause: error }),
        );
      },
    );
  }

  private async respondToHandshake(request: HandshakeRequest): Promise<void> {
    const actions: ProcessedClientAction[] = [];
    let failure: SsmError | null = null;
    let dataKey: Uint8Array | null = null;
    for (const action of request.actions) {
      if (action.actionType === ActionType.SessionType) {
        const sessionType = action.parameters['SessionType'];
        const supported = typeof sessionType === 'string' && SUPPORTED_SESSION_TYPES.has(sessionType);
        actions.push({
          actionType: action.actionType,
          actionStatus: supported ? ActionStatus.Success : ActionStatus.Unsupported,
          actionResult: null,
          error: supported ? '' : `Unsupported session type ${String(sessionType)}`,
        });
        if (!supported) {
          failure = new SsmError('ssm.handshake.session_type', `unsupported session type ${String(sessionType)}`, {
            userMessage: `The container offered a session type this client cannot run (${String(sessionType)}).`,
          });
        }
      } else if (action.actionType === ActionType.KmsEncryption) {
        try {
          const { kmsKeyId, challenge } = toKmsEncryptionParameters(action);
          const encryptionContext: Record<string, string> = {
            'aws:ssm:SessionId': this.options.sessionId,
            'aws:ssm:TargetId': this.options.targetId,
          };
          const acknowledgeChallenge = this.options.kmsChallengeContext === true && challenge !== null;
          if (acknowledgeChallenge && challenge !== null) encryptionContext['aws:ssm:RandomChallenge'] = challenge;
          const key = await this.options.kms.generateDataKey({
            keyId: kmsKeyId,
            encryptionContext,
            numberOfBytes: DATA_KEY_BYTES,
          });
          if (key.plaintext.length !== DATA_KEY_BYTES) {
            throw new SsmError('ssm.crypto.data_key', `KMS returned a ${key.plaintext.length}-byte data key`);
          }
          dataKey = key.plaintext;
          actions.push({
            actionType: action.actionType,
            actionStatus: ActionStatus.Success,
            actionResult: kmsEncryptionResult(key.ciphertextBlob, acknowledgeChallenge),
            error: '',
          });
        } catch (error) {
          const text = error instanceof Error ? error.message : String(error);
          actions.push({
            actionType: action.actionType,
            actionStatus: ActionStatus.Failed,
            actionResult: null,
            error: text,
          });
          failure = new SsmError('ssm.kms.generate_data_key', `KMS GenerateDataKey failed: ${text}`, {
            cause: error,
            userMessage: `The session is KMS-encrypted and the data key could not be created: ${text}`,
          });
        }
      } else {
        actions.push({
          actionType: action.actionType,
          actionStatus: ActionStatus.Unsupported,
          actionResult: null,
          error: `Unsupported action ${action.actionType}`,
        });
      }
    }
    if (this.stateValue === 'closed') return;
    this.sendStream(
      PayloadType.HandshakeResponse,
      encodeHandshakeResponse({
        clientVersion: this.options.clientVersion ?? '1.2.650.0',
        actions,
        errors: failure ? [failure.message] : [],
      }),
    );
    if (failure) throw failure;
    if (dataKey) {
      this.dataKey = dataKey;
      this.cipher = createSessionCipher(dataKey, 'client');
    }
  }

  private answerChallenge(message: AgentMessage): boolean {
    if (!this.dataKey) {
      this.fail(new SsmError('ssm.handshake.unexpected_challenge', 'encryption challenge without a KMS data key'));
      return false;
    }
    try {
      const answer = answerEncryptionChallenge(this.dataKey, decodeEncChallenge(message.payload));
      this.sendStream(PayloadType.EncChallengeResponse, encodeEncChallenge(answer));
      return true;
    } catch (error) {
      this.fail(
        new SsmError('ssm.handshake.challenge', 'the encryption challenge could not be answered', {
          cause: error,
          userMessage: 'The KMS-encrypted session could not be set up: the encryption challenge failed.',
        }),
      );
      return false;
    }
  }

  private logHandshakeComplete(message: AgentMessage): void {
    try {
      const complete = decodeHandshakeComplete(message.payload);
      this.options.logger?.info(
        { encrypted: this.encrypted, customerMessage: complete.customerMessage },
        'ssm: handshake complete',
      );
    } catch {
      // Informational only; the session is live either way.
    }
  }

  private onAcknowledge(message: AgentMessage, now: number): void {
    let seq: number;
    try {
      seq = decodeAcknowledgeContent(message.payload).acknowledgedMessageSequenceNumber;
    } catch (error) {
      this.options.logger?.warn({ error: String(error) }, 'ssm: ignored an unreadable acknowledge');
      return;
    }
    // Peers match acks by sequence number only.
    const index = this.unacked.findIndex((entry) => entry.seq === seq);
    if (index < 0) return;
    const [entry] = this.unacked.splice(index, 1);
    // Karn: a resent message gives no trustworthy sample.
    if (entry && entry.resends === 0) this.updateRto(now - entry.firstSentAt);
    if (this.unacked.length === 0) this.stopResendTimer();
  }

  private updateRto(sample: number): void {
    this.rttvar = (1 - RTO.beta) * this.rttvar + RTO.beta * Math.abs(this.srtt - sample);
    this.srtt = (1 - RTO.alpha) * this.srtt + RTO.alpha * sample;
    this.rtoValue = Math.min(RTO.max, this.srtt + Math.max(RTO.granularity, 4 * this.rttvar));
  }

  private onChannelClosed(message: AgentMessage): void {
    let output = '';
    try {
      output = decodeChannelClosed(message.payload).output;
    } catch {
      output = '';
    }
    this.close();
    this.options.events.onChannelClosed(output);
  }

  private fail(error: SsmError): void {
    if (this.stateValue === 'closed') return;
    this.close(1011, 'client error');
    this.options.events.onFatal(error);
  }

  private flushPendingInput(): void {
    if (this.stateValue !== 'live' || this.pausedValue) return;
    while (this.pendingInput.length > 0) {
      if (this.unacked.length >= (this.options.maxUnacked ?? 10_000)) return;
      const next = this.pendingInput.shift();
      if (!next) return;
      const payload =
        next.payloadType === PayloadType.Output && this.cipher ? this.cipher.encrypt(next.payload) : next.payload;
      this.sendStream(next.payloadType, payload);
    }
  }

  private sendStream(payloadType: number, payload: Uint8Array): void {
    const now = this.options.clock.now();
    const seq = this.nextSeq;
    this.nextSeq += 1;
    const frame = encodeAgentMessage({
      messageType: MessageType.InputStreamData,
      schemaVersion: 1,
      createdDate: now,
      sequenceNumber: seq,
      flags: Flags.None,
      messageId: randomMessageId(),
      payloadType,
      payload,
    });
    this.unacked.push({ seq, frame, firstSentAt: now, lastSentAt: now, resends: 0 });
    this.transport?.sendBinary(frame);
    this.ensureResendTimer();
  }

  private sendAck(message: AgentMessage): void {
    const frame = encodeAgentMessage({
      messageType: MessageType.Acknowledge,
      schemaVersion: 1,
      createdDate: this.options.clock.now(),
      sequenceNumber: 0,
      flags: Flags.SynFin,
      messageId: randomMessageId(),
      payloadType: PayloadType.None,
      payload: encodeAcknowledgeContent({
        acknowledgedMessageType: message.messageType,
        acknowledgedMessageId: message.messageId,
        acknowledgedMessageSequenceNumber: message.sequenceNumber,
      }),
    });
    this.transport?.sendBinary(frame);
  }

  private ensureResendTimer(): void {
    if (this.resendTimer !== null || this.unacked.length === 0 || this.stateValue === 'closed') return;
    this.resendTimer = this.options.timers.setInterval(() => this.resendTick(), this.options.resendIntervalMs ?? 100);
  }

  private stopResendTimer(): void {
    if (this.resendTimer === null) return;
    this.options.timers.clearInterval(this.resendTimer);
    this.resendTimer = null;
  }

  /** Resends only the oldest unacked message, once it is older than the RTO; nothing while the peer is paused. */
  private resendTick(): void {
    const head = this.unacked[0];
    if (!head) {
      this.stopResendTimer();
      return;
    }
    if (this.pausedValue || !this.transport) return;
    const now = this.options.clock.now();
    if (now - head.lastSentAt < this.rtoValue) return;
    head.lastSentAt = now;
    head.resends += 1;
    this.transport.sendBinary(head.frame);
  }
}
