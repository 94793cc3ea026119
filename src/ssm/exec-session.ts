import { type Clock, systemClock, systemTimers, type Timers } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { TerminalSize } from './codec/payloads.js';
import { DataChannel, type OutputGap } from './data-channel.js';
import { SsmError } from './errors.js';
import type { KmsPort, SsmControlPort } from './ports.js';
import type { TransportCloseInfo, TransportConnector } from './transport-port.js';
import { connectWebSocket } from './ws-transport.js';

export type { KmsPort, SsmControlPort } from './ports.js';

/** Everything one run of a command over an ECS Exec session needs. */
export interface ExecSessionParams {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
  /** `ecs:<cluster>_<task>_<runtimeId>`, needed for the KMS encryption context. */
  targetId: string;
  control: SsmControlPort;
  kms: KmsPort;
  /** Output in order, as the command wrote it (after `outputFilter`). A chunk may be a view; copy to keep. */
  onOutput: (chunk: Uint8Array) => void;
  /**
   * Rewrites the output before `onOutput` and supplies the exit code (a caller that wraps the command removes its
   * own lines here). Absent: output passes unchanged and the exit code is the one the agent reports, if any.
   */
  outputFilter?: OutputFilter | null | undefined;
  /** Called once, before connecting, with the means to type into the remote terminal and resize it. */
  onControl?: ((control: SessionControl) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Wall-clock limit of the run; then Ctrl-C, then TerminateSession. */
  timeoutMs?: number | undefined;
  logger?: Logger | undefined;
  /** Opens transports; default: a WebSocket with keep-alive pings. */
  connect?: TransportConnector | undefined;
  clock?: Clock | undefined;
  timers?: Timers | undefined;
  /** Watchdog period. Default 1 s. */
  watchdogIntervalMs?: number | undefined;
  /** A pause_publication that lasts this long means the agent vanished. Default 60 s. */
  pauseTimeoutMs?: number | undefined;
  /** Unacked input with no ack or data for this long means the agent vanished. Default 60 s. */
  silenceTimeoutMs?: number | undefined;
  /** No frame at all this long after connecting means the agent never answered. Default 60 s. */
  firstMessageTimeoutMs?: number | undefined;
  /** After Ctrl-C, how long to wait for the session to end before TerminateSession. Default 3 s. */
  cancelGraceMs?: number | undefined;
  /** After TerminateSession, how long to wait for channel_closed. Default 3 s. */
  terminateGraceMs?: number | undefined;
  /** Reconnect attempts after a dropped socket. Default 5. */
  reconnectAttempts?: number | undefined;
  /** First reconnect delay (randomised up to double, then doubling). Default 100 ms. */
  reconnectBaseDelayMs?: number | undefined;
  terminalSize?: TerminalSize | undefined;
  kmsChallengeContext?: boolean | undefined;
  clientVersion?: string | undefined;
}

/** A streaming rewrite of a session's output that may find the command's exit code in it. */
export interface OutputFilter {
  /** Feeds output; returns what may be shown now (possibly empty). */
  push(chunk: Uint8Array): Uint8Array;
  /** The stream ended: returns whatever was held back. */
  end(): Uint8Array;
  /** The exit code found in the output, else null. */
  readonly exitCode: number | null;
}

/** What a client can do to a running session's terminal. */
export interface SessionControl {
  /** Bytes typed into the remote terminal (Ctrl-C is 0x03, Ctrl-D at the start of a line is EOF). */
  sendInput(bytes: Uint8Array): void;
  /** The local terminal's new size. */
  resize(size: TerminalSize): void;
}

/** How a run ended; `completed` means the remote command exited (its code may still be unknown). */
export type ExecOutcome = 'completed' | 'timed_out' | 'cancelled' | 'interrupted' | 'failed';

/** The end of a run; `reason` is safe to show to the person who ran it. */
export interface ExecSessionResult {
  outcome: ExecOutcome;
  exitCode: number | null;
  reason: string | null;
  outputBytes: number;
}

/** Lifecycle of a run. */
export type ExecSessionState = 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed';

/** What the user is told when the session ended with output known to be missing. */
export function incompleteOutputReason(gap: OutputGap, closeOutput: string | null): string {
  const missing = gap.highestSeenSeq - gap.firstMissingSeq + 1 - gap.bufferedFrames;
  const detail =
    missing > 0
      ? `${missing} of the last ${gap.highestSeenSeq - gap.firstMissingSeq + 1} output frames never arrived`
      : 'output frames never arrived';
  const why = closeOutput ? ` (${closeOutput})` : '';
  return `The session ended before all of the output arrived${why}: ${detail}, so the output is incomplete.`;
}

const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);

