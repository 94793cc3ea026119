/**
 * Where the work a listener does after its ack waits its turn. Every Slack request is answered by the one event
 * loop: under a burst, the post-ack work of earlier requests (the policy, the Redis writes, the card) would otherwise
 * run between a new request's bytes and its ack, and Slack gives up on an ack after 3 s. The lane keeps that work
 * behind the acks: at most `concurrency` pieces run at once, and a waiting piece starts only on a later turn of the
 * event loop (`setImmediate`), after the turn's incoming requests were read and acknowledged. Nothing is dropped:
 * every piece runs, in arrival order, and its outcome reaches its caller.
 */
export interface AfterAckLane {
  /**
   * Runs `work` once its turn comes; settles as `work` does. `onLongWait` is called once if the piece has not started
   * `longWaitMs` after it was handed in, so the person can be told their request is queued, not ignored.
   */
  run<T>(work: () => Promise<T>, onLongWait?: () => void): Promise<T>;
  /** Pieces waiting for their turn, and pieces running. */
  depth(): { waiting: number; running: number };
  /**
   * Settles once every piece handed in so far has settled (pieces handed in later are not waited for), so a stopping
   * bot finishes the requests it acknowledged instead of dropping them.
   */
  settled(): Promise<void>;
}

/**
 * Each piece mostly waits on Slack (a card post is 100-300 ms away from AWS): 32 at once cards a burst of 400 in a
 * few seconds. Acks go first because a waiting piece starts one per turn, not because few run; on loopback, where
 * nothing waits, 8 and 2 gave no better ack times than 32.
 */
export const DEFAULT_AFTER_ACK_CONCURRENCY = 32;

/** Under Slack's 3 s: someone who typed a command hears within it that the request is queued. */
export const DEFAULT_LONG_WAIT_MS = 2_000;

export function createAfterAckLane(
  concurrency = DEFAULT_AFTER_ACK_CONCURRENCY,
  longWaitMs = DEFAULT_LONG_WAIT_MS,
): AfterAckLane {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`the after-ack lane needs a concurrency of at least 1, not ${concurrency}`);
  }
  const waiting: Array<() => void> = [];
  let running = 0;
  let turnBooked = false;
  const unsettled = new Set<Promise<unknown>>();

  const bookTurn = (): void => {
    if (turnBooked || waiting.length === 0 || running >= concurrency) return;
    turnBooked = true;
    setImmediate(startOne);
  };
  // One start per turn: the poll phase between two turns reads (and acks) whatever requests arrived meanwhile.
  function startOne(): void {
    turnBooked = false;
    if (running >= concurrency) return;
    const next = waiting.shift();
    if (!next) return;
    running += 1;
    next();
    bookTurn();
  }
  const finished = (): void => {
    running -= 1;
    bookTurn();
  };

  return {
    run<T>(work: () => Promise<T>, onLongWait?: () => void): Promise<T> {
      const longWait = onLongWait ? setTimeout(onLongWait, longWaitMs) : undefined;
      const piece = new Promise<T>((resolve, reject) => {
        waiting.push(() => {
          clearTimeout(longWait);
          let started: Promise<T>;
          try {
            started = work();
          } catch (error) {
            started = Promise.reject(error);
          }
          started.then(resolve, reject).finally(finished);
        });
        bookTurn();
      });
      const forget = (): void => {
        unsettled.delete(tracked);
      };
      const tracked: Promise<void> = piece.then(forget, forget);
      unsettled.add(tracked);
      return piece;
    },
    depth: () => ({ waiting: waiting.length, running }),
    settled: async () => {
      await Promise.all([...unsettled]);
    },
  };
}
