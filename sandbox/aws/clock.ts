/**
 * The simulators' time. Virtual milliseconds since the epoch run `speed` times faster than real
 * time (a 4-hour drill in under a minute at speed 300); tests use speed 0 and `advance`.
 */
export interface SimClock {
  now(): number;
}

export interface VirtualClockOptions {
  /** Virtual time at start, ms since the epoch. @default real now */
  start?: number;
  /** Virtual seconds per real second. @default 1 */
  speed?: number;
  /** The real clock, injectable for tests. @default Date.now */
  realNow?: () => number;
}

export class VirtualClock implements SimClock {
  private base: number;
  private realBase: number;
  private rate: number;
  private readonly realNow: () => number;

  constructor(options: VirtualClockOptions = {}) {
    this.realNow = options.realNow ?? Date.now;
    this.realBase = this.realNow();
    this.base = options.start ?? this.realBase;
    this.rate = options.speed ?? 1;
    if (!(this.rate >= 0)) throw new RangeError(`speed must be 0 or more, not ${options.speed}`);
  }

  now(): number {
    return Math.floor(this.base + (this.realNow() - this.realBase) * this.rate);
  }

  get speed(): number {
    return this.rate;
  }

  /** Re-anchors so the change takes effect from now on, without a jump. */
  setSpeed(speed: number): void {
    if (!(speed >= 0)) throw new RangeError(`speed must be 0 or more, not ${speed}`);
    this.base = this.now();
    this.realBase = this.realNow();
    this.rate = speed;
  }

  advance(ms: number): void {
    if (ms < 0) throw new RangeError('time only moves forward');
    this.base += ms;
  }
}
