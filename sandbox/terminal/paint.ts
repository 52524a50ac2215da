/**
 * How text is styled on the way to the terminal: ANSI SGR codes on a TTY, nothing at all in a
 * pipe or a log (tests and CI read the plain text).
 */
export interface Paint {
  bold(text: string): string;
  italic(text: string): string;
  strike(text: string): string;
  code(text: string): string;
  dim(text: string): string;
  /** A mention (`@bob`, `#channel`) or a link label. */
  mention(text: string): string;
  /** A button's label, already framed (`[ Approve ]`), by its Block Kit style. */
  button(framed: string, style?: string): string;
}

const same = (text: string) => text;

export const PLAIN_PAINT: Paint = {
  bold: same,
  italic: same,
  strike: same,
  code: same,
  dim: same,
  mention: same,
  button: same,
};

const sgr = (on: string, off: string) => (text: string) => `\x1b[${on}m${text}\x1b[${off}m`;

export const ANSI_PAINT: Paint = {
  bold: sgr('1', '22'),
  italic: sgr('3', '23'),
  strike: sgr('9', '29'),
  code: sgr('36', '39'),
  dim: sgr('2', '22'),
  mention: sgr('34', '39'),
  button: (framed, style) =>
    style === 'primary'
      ? sgr('1;32', '22;39')(framed)
      : style === 'danger'
        ? sgr('1;31', '22;39')(framed)
        : sgr('1', '22')(framed),
};
