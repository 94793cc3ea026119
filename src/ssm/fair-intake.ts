/** What a lane does with its socket and its frames; the intake decides when. */
export interface IntakeLaneHooks<T> {
  /** Handles one received frame, in the order the socket delivered them. */
  deliver(item: T): void;
  /** Stop reading the socket: the peer's unacked window and TCP hold what it sends meanwhile. */
  pause(): void;
  /** Read the socket again. */
  resume(): void;
}

/** Options of {@link FairIntake}; the defaults suit hundreds of ECS Exec sessions in one bot process. */
export interface FairIntakeOptions {
  /** Longest run of frame handling before the event loop gets a turn. Default 4 ms. */
  sliceMs?: number;
  /** Bytes one lane hands on before the next lane's go within a slice. Default 16 KiB, one output-pipeline block. */
  quantumBytes?: number;
  /** Queued bytes at which a lane stops reading until its queue is empty. Default 32 KiB. */
  highWaterBytes?: number;
  /** Sockets read at the same time. Default 32. */
  readers?: number;
  /** Bytes a socket hands on in one turn as a reader while other sockets wait for theirs. Default 256 KiB. */
  turnBytes?: number;
  /** A reader that received nothing for this long gives its turn to a waiting socket. Default 20 ms. */
  idleMs?: number;
  /**
   * A socket never waits much longer than this for its turn, even if that means more readers for a while: a KMS
   * handshake step left unanswered for 15 s fails the session, and a socket not read hears no keep-alive pong.
   * Default 5 s.
   */
  maxWaitMs?: number;
  /** Runs the next slice after the event loop's other work; default `setImmediate`. */
  schedule?: (run: () => void) => void;
  /** Calls `check` every `ms` until the returned stop function is called; default an unref'd `setInterval`. */
  every?: (check: () => void, ms: number) => () => void;
  /** Monotonic milliseconds; default `performance.now`. */
  now?: () => number;
}

/**
 * Received frames of many sockets, handled in bounded slices of time and read in turns.
 *
 * With hundreds of sessions streaming, one poll phase of the event loop would find every socket readable, and
 * handling each socket's frames right there (decode, ack, render, redact) would run for hundreds of milliseconds.
 * Reading them all and handling them later instead would move every socket's backlog into this process. So a
 * socket only queues its frames here, and slices of a few milliseconds hand them on, a quantum per socket in turn,
 * yielding to the event loop in between. And only `readers` sockets read at a time: each reads until it has handed
 * on `turnBytes` or falls quiet, then pauses and queues up for another turn. A waiting socket's backlog stays in
 * the kernel and in the agent's unacked window (acks go out as frames are handled, as the protocol asks), and the
 * output a session renders in its turn is short-lived, collected young instead of aging in the heap.
 */
export class FairIntake {
  private readonly sliceMs: number;
  private readonly quantumBytes: number;
  readonly highWaterBytes: number;
  private readonly readers: number;
  readonly turnBytes: number;
  private readonly idleMs: number;
  private readonly maxWaitMs: number;
  private readonly schedule: (run: () => void) => void;
  private readonly every: (check: () => void, ms: number) => () => void;
  private readonly now: () => number;
  /** Lanes with frames to hand on, in turn. */
  private readonly ready: IntakeLane<unknown>[] = [];
  private scheduled = false;
  private readonly reading = new Set<IntakeLane<unknown>>();
  /** Lanes waiting for a turn to read, oldest first. */
  private readonly waiting: IntakeLane<unknown>[] = [];
  private stopIdleChecks: (() => void) | null = null;
  private readonly runSlice = (): void => this.run();

  constructor(options: FairIntakeOptions = {}) {
    this.sliceMs = options.sliceMs ?? 4;
    this.quantumBytes = options.quantumBytes ?? 16 * 1024;
    this.highWaterBytes = options.highWaterBytes ?? 32 * 1024;
    this.readers = options.readers ?? 32;
    this.turnBytes = options.turnBytes ?? 256 * 1024;
    this.maxWaitMs = options.maxWaitMs ?? 5000;
    this.idleMs = options.idleMs ?? 20;
    this.schedule = options.schedule ?? setImmediate;
    this.every =
      options.every ??
      ((check, ms) => {
        const timer = setInterval(check, ms).unref();
        return () => clearInterval(timer);
      });
    this.now = options.now ?? (() => performance.now());
  }

