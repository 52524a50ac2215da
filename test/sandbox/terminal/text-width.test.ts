import { describe, expect, it } from 'vitest';
import { displayWidth, padEnd, wrapLine } from '../../../sandbox/terminal/text-width.ts';

describe('displayWidth', () => {
  it.each([
    ['abc', 3],
    ['\x1b[1mabc\x1b[22m', 3],
    ['✅ ok', 5],
    ['⚠️', 2],
    ['🎉', 2],
    ['█░', 2],
    ['日本', 4],
    ['', 0],
  ])('%j is %i columns', (text, width) => {
    expect(displayWidth(text)).toBe(width);
  });

  it('pads to a width in columns, not characters', () => {
    expect(padEnd('✅ a', 6)).toBe('✅ a  ');
  });
});

describe('wrapLine', () => {
  it.each([
    ['short line', 20, ['short line']],
    ['one two three four', 9, ['one two', 'three', 'four']],
    ['  indented words wrap under', 14, ['  indented', '  words wrap', '  under']],
    ['abcdefghij', 4, ['abcd', 'efgh', 'ij']],
    ['✅ ✅ ✅ ✅', 5, ['✅ ✅', '✅ ✅']],
  ])('%j at %i columns', (line, width, expected) => {
    expect(wrapLine(line, width)).toEqual(expected);
  });

  it('keeps escape codes whole and does not count them', () => {
    // Act
    const lines = wrapLine('\x1b[1mbold\x1b[22m text here', 9);
    // Assess
    expect(lines).toEqual(['\x1b[1mbold\x1b[22m text', 'here']);
    expect(lines.every((l) => displayWidth(l) <= 9)).toBe(true);
  });
});
