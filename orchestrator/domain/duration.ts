import * as z from 'zod';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Parses durations the way people write them (`90s`, `15m`, `4h`, `1h30m`, `2d`) into seconds. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim() === '') return undefined;
  const [, d, h, m, s] = match;
  return (
    Number(d ?? 0) * UNIT_SECONDS.d +
    Number(h ?? 0) * UNIT_SECONDS.h +
    Number(m ?? 0) * UNIT_SECONDS.m +
    Number(s ?? 0)
  );
}

/** The inverse of `parseDuration`, largest units first: 5400 -> `1h30m`, 0 -> `0s`. */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return '0s';
  let rest = Math.round(seconds);
  let out = '';
  for (const [unit, size] of [
    ['d', UNIT_SECONDS.d],
    ['h', UNIT_SECONDS.h],
    ['m', UNIT_SECONDS.m],
    ['s', UNIT_SECONDS.s],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

export const DURATION_HINT = 'write a whole number and a unit: 30s, 15m, 4h, 1h30m or 2d';

/** A duration written as text in a plan, held as seconds once parsed. */
export const DurationSchema = z.union([z.string(), z.number()]).transform((text, ctx) => {
  const seconds = typeof text === 'string' ? parseDuration(text) : undefined;
  if (seconds === undefined || seconds === 0) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" is not a duration: ${DURATION_HINT}.`,
      params: { code: 'bad-duration' },
    });
    return z.NEVER;
  }
  return seconds;
});