  /** A new lane for one socket; it reads at once when a reader's place is free, else waits for its turn. */
  lane<T>(hooks: IntakeLaneHooks<T>): IntakeLane<T> {
    const lane = new IntakeLane(this, hooks);
    if (this.reading.size < this.readers) this.reading.add(lane as IntakeLane<unknown>);
    else this.wait(lane as IntakeLane<unknown>);
    return lane;
  }

  /** @internal True while `lane` may read its socket. */
  isReading(lane: IntakeLane<unknown>): boolean {
    return this.reading.has(lane);
  }

  /** @internal A lane has frames to hand on. */
  enqueue(lane: IntakeLane<unknown>): void {
    this.ready.push(lane);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this.runSlice);
    }
  }

  /** @internal A reader handed on its turn's bytes: the next waiting lane reads, this one queues up again. */
  endTurn(lane: IntakeLane<unknown>): void {
    if (this.waiting.length === 0 || !this.reading.delete(lane)) return;
    this.wait(lane);
    this.admitWaiting();
  }

  /** @internal The lane's socket is gone: its place goes to a waiting lane. */
  remove(lane: IntakeLane<unknown>): void {
    if (this.reading.delete(lane)) this.admitWaiting();
    else {
      const at = this.waiting.indexOf(lane);
      if (at >= 0) this.waiting.splice(at, 1);
    }
  }

  private wait(lane: IntakeLane<unknown>): void {
    this.waiting.push(lane);
    lane.stopReading(this.now());
    if (this.stopIdleChecks === null) this.stopIdleChecks = this.every(() => this.rotateIdle(), this.idleMs);
  }

  private admitWaiting(): void {
    while (this.reading.size < this.readers && this.waiting.length > 0) this.admit();
    this.stopIdleChecksWhenNobodyWaits();
  }

  private admit(): void {
    const next = this.waiting.shift();
    if (!next) return;
    this.reading.add(next);
    next.startTurn();
  }

  private stopIdleChecksWhenNobodyWaits(): void {
    if (this.waiting.length === 0 && this.stopIdleChecks !== null) {
      this.stopIdleChecks();
      this.stopIdleChecks = null;
    }
  }

  /**
   * Readers that received nothing since the last check give their place to waiting lanes, and lanes that waited too
   * long read anyway (the number of readers settles back as their turns end).
   */
  private rotateIdle(): void {
    for (const lane of [...this.reading]) {
      if (this.waiting.length === 0) break;
      if (lane.takeIdle()) this.endTurn(lane);
    }
    const now = this.now();
    while (this.waiting.length > 0 && now - (this.waiting[0] as IntakeLane<unknown>).waitingSince >= this.maxWaitMs) {
      this.admit();
    }
    this.stopIdleChecksWhenNobodyWaits();
  }

  private run(): void {
    this.scheduled = false;
    const deadline = this.now() + this.sliceMs;
    let serving: IntakeLane<unknown> | undefined;
    try {
      for (serving = this.ready.shift(); serving; serving = this.ready.shift()) {
        serving.serve(this.quantumBytes);
        if (serving.queuedCount > 0) this.ready.push(serving);
        else serving.settle();
        serving = undefined;
        if (this.now() >= deadline) break;
      }
    } finally {
      // A consumer that threw leaves its lane's remaining frames for the next slice.
      if (serving && serving.queuedCount > 0) this.ready.push(serving);
      else serving?.settle();
      if (this.ready.length > 0 && !this.scheduled) {
        this.scheduled = true;
        this.schedule(this.runSlice);
      }
    }
  }
}

