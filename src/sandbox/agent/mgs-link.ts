import { type AgentMessage, encodeAcknowledgeFrame, MessageType } from '../../ssm/codec/index.js';
import { type AgentFaults, isEvery } from './agent-faults.js';
import { encodeChannelClosedFrame, encodePublicationFrame, type PublicationType } from './mgs-frames.js';
import type { ChannelSocket } from './session-snapshot.js';

export interface MgsLinkOptions {
  sessionId: string;
  /** The session's live fault set. */
  faults: AgentFaults;
  /** MGS lifted a pause: output may flow again. */
  onResume(): void;
}

/**
 * The path between the agent and the client's socket, as MGS makes it: publication pauses, and every fault that
 * loses, doubles, delays or reorders a frame on the way, or cuts the socket. The session decides what to send; this
 * decides what arrives.
 */
export class MgsLink {
  private readonly options: MgsLinkOptions;
  private socketValue: ChannelSocket | undefined;
  private pausedValue = false;
  private pauseTimer: NodeJS.Timeout | undefined;
  private outputFrames = 0;
  private acksSent = 0;
  private heldFrame: Uint8Array | undefined;
  private heldTimer: NodeJS.Timeout | undefined;
  private cutOnceDone = false;

  constructor(options: MgsLinkOptions) {
    this.options = options;
  }

  get socket(): ChannelSocket | undefined {
    return this.socketValue;
  }
  /** MGS told the client the agent paused publication; the agent holds its output until it lifts it. */
  get paused(): boolean {
    return this.pausedValue;
  }

  /** A client (re)connected: an older socket still open is dropped. */
  connect(socket: ChannelSocket): void {
    const previous = this.socketValue;
    this.socketValue = socket;
    if (previous && previous !== socket) previous.terminate();
  }

  detach(socket: ChannelSocket): void {
    if (this.socketValue === socket) this.socketValue = undefined;
  }

  send(frame: Uint8Array): void {
    this.socketValue?.send(frame);
  }

  /** Runs `write` with the socket corked, so a burst of frames leaves in one system call. */
  corked(write: () => void): void {
    const socket = this.socketValue;
    socket?.cork?.();
    try {
      write();
    } finally {
      socket?.uncork?.();
    }
  }

  /** An output frame on its first transmission: this is where the output faults strike. */
  sendOutput(frame: Uint8Array): void {
    const faults = this.options.faults;
    this.outputFrames += 1;
    const n = this.outputFrames;
    if (isEvery(faults.dropOutputEvery, n)) {
      // Lost on the way: the agent's resend delivers it.
    } else if (isEvery(faults.reorderOutputEvery, n) && !this.heldFrame) {
      this.heldFrame = frame;
      this.heldTimer = setTimeout(() => this.releaseHeld(), 30);
      this.heldTimer.unref();
    } else {
      this.send(frame);
      if (isEvery(faults.duplicateOutputEvery, n)) this.send(frame);
      this.releaseHeld();
    }
    if (faults.closeSocketAfterFrames !== undefined && n === faults.closeSocketAfterFrames) this.cutOnce();
    if (faults.pausePublicationAfterFrames !== undefined && n === faults.pausePublicationAfterFrames) this.pause();
  }

  /** Acknowledges a client frame, unless a fault loses or delays the ack. */
  sendAck(message: AgentMessage): void {
    this.acksSent += 1;
    if (isEvery(this.options.faults.dropAckEvery, this.acksSent)) return;
    const frame = encodeAcknowledgeFrame(message, Date.now());
    const delay = this.options.faults.ackDelayMs;
    if (delay) setTimeout(() => this.send(frame), delay).unref();
    else this.send(frame);
  }

  sendPublication(type: PublicationType): void {
    this.send(encodePublicationFrame(type, this.options.sessionId));
  }

  /** Sends `channel_closed` and closes the socket; nothing more goes out. */
  close(clientId: string, output: string): void {
    clearTimeout(this.pauseTimer);
    this.releaseHeld();
    const socket = this.socketValue;
    if (!socket) return;
    socket.send(encodeChannelClosedFrame(this.options.sessionId, clientId, output));
    socket.close();
  }

  private releaseHeld(): void {
    clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    const held = this.heldFrame;
    this.heldFrame = undefined;
    if (held) this.send(held);
  }

  private cutOnce(): void {
    if (this.cutOnceDone || !this.socketValue) return;
    this.cutOnceDone = true;
    const socket = this.socketValue;
    this.socketValue = undefined;
    // Let the frames already written leave first, so the cut lands mid-output, not before it.
    setImmediate(() => socket.terminate());
  }

  private pause(): void {
    this.pausedValue = true;
    this.sendPublication(MessageType.PausePublication);
    const duration = this.options.faults.pausePublicationMs;
    if (duration === undefined) return;
    // Only MGS lifts the pause; client acks or input do not bring a paused agent back.
    this.pauseTimer = setTimeout(() => {
      this.sendPublication(MessageType.StartPublication);
      this.pauseTimer = undefined;
      this.pausedValue = false;
      this.options.onResume();
    }, duration);
    this.pauseTimer.unref();
  }
}
