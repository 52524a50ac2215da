import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../sandbox/aws/clock.ts';
import { SteppedTime } from '../../../sandbox/stepfunctions/stepped-time.ts';

const START = Date.parse('2026-12-06T12:00:00Z');

describe('SteppedTime', () => {
  it('passes one execution’s wait at once, as a jump of the clock', async () => {
    // Prepare
    const clock = new VirtualClock({ start: START, speed: 0 });
    const time = new SteppedTime(clock);
    time.enter();
    // Act
    await time.sleep(30_000);
    // Assess
    expect(clock.now()).toBe(START + 30_000);
  });

  it('moves the clock only as far as the earliest wake-up while several executions wait', async () => {
    // Prepare: three executions, each waiting 30 s, 60 s and 30 s from the same moment
    const clock = new VirtualClock({ start: START, speed: 0 });
    const time = new SteppedTime(clock);
    for (let i = 0; i < 3; i++) time.enter();
    const woke: number[] = [];
    // Act
    await Promise.all(
      [30_000, 60_000, 30_000].map(async (ms) => {
        await time.sleep(ms);
        woke.push(clock.now() - START);
        time.leave();
      }),
    );
    // Assess: 60 s passed in all, not 120 s; both 30 s waits ended at 30 s
    expect(woke).toEqual([30_000, 30_000, 60_000]);
    expect(clock.now()).toBe(START + 60_000);
  });

  it('waits for a busy execution before moving the clock, and not for one parked on people', async () => {
    // Prepare
    const clock = new VirtualClock({ start: START, speed: 0 });
    const time = new SteppedTime(clock);
    time.enter(); // sleeps
    time.enter(); // busy, then parked on a gate
    let woke = false;
    const sleeping = time.sleep(10_000).then(() => {
      woke = true;
    });
    // Act: the busy one is still working: time stands still
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const whileBusy = { woke, at: clock.now() };
    time.park();
    await sleeping;
    // Assess
    expect(whileBusy).toEqual({ woke: false, at: START });
    expect(clock.now()).toBe(START + 10_000);
  });
});
