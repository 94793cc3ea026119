import { describe, expect, it } from 'vitest';
import { FairIntake, type FairIntakeOptions, type IntakeLane } from '../../../src/ssm/fair-intake.js';

/** An intake whose slices, idle checks and clock are stepped by the test. */
function steppedIntake(options: FairIntakeOptions = {}) {
  const slices: Array<() => void> = [];
  let idleCheck: (() => void) | null = null;
  let clock = 0;
  const intake = new FairIntake({
    sliceMs: 4,
    quantumBytes: 2,
    highWaterBytes: 100,
    readers: 100,
    turnBytes: 1000,
    schedule: (run) => slices.push(run),
    every: (check) => {
      idleCheck = check;
      return () => {
        idleCheck = null;
      };
    },
    now: () => clock,
    ...options,
  });
  const log: string[] = [];
  const laneNamed = (name: string, onDeliver: (item: string) => void = () => {}): IntakeLane<string> =>
    intake.lane<string>({
      deliver: (item) => {
        log.push(`${name}:${item}`);
        onDeliver(item);
      },
      pause: () => log.push(`${name} paused`),
      resume: () => log.push(`${name} resumed`),
    });
  return {
    intake,
    log,
    laneNamed,
    advance: (ms: number) => {
      clock += ms;
    },
    /** Runs the slice that is due; false when none was scheduled. */
    runSlice: (): boolean => {
      const run = slices.shift();
      run?.();
      return run !== undefined;
    },
    runAllSlices: () => {
      while (slices.length > 0) slices.shift()?.();
    },
    checkIdle: () => (idleCheck as (() => void) | null)?.(),
    get idleChecking() {
      return idleCheck !== null;
    },
  };
}

describe('FairIntake', () => {
  it('hands frames on later, in order, a quantum per lane in turn', () => {
    const t = steppedIntake();
    const a = t.laneNamed('a');
    const b = t.laneNamed('b');
    for (const item of ['1', '2', '3']) a.push(item, 1);
    for (const item of ['1', '2']) b.push(item, 1);
    expect(t.log).toEqual([]);
    t.runAllSlices();
    expect(t.log).toEqual(['a:1', 'a:2', 'b:1', 'b:2', 'a:3']);
  });

  it('yields to the event loop once a slice has run its time, and goes on in the next', () => {
    const t = steppedIntake();
    const a = t.laneNamed('a', () => t.advance(3));
    for (const item of ['1', '2', '3', '4', '5', '6']) a.push(item, 1);
    expect(t.runSlice()).toBe(true);
    // Each frame takes 3 ms: one quantum of two frames uses up the 4 ms slice, the next quantum waits for a new one.
    expect(t.log).toEqual(['a:1', 'a:2']);
    t.runSlice();
    expect(t.log).toEqual(['a:1', 'a:2', 'a:3', 'a:4']);
    t.runSlice();
    expect(t.log).toEqual(['a:1', 'a:2', 'a:3', 'a:4', 'a:5', 'a:6']);
    expect(t.runSlice()).toBe(false);
  });

  it('pauses a socket whose queue passes the high-water mark and resumes it once the queue is empty', () => {
    const t = steppedIntake({ highWaterBytes: 3 });
    const a = t.laneNamed('a');
    a.push('1', 2);
    expect(t.log).toEqual([]);
    a.push('2', 2);
    expect(t.log).toEqual(['a paused']);
    t.runAllSlices();
    expect(t.log).toEqual(['a paused', 'a:1', 'a:2', 'a resumed']);
  });

  it('lets only `readers` sockets read; one that handed on its turn of bytes makes way for a waiting one', () => {
    const t = steppedIntake({ readers: 1, turnBytes: 4 });
    const a = t.laneNamed('a');
    const b = t.laneNamed('b');
    expect(t.log).toEqual(['b paused']);
    expect(b.waitingForTurn).toBe(true);
    for (const item of ['1', '2', '3', '4']) a.push(item, 1);
    t.runAllSlices();
    expect(t.log).toEqual(['b paused', 'a:1', 'a:2', 'a:3', 'a:4', 'a paused', 'b resumed']);
    expect(a.waitingForTurn).toBe(true);
    expect(b.waitingForTurn).toBe(false);
  });

  it('keeps a reader that is alone reading past its turn: nobody waits for the place', () => {
    const t = steppedIntake({ readers: 1, turnBytes: 2 });
    const a = t.laneNamed('a');
    for (const item of ['1', '2', '3']) a.push(item, 1);
    t.runAllSlices();
    expect(t.log).toEqual(['a:1', 'a:2', 'a:3']);
  });

  it('gives a quiet reader’s place to a waiting socket after a full idle period', () => {
    const t = steppedIntake({ readers: 1 });
    t.laneNamed('a');
    t.laneNamed('b');
    expect(t.idleChecking).toBe(true);
    // The first check only ends the grace period a reader gets when its turn starts.
    t.checkIdle();
    expect(t.log).toEqual(['b paused']);
    t.checkIdle();
    expect(t.log).toEqual(['b paused', 'a paused', 'b resumed']);
    // b is quiet too: the places swap back, and so on, while someone waits.
    t.checkIdle();
    t.checkIdle();
    expect(t.log.slice(3)).toEqual(['b paused', 'a resumed']);
  });

  it('lets a socket that waited too long read anyway, beside the readers', () => {
    const t = steppedIntake({ readers: 1, maxWaitMs: 100 });
    const a = t.laneNamed('a');
    const b = t.laneNamed('b');
    a.push('1', 1);
    t.checkIdle();
    t.advance(99);
    a.push('2', 1);
    t.checkIdle();
    expect(b.waitingForTurn).toBe(true);
    t.advance(1);
    a.push('3', 1);
    t.checkIdle();
    expect(b.waitingForTurn).toBe(false);
    expect(a.waitingForTurn).toBe(false);
    expect(t.log).toEqual(['b paused', 'b resumed']);
    expect(t.idleChecking).toBe(false);
  });

  it('stops checking for idle readers when nobody waits, and hands a closed lane’s place on', () => {
    const t = steppedIntake({ readers: 1 });
    const a = t.laneNamed('a');
    t.laneNamed('b');
    a.close();
    expect(t.log).toEqual(['b paused', 'b resumed']);
    expect(t.idleChecking).toBe(false);
  });

  it('runs a drain callback after the frames queued before it, and at once when none is queued', () => {
    const t = steppedIntake();
    const a = t.laneNamed('a');
    a.whenDrained(() => t.log.push('drained at once'));
    a.push('1', 1);
    a.push('2', 1);
    a.push('3', 1);
    a.whenDrained(() => t.log.push('drained'));
    t.runAllSlices();
    expect(t.log).toEqual(['drained at once', 'a:1', 'a:2', 'a:3', 'drained']);
  });

  it('drops the queue of a discarded lane and still tells who waited for the drain', () => {
    const t = steppedIntake();
    const a = t.laneNamed('a');
    a.push('1', 1);
    a.whenDrained(() => t.log.push('drained'));
    a.discard();
    t.runAllSlices();
    expect(t.log).toEqual(['drained']);
  });

  it('keeps going after a consumer threw: the lane’s other frames come in the next slice', () => {
    const t = steppedIntake();
    const a = t.laneNamed('a', (item) => {
      if (item === '1') throw new Error('consumer failed');
    });
    a.push('1', 1);
    a.push('2', 1);
    expect(() => t.runSlice()).toThrow('consumer failed');
    t.runAllSlices();
    expect(t.log).toEqual(['a:1', 'a:2']);
  });
});
