/**
 * Terminal columns of text: ANSI codes take none, emoji and East Asian wide characters take two,
 * joiners and variation selectors none. Good enough to wrap lines so that a redraw in place can
 * count them; a terminal that draws an emoji narrower only leaves a little space.
 */

import { stripVTControlCharacters } from 'node:util';

/** An ANSI escape sequence (CSI); built from its text, as a literal would hold a control character. */
const CSI = `${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`;
const ANSI_AT_START = new RegExp(`^${CSI}`);

/** Wide ranges (inclusive): CJK, Hangul, full-width forms, and the emoji blocks. */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x23e9, 0x23ec],
  [0x23f0, 0x23f0],
  [0x23f3, 0x23f3],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x267f, 0x267f],
  [0x2693, 0x2693],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26ce, 0x26ce],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f3],
  [0x26f5, 0x26f5],
  [0x26fa, 0x26fa],
  [0x26fd, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x274e, 0x274e],
  [0x2753, 0x2755],
  [0x2757, 0x2757],
  [0x2795, 0x2797],
  [0x27b0, 0x27b0],
  [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b50],
  [0x2b55, 0x2b55],
  [0x2e80, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f000, 0x1faff],
  [0x20000, 0x3fffd],
];

function isWide(code: number): boolean {
  return WIDE.some(([from, to]) => code >= from && code <= to);
}

function isZeroWidth(code: number): boolean {
  return (
    code === 0x200d ||
    (code >= 0xfe00 && code <= 0xfe0f) ||
    (code >= 0x0300 && code <= 0x036f) ||
    (code >= 0x1f3fb && code <= 0x1f3ff)
  );
}

/** Columns the text takes on a terminal. */
export function displayWidth(text: string): number {
  let width = 0;
  const chars = [...stripVTControlCharacters(text)];
  for (const [i, char] of chars.entries()) {
    const code = char.codePointAt(0) ?? 0;
    if (isZeroWidth(code)) continue;
    // A narrow symbol asked to look like an emoji (U+FE0F after it) is drawn two wide.
    width += isWide(code) || chars[i + 1] === '\uFE0F' ? 2 : 1;
  }
  return width;
}

/** Pads with spaces to `width` columns. */
export function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/**
 * Wraps one line to `width` columns at spaces (a word longer than the width is cut), continuing
 * with the line's own indentation.
 */
export function wrapLine(line: string, width: number): string[] {
  if (displayWidth(line) <= width) return [line];
  const indent = /^ */.exec(stripVTControlCharacters(line))?.[0] ?? '';
  const room = Math.max(1, width - indent.length);
  const words = line.slice(indent.length).split(' ');
  const lines: string[] = [];
  let current = '';
  const push = () => {
    lines.push(indent + current);
    current = '';
  };
  for (const word of words) {
    const candidate = current ? `${current} ${word}` : word;
    if (displayWidth(candidate) <= room) {
      current = candidate;
      continue;
    }
    if (current) push();
    let rest = word;
    while (displayWidth(rest) > room) {
      const [head, tail] = cut(rest, room);
      lines.push(indent + head);
      rest = tail;
    }
    current = rest;
  }
  if (current || lines.length === 0) push();
  return lines;
}

/** Splits text after `width` columns, keeping ANSI codes whole. */
function cut(text: string, width: number): [string, string] {
  let used = 0;
  let i = 0;
  while (i < text.length) {
    const code = ANSI_AT_START.exec(text.slice(i));
    if (code) {
      i += code[0].length;
      continue;
    }
    const char = String.fromCodePoint(text.codePointAt(i) ?? 0);
    const w = displayWidth(char + (text[i + char.length] === '\uFE0F' ? '\uFE0F' : ''));
    if (used + w > width && used > 0) break;
    used += w;
    i += char.length;
  }
  return [text.slice(0, i), text.slice(i)];
}

/** Wraps every line of a block of text. */
export function wrapLines(lines: readonly string[], width: number): string[] {
  return lines.flatMap((line) => wrapLine(line, width));
}
