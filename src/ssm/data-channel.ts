import { CLIENT_VERSION, ClientHandshake, readHandshakeRequest } from './client-handshake.js';
import { decodeAgentMessage } from './codec/agent-message.js';
import { DecodeError } from './codec/errors.js';
import { encodeAcknowledgeFrame, encodeStreamFrame } from './codec/frames.js';
import { type AgentMessage, MessageType, PayloadType } from './codec/layout.js';
import {
  decodeAcknowledgeContent,
  decodeChannelClosed,
  decodeExitCode,
  encodeOpenDataChannel,
  type TerminalSize,
} from './codec/payloads.js';
import { randomMessageId } from './codec/uuid.js';
import type { DataChannelOptions, DataChannelState, OutputGap } from './data-channel-options.js';
import { SsmError } from './errors.js';
import { InputQueue } from './input-queue.js';
import { ReorderBuffer } from './reorder-buffer.js';
import { SendWindow } from './send-window.js';
import type { MessageTransport } from './transport-port.js';

export type { DataChannelEvents, DataChannelOptions, DataChannelState, OutputGap } from './data-channel-options.js';

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

  private readonly inbound: ReorderBuffer<AgentMessage>;
  /** True while an async handshake step runs; later frames wait in the reorder buffer. */
  private busy = false;

  private nextSeq = 0;
  private readonly window: SendWindow;
  private readonly input: InputQueue;

  private pausedValue = false;
  private pausedSinceValue = 0;
  private lastProgressAtValue: number;
  private lastReceivedAtValue = 0;
  private decodeErrorCount = 0;

  private earlySizeTimer: unknown = null;
  private readonly handshake: ClientHandshake;

  constructor(options: DataChannelOptions) {
    this.options = options;
    this.clientId = options.clientId ?? randomMessageId();
    this.input = new InputQueue(options.terminalSize);
    this.lastProgressAtValue = options.clock.now();
    this.handshake = new ClientHandshake({
      sessionId: options.sessionId,
      targetId: options.targetId,
      kms: options.kms,
      kmsChallengeContext: options.kmsChallengeContext === true,
      clientVersion: options.clientVersion ?? CLIENT_VERSION,
      isClosed: () => this.stateValue === 'closed',
      sendStream: (payloadType, payload) => this.sendStream(payloadType, payload),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.inbound = new ReorderBuffer(options.maxOutOfOrder ?? 10_000);
    this.window = new SendWindow({
      clock: options.clock,
      timers: options.timers,
      resendIntervalMs: options.resendIntervalMs ?? 100,
      canResend: () => !this.pausedValue && this.transport !== null,
      resend: (entry) => this.transport?.sendBinary(entry.frame),
    });
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
    return this.window.size;
  }
  /** First send time of the oldest unacked input, or null. */
  get oldestUnackedSentAt(): number | null {
    return this.window.oldestFirstSentAt;
  }
  get rto(): number {
    return this.window.rto;
  }
  get encrypted(): boolean {
    return this.handshake.cipher !== null;
  }
  get decodeErrors(): number {
    return this.decodeErrorCount;
  }
  /**
   * Null when every output frame seen so far was delivered; otherwise the gap: a frame is missing while later ones
   * arrived (held in the reorder buffer, or dropped because it was full). Output ending now would be incomplete.
   */
  get outputGap(): OutputGap | null {
    if (!this.inbound.hasGap) return null;
    const { expected, highestSeen, heldCount } = this.inbound;
    return { firstMissingSeq: expected, highestSeenSeq: highestSeen, bufferedFrames: heldCount };
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
        clientVersion: this.options.clientVersion ?? CLIENT_VERSION,
      }),
    );
    this.window.expediteHead();
    this.lastProgressAtValue = this.options.clock.now();
    this.scheduleEarlySize();
  }

  private scheduleEarlySize(): void {
    const delay = this.options.earlySizeAfterMs ?? 1000;
    if (delay <= 0 || this.input.sizeSent || this.earlySizeTimer !== null) return;
    this.earlySizeTimer = this.options.timers.setTimeout(() => {
      this.earlySizeTimer = null;
      if (this.stateValue !== 'waiting' || this.lastReceivedAtValue !== 0 || !this.transport) return;
      const size = this.input.takeFirstSize();
      if (size) this.sendStream(PayloadType.Size, size);
    }, delay);
  }

  /**
   * The local terminal changed size: tell the agent (PayloadType Size, in order with keystrokes). Before the first
   * Size went out, that first one simply carries the new size.
   */
  resize(size: TerminalSize): void {
    if (this.input.resize(size) && this.stateValue !== 'closed') this.flushPendingInput();
  }

  /** Sends keystrokes (PayloadType Output, encrypted under KMS); held until the session is live and not paused. */
  sendInput(bytes: Uint8Array): void {
    this.input.pushKeys(bytes);
    this.flushPendingInput();
  }

  /** Stops everything and closes the transport; no event fires afterwards. */
  close(code = 1000, reason = ''): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.window.close();
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
        this.onAcknowledge(message);
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
    this.inbound.see(seq);
    if (seq < this.inbound.expected) {
      // A resend of something we already have: our ack was lost, so ack again and drop it.
      this.sendAck(message);
      return;
    }
    if (seq > this.inbound.expected || this.busy) {
      // Copy: the frame may be a view into a much larger socket buffer.
      if (this.inbound.hold(seq, () => ({ ...message, payload: message.payload.slice() })) === 'full') return;
      this.sendAck(message);
      return;
    }
    if (!this.process(message, true)) return;
    this.inbound.advance();
    this.drain();
  }

  private drain(): void {
    while (!this.busy && this.stateValue !== 'closed') {
      const next = this.inbound.takeNext();
      if (!next) return;
      if (!this.process(next, false)) return;
      this.inbound.advance();
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
        return this.orFail(() => this.handshake.answerChallenge(message.payload)) !== null;
      case PayloadType.HandshakeComplete:
        if (ack) this.sendAck(message);
        this.handshake.logComplete(message.payload);
        this.goLive();
        return true;
      case PayloadType.Output:
      case PayloadType.Error:
      case PayloadType.StdErr: {
        const payload = this.orFail(() => this.handshake.decrypt(message.payload));
        if (payload === null) return false;
        if (payload.length > 0) this.options.events.onOutput(payload);
        if (ack) this.sendAck(message);
        if (this.stateValue === 'waiting') this.goLive();
        return this.stateValue !== 'closed';
      }
      case PayloadType.ExitCode: {
        const payload = this.orFail(() => this.handshake.decrypt(message.payload));
        if (payload === null) return false;
        const code = decodeExitCode(payload);
        if (code !== null) this.options.events.onExitCode?.(code);
        if (ack) this.sendAck(message);
        return true;
      }
      default:
        if (ack) this.sendAck(message);
        this.options.logger?.debug({ payloadType: message.payloadType }, 'ssm: ignored output of unknown payload type');
        return true;
    }
  }

  /** Runs a step that throws an SsmError when the channel cannot go on; then fails the channel and returns null. */
  private orFail<T>(step: () => T): T | null {
    try {
      return step();
    } catch (error) {
      this.fail(error as SsmError);
      return null;
    }
  }

  private goLive(): void {
    if (this.stateValue === 'live' || this.stateValue === 'closed') return;
    this.stateValue = 'live';
    // One Size message so programs do not see a 0x0 terminal; input held so far follows it.
    this.input.queueFirstSize();
    this.options.events.onLive?.();
    this.flushPendingInput();
  }

  private startHandshake(message: AgentMessage): void {
    const request = this.orFail(() => readHandshakeRequest(message.payload));
    if (request === null) return;
    if (this.stateValue === 'waiting') this.stateValue = 'handshaking';
    this.busy = true;
    this.handshake.respond(request).then(
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

  private onAcknowledge(message: AgentMessage): void {
    let seq: number;
    try {
      seq = decodeAcknowledgeContent(message.payload).acknowledgedMessageSequenceNumber;
    } catch (error) {
      this.options.logger?.warn({ error: String(error) }, 'ssm: ignored an unreadable acknowledge');
      return;
    }
    // Peers match acks by sequence number only.
    this.window.acknowledge(seq);
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
    const cipher = this.handshake.cipher;
    this.input.drain(
      () => this.window.size < (this.options.maxUnacked ?? 10_000),
      ({ payloadType, payload }) =>
        this.sendStream(payloadType, payloadType === PayloadType.Output && cipher ? cipher.encrypt(payload) : payload),
    );
  }

  private sendStream(payloadType: number, payload: Uint8Array): void {
    const seq = this.nextSeq;
    this.nextSeq += 1;
    const frame = encodeStreamFrame(MessageType.InputStreamData, seq, payloadType, payload, this.options.clock.now());
    // Kept until acked, which may be long: a copy of its own, since the frame is a slice of Node's shared 64 KiB
    // buffer pool and would keep all of that alive.
    this.window.track(seq, new Uint8Array(frame));
    this.transport?.sendBinary(frame);
  }

  private sendAck(message: AgentMessage): void {
    this.transport?.sendBinary(encodeAcknowledgeFrame(message, this.options.clock.now()));
  }
}
