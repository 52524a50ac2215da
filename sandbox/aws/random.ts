/** Seeded randomness: the same seed and key always draw the same value, whatever the call order. */
export function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class SeededRandom {
  private readonly stream: () => number;

  constructor(readonly seed: number) {
    this.stream = mulberry32(seed);
  }

  /** A value in [0, 1) fixed by the seed and the key. */
  unit(key: string): number {
    return mulberry32(hashString(`${this.seed}:${key}`))();
  }

  /** An integer in [min, max], fixed by the seed and the key. */
  between(key: string, min: number, max: number): number {
    return min + Math.floor(this.unit(key) * (max - min + 1));
  }

  /** The next value of the seed's own stream (for throttling draws, where order is the point). */
  next(): number {
    return this.stream();
  }

  /** `count` hex digits fixed by the key: resource ids that stay the same run after run. */
  hex(key: string, count: number): string {
    let out = '';
    for (let i = 0; out.length < count; i++)
      out += hashString(`${this.seed}:${key}:${i}`).toString(16).padStart(8, '0');
    return out.slice(0, count);
  }
}