/**
 * Runs one ECS Exec session to its end: connects, drives the data channel, streams output, and finishes on
 * `channel_closed`, cancel, timeout, a vanished agent, or a connection that cannot be resumed. Never throws; the
 * result says how the run ended.
 */
export function runExecSession(params: ExecSessionParams): Promise<ExecSessionResult> {
  return new ExecSession(params).run();
}

class ExecSession {
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly connect: TransportConnector;
  private readonly filter: OutputFilter | null;
  private readonly channel: DataChannel;
  private stateValue: ExecSessionState = 'connecting';
  private outputBytes = 0;
  private reportedExitCode: number | null = null;
  private openedAt = 0;
  private watchdog: unknown = null;
  private timeout: unknown = null;
  private graceTimer: unknown = null;
  private terminated = false;
  private stopping: { outcome: ExecOutcome; reason: string } | null = null;
  private resolve: (result: ExecSessionResult) => void = () => {};
  private readonly onAbort = (): void => this.interrupt('cancelled', 'The run was cancelled.');

  constructor(private readonly params: ExecSessionParams) {
    this.clock = params.clock ?? systemClock;
    this.timers = params.timers ?? systemTimers;
    this.connect = params.connect ?? ((url) => connectWebSocket(url));
    this.filter = params.outputFilter ?? null;
    this.channel = new DataChannel({
      sessionId: params.sessionId,
      targetId: params.targetId,
      kms: params.kms,
      clock: this.clock,
      timers: this.timers,
      ...(params.logger ? { logger: params.logger } : {}),
      ...(params.terminalSize ? { terminalSize: params.terminalSize } : {}),
      ...(params.kmsChallengeContext !== undefined ? { kmsChallengeContext: params.kmsChallengeContext } : {}),
      ...(params.clientVersion ? { clientVersion: params.clientVersion } : {}),
      events: {
        onOutput: (chunk) => this.output(chunk),
        onChannelClosed: (output) => this.onChannelClosed(output),
        onFatal: (error) => void this.end('failed', error.userMessage ?? error.message, true),
        onTransportClosed: (info) => void this.reconnect(info),
        onExitCode: (code) => {
          this.reportedExitCode = code;
        },
      },
    });
  }

  private output(chunk: Uint8Array): void {
    this.emit(this.filter ? this.filter.push(chunk) : chunk);
  }

