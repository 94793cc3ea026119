import type { AgentFaults } from './agent-faults.js';
import { type PtyProcess, spawnPtyProcess } from './pty-process.js';
import { syntheticOutput } from './synthetic-output.js';
import { MAX_FRAME_PAYLOAD, Utf8Chunker } from './utf8-chunker.js';

/** Payloads queued before the pty is paused: the window, not this queue, is what a slow client fills. */
const SOURCE_HIGH_WATER = 64;

export interface CommandOutputEvents {
  /** False once the session no longer takes output (closed, or not started). */
  accepting(): boolean;
  /** New payloads are waiting. */
  onOutput(): void;
  /** The process exited with `code` (128 + n for signal n); its last output is queued. */
  onExit(code: number): void;
}

/**
 * Where a session's output comes from: the command on a pty, or deterministic synthetic data when a fault asks for
 * it. Output is cut into UTF-8-safe frame payloads and queued; a long queue pauses the pty, so a slow client slows
 * the command down instead of filling memory.
 */
export class CommandOutput {
  private readonly faults: AgentFaults;
  private readonly onSyntheticEnd: () => void;
  private process: PtyProcess | undefined;
  private exited = false;
  private endedValue = false;
  private readonly chunker = new Utf8Chunker(MAX_FRAME_PAYLOAD);
  private readonly pending: Buffer[] = [];
  private paused = false;
  private syntheticOffset = 0;

  /** `faults` is the session's live fault set; synthetic output ends as a command exiting with 0 would. */
  constructor(faults: AgentFaults, onSyntheticEnd: () => void) {
    this.faults = faults;
    this.onSyntheticEnd = onSyntheticEnd;
  }

  /** The source will produce nothing more (what is queued may still be waiting). */
  get ended(): boolean {
    return this.endedValue;
  }
  get queued(): number {
    return this.pending.length;
  }

  private get synthetic(): boolean {
    return this.faults.syntheticOutputBytes !== undefined;
  }

  /** Produces synthetic output instead of running anything. */
  startSynthetic(): void {
    this.produceSynthetic();
  }

  spawn(argv: string[], events: CommandOutputEvents): PtyProcess {
    const process = spawnPtyProcess(argv, {
      onData: (chunk) => {
        if (!events.accepting()) return;
        for (const payload of this.chunker.push(chunk)) this.pending.push(payload);
        if (this.pending.length > SOURCE_HIGH_WATER && !this.paused) {
          this.paused = true;
          this.process?.pause();
        }
        events.onOutput();
      },
      onExit: (code) => {
        this.exited = true;
        for (const rest of this.chunker.flush()) this.pending.push(rest);
        this.endedValue = true;
        events.onExit(code);
      },
    });
    this.process = process;
    return process;
  }

  /** The next payload to send, if any. */
  take(): Buffer | undefined {
    const payload = this.pending.shift();
    if (this.synthetic && this.pending.length === 0) this.produceSynthetic();
    return payload;
  }

  /** After a round of sending: a drained queue resumes the pty, and synthetic data is topped up. */
  refill(): void {
    if (this.paused && this.pending.length < SOURCE_HIGH_WATER / 2) {
      this.paused = false;
      this.process?.resume();
    }
    if (this.synthetic && this.pending.length === 0) this.produceSynthetic();
  }

  write(bytes: Uint8Array): void {
    this.process?.write(bytes);
  }

  resize(cols: number, rows: number): void {
    this.process?.resize(cols, rows);
  }

  kill(): void {
    this.process?.kill();
  }

  /** The agent is gone: the command dies and its queued output with it. */
  abandon(): void {
    this.process?.kill();
    this.endedValue = true;
    this.pending.length = 0;
  }

  /** The session closed: kill the command and free the pty once it has exited. */
  dispose(): void {
    this.pending.length = 0;
    this.process?.kill();
    if (this.exited) this.process?.dispose();
  }

  /** Called when the process exits after the session already closed. */
  disposeIfExited(): void {
    if (this.exited) this.process?.dispose();
  }

  private produceSynthetic(): void {
    const total = this.faults.syntheticOutputBytes ?? 0;
    while (this.pending.length < SOURCE_HIGH_WATER && this.syntheticOffset < total) {
      const length = Math.min(MAX_FRAME_PAYLOAD, total - this.syntheticOffset);
      this.pending.push(syntheticOutput(this.syntheticOffset, length));
      this.syntheticOffset += length;
    }
    if (this.syntheticOffset >= total && !this.endedValue) {
      this.endedValue = true;
      this.onSyntheticEnd();
    }
  }
}