/** One socket's queue of received frames in a {@link FairIntake}. */
export class IntakeLane<T> {
  private items: T[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;
  /** Paused because the queue passed the high-water mark. */
  private full = false;
  /** Paused because it is not this lane's turn to read. */
  private waitingTurn = false;
  /** @internal When it started waiting for its turn. */
  waitingSince = 0;
  private inReady = false;
  /** Set at the start of a turn too: a lane just admitted gets one full check period before it counts as idle. */
  private receivedSinceCheck = true;
  private turnDelivered = 0;
  private removed = false;
  private drainedCallbacks: Array<() => void> = [];

  constructor(
    private readonly intake: FairIntake,
    private readonly hooks: IntakeLaneHooks<T>,
  ) {}

  get queuedBytes(): number {
    return this.bytes;
  }
  get queuedCount(): number {
    return this.items.length - this.head;
  }
  /** True while the socket waits for its turn to read (so silence from its peer proves nothing). */
  get waitingForTurn(): boolean {
    return this.waitingTurn;
  }

  /** Queues a received frame of `bytes` bytes; stops reading once the queue is past the high-water mark. */
  push(item: T, bytes: number): void {
    this.items.push(item);
    this.sizes.push(bytes);
    this.bytes += bytes;
    this.receivedSinceCheck = true;
    if (!this.full && this.bytes >= this.intake.highWaterBytes) {
      this.full = true;
      if (!this.waitingTurn) this.hooks.pause();
    }
    if (!this.inReady) {
      this.inReady = true;
      this.intake.enqueue(this as IntakeLane<unknown>);
    }
  }

  /** Runs `callback` once every frame queued so far was delivered (at once when none is queued). */
  whenDrained(callback: () => void): void {
    if (this.queuedCount === 0) callback();
    else this.drainedCallbacks.push(callback);
  }

  /** The socket is gone: its place to read goes to another lane. Queued frames are still delivered. */
  close(): void {
    if (this.removed) return;
    this.removed = true;
    this.intake.remove(this as IntakeLane<unknown>);
  }

  /** Drops the queued frames (the socket's owner closed it and wants no more of them) and closes the lane. */
  discard(): void {
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
    this.close();
    const callbacks = this.drainedCallbacks;
    this.drainedCallbacks = [];
    for (const callback of callbacks) callback();
  }

  /** @internal Delivers frames until `quantumBytes` were handed on or the queue is empty. */
  serve(quantumBytes: number): void {
    let served = 0;
    while (served < quantumBytes && this.head < this.items.length) {
      const item = this.items[this.head] as T;
      const size = this.sizes[this.head] as number;
      this.head += 1;
      this.bytes -= size;
      served += size;
      this.hooks.deliver(item);
    }
    if (this.head === this.items.length) {
      this.items = [];
      this.sizes = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    this.turnDelivered += served;
    if (this.turnDelivered >= this.intake.turnBytes && !this.removed) this.intake.endTurn(this as IntakeLane<unknown>);
  }

  /** @internal The lane left the ready list with nothing queued: read on, and tell who waits for the drain. */
  settle(): void {
    this.inReady = false;
    if (this.queuedCount > 0) {
      this.inReady = true;
      this.intake.enqueue(this as IntakeLane<unknown>);
      return;
    }
    if (this.full) {
      this.full = false;
      if (!this.waitingTurn && !this.removed) this.hooks.resume();
    }
    const callbacks = this.drainedCallbacks;
    if (callbacks.length === 0) return;
    this.drainedCallbacks = [];
    for (const callback of callbacks) callback();
  }

  /** @internal Its turn to read is over (or has not come yet). */
  stopReading(now: number): void {
    if (this.waitingTurn) return;
    this.waitingTurn = true;
    this.waitingSince = now;
    if (!this.full) this.hooks.pause();
  }

  /** @internal Its turn to read has come. */
  startTurn(): void {
    this.waitingTurn = false;
    this.turnDelivered = 0;
    this.receivedSinceCheck = true;
    if (!this.full && !this.removed) this.hooks.resume();
  }

  /** @internal True when nothing arrived since the last call (and nothing waits to be handed on). */
  takeIdle(): boolean {
    const idle = !this.receivedSinceCheck && this.queuedCount === 0;
    this.receivedSinceCheck = false;
    return idle;
  }
}

/** The one intake of the process: turns and slices only mean something when every session's socket shares them. */
export const sharedIntake = new FairIntake();
