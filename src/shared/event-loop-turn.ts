/**
 * Waits for a later turn of the event loop: one waiter goes on per turn, in the order they came.
 *
 * Work that hundreds of callers start at the same moment (every task of a wide fan-out opening its session, or many
 * sessions finishing within one batch of frames) is mostly promise callbacks, and promise callbacks run back to back
 * until none is left: half a second in which no timer fires and no socket is read. Passing through here first lets
 * the event loop read its sockets and run its timers between one caller's piece and the next.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    bookTurn();
  });
}

const waiting: Array<() => void> = [];
let turnBooked = false;

function bookTurn(): void {
  if (turnBooked || waiting.length === 0) return;
  turnBooked = true;
  // Booked from inside a turn's `setImmediate` callbacks, the next one runs in the following turn, after its poll phase.
  setImmediate(releaseOne);
}

function releaseOne(): void {
  turnBooked = false;
  waiting.shift()?.();
  bookTurn();
}
