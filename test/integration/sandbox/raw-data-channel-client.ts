import { randomUUID } from 'node:crypto';
import { GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import WebSocket from 'ws';
import {
  ActionStatus,
  ActionType,
  type AgentMessage,
  decodeAcknowledgeContent,
  decodeAgentMessage,
  decodeChannelClosed,
  decodeEncChallenge,
  decodeHandshakeComplete,
  decodeHandshakeRequest,
  encodeAcknowledgeContent,
  encodeAgentMessage,
  encodeEncChallenge,
  encodeHandshakeResponse,
  encodeOpenDataChannel,
  encodeSize,
  Flags,
  kmsEncryptionResult,
  MessageType,
  PayloadType,
  toKmsEncryptionParameters,
} from '../../../src/ssm/codec/index.js';
import { answerEncryptionChallenge, createSessionCipher, type SessionCipher } from '../../../src/ssm/session-crypto.js';

/** What the raw client saw, for assertions. */
export interface RawEvent {
  kind: 'output' | 'duplicate' | 'out-of-order' | 'ack' | 'control' | 'closed' | 'handshake' | 'invalid';
  seq?: number;
  type?: string;
  payloadType?: number;
  at: number;
  /** Control messages: when the sender made the frame (its CreatedDate), unaffected by how late it was read. */
  sentAt?: number;
}

export interface RawClientOptions {
  /** For KMS sessions: the client generates the data key with this KMS client. */
  kms?: KMSClient;
  targetId?: string;
  sessionId?: string;
  /** Context variant for negative tests. */
  encryptionContext?: Record<string, string>;
  /** Acknowledge the random challenge (adds aws:ssm:RandomChallenge to the context). */
  challengeAcknowledgement?: boolean;
  /** Answer the handshake at all (false: leave the agent waiting). */
  answerHandshake?: boolean;
  /** Resend unacked input after this many ms (0: never). */
  resendMs?: number;
}

/**
 * A minimal data-channel client built on the product codec: acks every output frame, delivers in order, answers the
 * handshake (KMS included), resends its own input until acked. Small on purpose: the tests look at what the sandbox
 * does, not at this client.
 */
export class RawDataChannelClient {
  readonly events: RawEvent[] = [];
  readonly outputFrames: Buffer[] = [];
  private readonly output: Buffer[] = [];
  private ws: WebSocket | undefined;
  private expected = 0;
  private readonly buffered = new Map<number, AgentMessage>();
  private nextSeq = 0;
  private readonly unacked = new Map<number, { frame: Uint8Array; sentAt: number }>();
  private cipher: SessionCipher | undefined;
  private dataKey: Uint8Array | undefined;
  private readonly clientId = randomUUID();
  private resendTimer: NodeJS.Timeout | undefined;
  closedOutput: string | undefined;
  customerMessage: string | undefined;
  inputAcks: Array<{ seq: number; at: number }> = [];
  sentAt = new Map<number, number>();
  private closedWaiters: Array<(output: string) => void> = [];
  private socketCloseWaiters: Array<(code: number) => void> = [];
  lastCloseCode: number | undefined;

  constructor(private readonly options: RawClientOptions = {}) {}

  /** Connects to a stream URL and sends OpenDataChannel with the token. */
  async connect(streamUrl: string, tokenValue: string): Promise<void> {
    const ws = new WebSocket(streamUrl);
    this.ws = ws;
    ws.binaryType = 'nodebuffer';
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      this.lastCloseCode = code;
      for (const waiter of this.socketCloseWaiters.splice(0)) waiter(code);
    });
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.onFrame(data);
    });
    ws.send(
      encodeOpenDataChannel({
        requestId: randomUUID(),
        tokenValue,
        clientId: this.clientId,
        clientVersion: '1.2.650.0',
      }),
    );
    const resendMs = this.options.resendMs ?? 150;
    if (resendMs > 0 && !this.resendTimer) {
      this.resendTimer = setInterval(() => {
        for (const entry of this.unacked.values()) {
          if (Date.now() - entry.sentAt >= resendMs) {
            entry.sentAt = Date.now();
            this.ws?.send(entry.frame);
          }
        }
      }, 50);
    }
  }

  /** Output bytes delivered in order so far. */
  get bytes(): Buffer {
    return Buffer.concat(this.output);
  }

  get text(): string {
    return this.bytes.toString('utf8');
  }

  /** Resolves with channel_closed's Output. */
  async closed(timeoutMs = 10_000): Promise<string> {
    if (this.closedOutput !== undefined) return this.closedOutput;
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no channel_closed within ${timeoutMs} ms`)), timeoutMs);
      this.closedWaiters.push((output) => {
        clearTimeout(timer);
        resolve(output);
      });
    });
  }

  /** Resolves with the close code when the socket closes. */
  async socketClosed(timeoutMs = 10_000): Promise<number> {
    if (this.ws?.readyState === WebSocket.CLOSED && this.lastCloseCode !== undefined) return this.lastCloseCode;
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.socketCloseWaiters.push((code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  /** Waits until the in-order output contains `text`. */
  async waitForText(text: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.text.includes(text)) {
      if (Date.now() > deadline)
        throw new Error(`output never contained ${JSON.stringify(text)}: ${JSON.stringify(this.text)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  sendSize(cols: number, rows: number): number {
    return this.sendInput(PayloadType.Size, encodeSize({ cols, rows }));
  }

  /** Keystrokes (encrypted in KMS sessions). */
  type(bytes: string | Uint8Array): number {
    const raw = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    return this.sendInput(PayloadType.Output, this.cipher ? this.cipher.encrypt(raw) : raw);
  }

  sendInput(payloadType: number, payload: Uint8Array): number {
    const seq = this.nextSeq;
    this.nextSeq += 1;
    const frame = encodeAgentMessage({
      messageType: MessageType.InputStreamData,
      schemaVersion: 1,
      createdDate: Date.now(),
      sequenceNumber: seq,
      flags: Flags.None,
      messageId: randomUUID(),
      payloadType,
      payload,
    });
    this.unacked.set(seq, { frame, sentAt: Date.now() });
    this.sentAt.set(seq, Date.now());
    this.ws?.send(frame);
    return seq;
  }

  get unackedInput(): number {
    return this.unacked.size;
  }

  /** Drops the socket (as a network failure would); sequence state is kept for a resume. */
  drop(): void {
    this.ws?.terminate();
  }

  close(): void {
    clearInterval(this.resendTimer);
    this.ws?.terminate();
  }

  private ack(message: AgentMessage): void {
    this.ws?.send(
      encodeAgentMessage({
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
      }),
    );
  }

  private onFrame(bytes: Buffer): void {
    const at = Date.now();
    let message: AgentMessage;
    try {
      message = decodeAgentMessage(bytes);
    } catch {
      this.events.push({ kind: 'invalid', at });
      return;
    }
    switch (message.messageType) {
      case MessageType.OutputStreamData: {
        const seq = message.sequenceNumber;
        if (seq < this.expected || this.buffered.has(seq)) {
          this.events.push({ kind: 'duplicate', seq, at });
          this.ack(message);
          return;
        }
        if (seq > this.expected) {
          this.events.push({ kind: 'out-of-order', seq, at });
          this.buffered.set(seq, message);
          this.ack(message);
          return;
        }
        this.ack(message);
        void this.deliver(message);
        this.expected += 1;
        for (let next = this.buffered.get(this.expected); next; next = this.buffered.get(this.expected)) {
          this.buffered.delete(this.expected);
          void this.deliver(next);
          this.expected += 1;
        }
        return;
      }
      case MessageType.Acknowledge: {
        const seq = decodeAcknowledgeContent(message.payload).acknowledgedMessageSequenceNumber;
        this.events.push({ kind: 'ack', seq, at });
        this.inputAcks.push({ seq, at });
        this.unacked.delete(seq);
        return;
      }
      case MessageType.ChannelClosed: {
        this.closedOutput = decodeChannelClosed(message.payload).output;
        this.events.push({ kind: 'closed', at });
        for (const waiter of this.closedWaiters.splice(0)) waiter(this.closedOutput);
        return;
      }
      default:
        this.events.push({ kind: 'control', type: message.messageType, at, sentAt: message.createdDate });
    }
  }

  private async deliver(message: AgentMessage): Promise<void> {
    const at = Date.now();
    switch (message.payloadType) {
      case PayloadType.Output: {
        const payload = Buffer.from(this.cipher ? this.cipher.decrypt(message.payload) : message.payload);
        this.outputFrames.push(payload);
        this.output.push(payload);
        this.events.push({ kind: 'output', seq: message.sequenceNumber, at });
        return;
      }
      case PayloadType.HandshakeRequest: {
        this.events.push({ kind: 'handshake', payloadType: 5, at });
        if (this.options.answerHandshake === false) return;
        const request = decodeHandshakeRequest(message.payload);
        const actions = [];
        for (const action of request.actions) {
          if (action.actionType === ActionType.SessionType) {
            actions.push({
              actionType: action.actionType,
              actionStatus: ActionStatus.Success,
              actionResult: null,
              error: '',
            });
          } else if (action.actionType === ActionType.KmsEncryption) {
            const params = toKmsEncryptionParameters(action);
            const context = this.options.encryptionContext ?? {
              'aws:ssm:SessionId': this.options.sessionId ?? '',
              'aws:ssm:TargetId': this.options.targetId ?? '',
            };
            if (this.options.challengeAcknowledgement && params.challenge) {
              context['aws:ssm:RandomChallenge'] = params.challenge;
            }
            const key = await this.options.kms?.send(
              new GenerateDataKeyCommand({ KeyId: params.kmsKeyId, NumberOfBytes: 64, EncryptionContext: context }),
            );
            if (!key?.Plaintext || !key.CiphertextBlob) throw new Error('no data key');
            this.dataKey = key.Plaintext;
            this.cipher = createSessionCipher(key.Plaintext, 'client');
            actions.push({
              actionType: action.actionType,
              actionStatus: ActionStatus.Success,
              actionResult: kmsEncryptionResult(key.CiphertextBlob, this.options.challengeAcknowledgement === true),
              error: '',
            });
          }
        }
        this.sendInput(
          PayloadType.HandshakeResponse,
          encodeHandshakeResponse({ clientVersion: '1.2.650.0', actions, errors: [] }),
        );
        return;
      }
      case PayloadType.EncChallengeRequest: {
        this.events.push({ kind: 'handshake', payloadType: 8, at });
        if (!this.dataKey) return;
        const answer = answerEncryptionChallenge(this.dataKey, decodeEncChallenge(message.payload));
        this.sendInput(PayloadType.EncChallengeResponse, encodeEncChallenge(answer));
        return;
      }
      case PayloadType.HandshakeComplete:
        this.events.push({ kind: 'handshake', payloadType: 7, at });
        this.customerMessage = decodeHandshakeComplete(message.payload).customerMessage;
        return;
      default:
        return;
    }
  }
}
