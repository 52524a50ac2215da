/**
 * Time for tests with many concurrent actors (notifiers, a driver revealing journals): it moves
 * only when every actor is asleep, to the earliest wake-up, so a test's outcome does not depend
 * on how loaded the machine is. An actor's Slack calls take no virtual time. Actors waking at
 * the same instant wake in an order drawn from `seed`, as concurrent Lambdas would race.
 */
export class VirtualClock {
  private readonly timers: { at: number; order: number; wake: () => void }[] = [];
  private actors = 0;
  private sleeping = 0;
  private scheduled = false;
  private state: number;

  constructor(
    private time: number,
    seed = 1,
  ) {
    this.state = seed >>> 0;
  }

  readonly now = (): number => this.time;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((wake) => {
      this.timers.push({ at: this.time + Math.max(0, ms), order: this.random(), wake });
      this.sleeping += 1;
      this.advanceWhenIdle();
    });

  /** Runs an actor: while it is awake (working or waiting on I/O), time stands still. */
  async run<T>(actor: () => Promise<T>): Promise<T> {
    this.actors += 1;
    try {
      return await actor();
    } finally {
      this.actors -= 1;
      this.advanceWhenIdle();
    }
  }

  /** mulberry32: a small seeded generator. */
  private random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  private advanceWhenIdle(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.sleeping < this.actors || this.timers.length === 0) return;
      this.timers.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.timers.shift() as (typeof this.timers)[number];
      this.time = Math.max(this.time, next.at);
      this.sleeping -= 1;
      next.wake();
    });
  }
}
