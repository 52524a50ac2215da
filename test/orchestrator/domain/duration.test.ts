import { describe, expect, it } from 'vitest';
import {
  DurationSchema,
  formatDuration,
  parseDuration,
} from '../../../orchestrator/domain/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['30s', 30],
    ['15m', 900],
    ['4h', 14_400],
    ['1h30m', 5400],
    ['2d', 172_800],
    ['1d2h3m4s', 93_784],
    [' 45m ', 2700],
  ])('reads %s as %i seconds', (text, seconds) => {
    // Act & Assess
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '15', 'm', '15 minutes', '1.5h', '-5m', '30m1h', '4H'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [59, '59s'],
    [900, '15m'],
    [5400, '1h30m'],
    [93_784, '1d2h3m4s'],
  ])('writes %i seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('round-trips what it writes', () => {
    for (const seconds of [1, 61, 3599, 3600, 86_399, 200_000]) {
      expect(parseDuration(formatDuration(seconds))).toBe(seconds);
    }
  });
});

describe('DurationSchema', () => {
  it('refuses zero, bare numbers and prose with the value and a hint', () => {
    for (const input of ['0m', 15, '15 minutes']) {
      // Act
      const result = DurationSchema.safeParse(input);
      // Assess
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message ?? '').toMatch(/write a whole number and a unit/);
    }
    expect(DurationSchema.safeParse('15 minutes').error?.issues[0]?.message).toContain(
      '"15 minutes"',
    );
  });
});
