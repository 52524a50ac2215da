import type { VirtualClock } from '../aws/clock.ts';

/**
 * Virtual time shared by every execution on one clock, in stepped mode: a Wait does not jump
 * the clock at once (with thirty runs going, thirty waits of 30 s would pass 15 minutes); it
 * sleeps until every execution that is not waiting for people is asleep too, then the clock
 * jumps to the earliest wake-up and those sleepers go on. One execution alone sees what it saw
 * before: its wait passes at once.
 */
export class SteppedTime {
  /** Executions running and not parked on a task token. */
  private active = 0;
  private sleepers: { until: number; wake: () => void }[] = [];
  private scheduled = false;

  constructor(private readonly clock: VirtualClock) {}

  /** An execution starts. */
  enter(): void {
    this.active += 1;
  }

  /** An execution ends. */
  leave(): void {
    this.active -= 1;
    this.settle();
  }

  /** An execution waits for people (a task token): time goes on without it. */
  park(): void {
    this.active -= 1;
    this.settle();
  }

  /** Its task token came back. */
  unpark(): void {
    this.active += 1;
  }

  /** A Wait state's seconds, in virtual time. */
  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.sleepers.push({ until: this.clock.now() + ms, wake });
      this.settle();
    });
  }

  /** Once everything runnable has had its turn (a macrotask later), jump to the next wake-up. */
  private settle(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.sleepers.length === 0 || this.sleepers.length < this.active) return;
      const next = Math.min(...this.sleepers.map((s) => s.until));
      const now = this.clock.now();
      if (next > now) this.clock.advance(next - now);
      const due = this.sleepers.filter((s) => s.until <= this.clock.now());
      this.sleepers = this.sleepers.filter((s) => s.until > this.clock.now());
      for (const s of due) s.wake();
    });
  }
}

const shared = new WeakMap<VirtualClock, SteppedTime>();

/** The stepped time of a clock: one for every runner on it. */
export function steppedTimeOf(clock: VirtualClock): SteppedTime {
  let time = shared.get(clock);
  if (!time) {
    time = new SteppedTime(clock);
    shared.set(clock, time);
  }
  return time;
}
