import { describe, expect, it } from 'vitest';
import { TimerHeap } from '../../src/scanning/timer-heap.js';
import { FakeClock } from '../helpers/fake-clock.js';

function heap() {
  const clock = new FakeClock();
  const fired: number[] = [];
  const timers = new TimerHeap(clock, (key) => fired.push(key));
  timers.start();
  return { clock, fired, timers };
}

describe('TimerHeap', () => {
  it('fires each key once at its latest due time, in order', () => {
    const { clock, fired, timers } = heap();
    timers.schedule(1, clock.now() + 300);
    timers.schedule(2, clock.now() + 100);
    timers.schedule(1, clock.now() + 200); // moved earlier
    timers.schedule(3, clock.now() + 50);
    timers.unschedule(3);
    clock.advance(1_000);
    expect(fired).toEqual([2, 1]);
    expect(timers.size).toBe(0);
  });

  // Every scan moves its device's safety-net time: a key moved a million times must not keep a
  // million entries until each would have come due (an hour, for a backed-off dead device).
  it('holds a bounded number of entries however often keys move', () => {
    const { clock, fired, timers } = heap();
    const keys = 100;
    for (let round = 0; round < 2_000; round++) {
      for (let key = 0; key < keys; key++) timers.schedule(key, clock.now() + 3_600_000 + round);
      expect(timers.entries).toBeLessThanOrEqual(2 * keys + 64 + 1);
      clock.advance(10);
    }
    expect(timers.size).toBe(keys);
    clock.advance(3_700_000);
    expect(fired.sort((a, b) => a - b)).toEqual(Array.from({ length: keys }, (_, i) => i));
  });

  it('compacts away unscheduled keys too', () => {
    const { clock, timers } = heap();
    for (let key = 0; key < 1_000; key++) timers.schedule(key, clock.now() + 1_000 + key);
    for (let key = 0; key < 999; key++) timers.unschedule(key);
    timers.schedule(5_000, clock.now() + 10);
    expect(timers.entries).toBeLessThanOrEqual(2 * 2 + 64 + 1);
  });
});
