import { PayloadType } from './codec/layout.js';
import { encodeSize, type TerminalSize } from './codec/payloads.js';

/** Clients keep payloads within what the agent reads from a pty at once. */
const MAX_INPUT_CHUNK = 1024;
const DEFAULT_SIZE: TerminalSize = { cols: 200, rows: 50 };

export interface QueuedInput {
  payloadType: number;
  payload: Uint8Array;
}

/**
 * Client input held until the channel may send it: keystrokes in chunks and Size messages, in the order given. The
 * first Size is special: exactly one goes out before anything else once the session is live (or early, for a quiet
 * command), and a resize before then only changes what it carries.
 */
export class InputQueue {
  private readonly items: QueuedInput[] = [];
  private terminalSize: TerminalSize | undefined;
  private firstSizeSent = false;

  constructor(terminalSize: TerminalSize | undefined) {
    this.terminalSize = terminalSize;
  }

  get sizeSent(): boolean {
    return this.firstSizeSent;
  }

  /** The first Size payload, once; null when it already went out. */
  takeFirstSize(): Uint8Array | null {
    if (this.firstSizeSent) return null;
    this.firstSizeSent = true;
    return this.sizePayload();
  }

  /** Puts the first Size ahead of everything queued, unless it already went out. */
  queueFirstSize(): void {
    const payload = this.takeFirstSize();
    if (payload) this.items.unshift({ payloadType: PayloadType.Size, payload });
  }

  /** Returns true when a Size message was queued (only after the first one went out). */
  resize(size: TerminalSize): boolean {
    this.terminalSize = size;
    if (!this.firstSizeSent) return false;
    this.items.push({ payloadType: PayloadType.Size, payload: this.sizePayload() });
    return true;
  }

  pushKeys(bytes: Uint8Array): void {
    for (let offset = 0; offset < bytes.length; offset += MAX_INPUT_CHUNK) {
      this.items.push({ payloadType: PayloadType.Output, payload: bytes.slice(offset, offset + MAX_INPUT_CHUNK) });
    }
  }

  /** Hands queued input to `send` in order while `hasRoom` allows. */
  drain(hasRoom: () => boolean, send: (input: QueuedInput) => void): void {
    while (this.items.length > 0 && hasRoom()) {
      const next = this.items.shift();
      if (next) send(next);
    }
  }

  private sizePayload(): Uint8Array {
    return encodeSize(this.terminalSize ?? DEFAULT_SIZE);
  }
}