  run(): Promise<ExecSessionResult> {
    const done = new Promise<ExecSessionResult>((resolve) => {
      this.resolve = resolve;
    });
    const { signal } = this.params;
    if (signal?.aborted) {
      void this.end('cancelled', 'The run was cancelled.', true);
      return done;
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.params.onControl?.({
      sendInput: (bytes) => {
        if (this.stateValue !== 'closed') this.channel.sendInput(bytes);
      },
      resize: (size) => this.channel.resize(size),
    });
    if (this.params.timeoutMs !== undefined) {
      const limit = this.params.timeoutMs;
      this.timeout = this.timers.setTimeout(
        () => this.interrupt('timed_out', `The command ran longer than ${seconds(limit)} and was stopped.`),
        limit,
      );
    }
    void this.open();
    return done;
  }

  private async open(): Promise<void> {
    try {
      const transport = await this.connect(this.params.streamUrl);
      if (this.stateValue === 'closed') {
        transport.close();
        return;
      }
      this.channel.attach(transport, this.params.tokenValue);
    } catch (error) {
      if (this.stateValue === 'closed') return;
      if (
        error instanceof SsmError &&
        (error.code === 'ssm.transport.insecure_url' || error.code === 'ssm.transport.bad_url')
      ) {
        await this.end('failed', error.userMessage ?? error.message, true);
        return;
      }
      this.params.logger?.warn({ error: String(error) }, 'ssm: first connect failed; resuming the session');
      await this.reconnect({ code: 1006, reason: String(error) });
      return;
    }
    this.openedAt = this.clock.now();
    if (this.stateValue === 'connecting') this.stateValue = 'open';
    this.watchdog = this.timers.setInterval(() => this.checkWatchdog(), this.params.watchdogIntervalMs ?? 1000);
  }

  private emit(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.outputBytes += chunk.length;
    try {
      this.params.onOutput(chunk);
    } catch (error) {
      this.params.logger?.error({ error: String(error) }, 'ssm: output consumer failed');
      void this.end('failed', 'The output could not be processed.', true);
    }
  }

  private checkWatchdog(): void {
    if (this.stateValue !== 'open' && this.stateValue !== 'closing') return;
    const now = this.clock.now();
    const channel = this.channel;
    const pauseLimit = this.params.pauseTimeoutMs ?? 60_000;
    const silenceLimit = this.params.silenceTimeoutMs ?? 60_000;
    const firstLimit = this.params.firstMessageTimeoutMs ?? 60_000;
    if (channel.paused && now - Math.max(channel.pausedSince, channel.lastProgressAt) >= pauseLimit) {
      void this.end(
        'interrupted',
        `The container stopped responding: its side of the session has been inactive for ${seconds(pauseLimit)}. The task may have stopped.`,
        true,
      );
      return;
    }
    const oldest = channel.oldestUnackedSentAt;
    if (oldest !== null && now - Math.max(oldest, channel.lastProgressAt) >= silenceLimit) {
      void this.end(
        'interrupted',
        `The container stopped answering: nothing has been acknowledged for ${seconds(silenceLimit)}. The task may have stopped.`,
        true,
      );
      return;
    }
    if (channel.lastReceivedAt === 0 && now - this.openedAt >= firstLimit) {
      void this.end('failed', `The container's agent did not answer within ${seconds(firstLimit)}.`, true);
    }
  }

  /** Cancel or timeout: Ctrl-C first, then TerminateSession if the command is still running after a grace period. */
  private interrupt(outcome: ExecOutcome, reason: string): void {
    if (this.stateValue === 'closing' || this.stateValue === 'closed') return;
    this.stopping = { outcome, reason };
    this.stateValue = 'closing';
    this.channel.sendInput(Uint8Array.of(0x03));
    this.graceTimer = this.timers.setTimeout(() => {
      void this.terminate().then(() => {
        if (this.stateValue === 'closed') return;
        this.graceTimer = this.timers.setTimeout(
          () => void this.end(outcome, reason, false),
          this.params.terminateGraceMs ?? 3000,
        );
      });
    }, this.params.cancelGraceMs ?? 3000);
  }

  private onChannelClosed(output: string): void {
    if (this.stopping) {
      void this.end(this.stopping.outcome, this.stopping.reason, false);
      return;
    }
    const gap = this.channel.outputGap;
    if (gap) {
      // The agent gave up on frames we never got (its drain timeout), or MGS closed early: never call that success.
      void this.end('interrupted', incompleteOutputReason(gap, output || null), false);
      return;
    }
    const exitCode = this.exitCode();
    if (output.length > 0 && exitCode === null) {
      void this.end('failed', output, false);
      return;
    }
    void this.end('completed', output.length > 0 ? output : null, false);
  }

  private exitCode(): number | null {
    if (this.filter) return this.filter.exitCode;
    return this.reportedExitCode;
  }

  private async reconnect(info: TransportCloseInfo): Promise<void> {
    if (this.stateValue === 'closed') return;
    if (this.stopping) {
      // Already stopping: no point re-attaching, make sure the remote side ends.
      await this.end(this.stopping.outcome, this.stopping.reason, true);
      return;
    }
    this.stateValue = 'reconnecting';
    this.params.logger?.warn({ code: info.code, reason: info.reason }, 'ssm: connection lost; resuming the session');
    const attempts = this.params.reconnectAttempts ?? 5;
    const base = this.params.reconnectBaseDelayMs ?? 100;
    let delay = base + Math.floor(Math.random() * base);
    let lastError = info.reason || `connection closed with code ${info.code}`;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      await this.sleep(delay);
      if (this.stateValue !== 'reconnecting') return;
      delay = delay * 2 > 5000 ? base + Math.floor(Math.random() * base) : delay * 2;
      try {
        const resumed = await this.params.control.resumeSession(this.params.sessionId);
        if (this.stateValue !== 'reconnecting') return;
        if (!resumed.tokenValue) {
          await this.end(
            'interrupted',
            'The connection was lost and the session has already ended or timed out.',
            false,
          );
          return;
        }
        const transport = await this.connect(resumed.streamUrl || this.params.streamUrl);
        if (this.stateValue !== 'reconnecting') {
          transport.close();
          return;
        }
        this.channel.attach(transport, resumed.tokenValue);
        this.stateValue = this.stopping ? 'closing' : 'open';
        if (this.openedAt === 0) {
          this.openedAt = this.clock.now();
          this.watchdog = this.timers.setInterval(() => this.checkWatchdog(), this.params.watchdogIntervalMs ?? 1000);
        }
        return;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
        this.params.logger?.warn({ attempt, error: lastError }, 'ssm: resume attempt failed');
      }
    }
    await this.end(
      'interrupted',
      `The connection to the container was lost and could not be resumed (${lastError}).`,
      true,
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.setTimeout(resolve, ms);
    });
  }

  private async terminate(): Promise<void> {
    if (this.terminated) return;
    this.terminated = true;
    let timer: unknown = null;
    // Best effort and bounded: a hanging control-plane call must not keep the run from ending.
    const limit = new Promise<void>((resolve) => {
      timer = this.timers.setTimeout(() => {
        this.params.logger?.warn('ssm: TerminateSession did not answer in time');
        resolve();
      }, this.params.terminateGraceMs ?? 3000);
    });
    const call = this.params.control.terminateSession(this.params.sessionId).catch((error: unknown) => {
      this.params.logger?.warn({ error: String(error) }, 'ssm: TerminateSession failed');
    });
    await Promise.race([call, limit]);
    this.timers.clearTimeout(timer);
  }

  private async end(requested: ExecOutcome, requestedReason: string | null, terminate: boolean): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    let outcome = requested;
    let reason = requestedReason;
    const gap = this.channel.outputGap;
    if (gap) {
      this.params.logger?.warn({ ...gap, outcome: requested }, 'ssm: session ended with output missing');
      // Whatever ended the run, output known to be missing is never reported as a completed run.
      if (outcome === 'completed') {
        outcome = 'interrupted';
        reason = incompleteOutputReason(gap, reason);
      }
    }
    this.params.signal?.removeEventListener('abort', this.onAbort);
    for (const timer of [this.timeout, this.graceTimer]) if (timer !== null) this.timers.clearTimeout(timer);
    if (this.watchdog !== null) this.timers.clearInterval(this.watchdog);
    this.channel.close();
    if (this.filter) this.emit(this.filter.end());
    if (terminate) await this.terminate();
    this.resolve({ outcome, exitCode: this.exitCode(), reason, outputBytes: this.outputBytes });
  }
}
