/** What became of a frame that arrived ahead of its turn. */
export type HoldResult = 'held' | 'already-held' | 'full';

/**
 * The incoming side of one sequence space, shared by the client and the sandbox agent: the next expected sequence
 * number and a bounded map of frames that arrived early. Each side decides itself what to ack; this only keeps
 * count.
 */
export class ReorderBuffer<T> {
  private expectedSeq = 0;
  private highestSeq = -1;
  private readonly early = new Map<number, T>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** The sequence number delivered next. */
  get expected(): number {
    return this.expectedSeq;
  }
  /** Highest sequence number seen, delivered or not; -1 before the first. */
  get highestSeen(): number {
    return this.highestSeq;
  }
  get heldCount(): number {
    return this.early.size;
  }
  /** True once a frame went missing while later ones arrived (held here, or dropped because it was full). */
  get hasGap(): boolean {
    return this.highestSeq >= this.expectedSeq || this.early.size > 0;
  }

  /** Notes an arriving sequence number, whatever becomes of it. */
  see(seq: number): void {
    if (seq > this.highestSeq) this.highestSeq = seq;
  }

  /** Keeps a frame for later; a full buffer refuses it (the peer resends it). */
  hold(seq: number, frame: () => T): HoldResult {
    if (this.early.has(seq)) return 'already-held';
    if (this.early.size >= this.capacity) return 'full';
    this.early.set(seq, frame());
    return 'held';
  }

  /** The expected frame was handled: the next one is due. */
  advance(): void {
    this.expectedSeq += 1;
  }

  /** Removes and returns the held frame whose turn it is, if it arrived. */
  takeNext(): T | undefined {
    const next = this.early.get(this.expectedSeq);
    if (next !== undefined) this.early.delete(this.expectedSeq);
    return next;
  }

  /** Puts back a frame `takeNext` returned that could not be handled yet. */
  putBack(frame: T): void {
    this.early.set(this.expectedSeq, frame);
  }

  clear(): void {
    this.early.clear();
  }
}
