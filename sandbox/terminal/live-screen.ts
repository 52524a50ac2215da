import { renderTranscript, type TranscriptStyle } from './render-transcript.ts';
import type { TranscriptItem } from './transcript.ts';

/** A terminal the live screen draws on. */
export interface TerminalOutput {
  write(text: string): void;
  columns(): number;
  rows(): number;
}

const ESC = '\x1b[';

/**
 * The channel on a TTY, redrawn in place: each change moves the cursor up to the first line that
 * differs and rewrites from there, so the status card changes where it stands and its thread
 * grows beneath it. While the run goes on, the oldest replies of the last thread fold into one
 * line, so the card never scrolls out of reach; `finish` draws everything.
 */
export class LiveScreen {
  private shown: string[] = [];

  constructor(
    private readonly out: TerminalOutput,
    private readonly style: Omit<TranscriptStyle, 'width' | 'liveTail'>,
  ) {}

  show(items: readonly TranscriptItem[]): void {
    this.draw(
      renderTranscript(items, {
        ...this.style,
        width: this.width(),
        liveTail: Math.max(10, this.out.rows() - 2),
      }),
    );
  }

  /** The last drawing: every reply of every thread. */
  finish(items: readonly TranscriptItem[]): void {
    this.draw(renderTranscript(items, { ...this.style, width: this.width() }));
  }

  /** Lines the screen holds below which the cursor stands (the start of the next line). */
  get height(): number {
    return this.shown.length;
  }

  private width(): number {
    // One column spare: a line that fills the row would wrap on some terminals.
    return Math.max(40, this.out.columns() - 1);
  }

  private draw(lines: string[]): void {
    let same = 0;
    while (same < this.shown.length && same < lines.length && this.shown[same] === lines[same])
      same += 1;
    if (same === this.shown.length && same === lines.length) return;
    // Lines scrolled above the screen cannot be reached; rewrite from the highest one that can.
    const reach = Math.max(0, this.out.rows() - 1);
    const from = Math.max(same, this.shown.length - reach);
    const up = this.shown.length - from;
    const rest = lines.slice(from);
    this.out.write(`${up > 0 ? `${ESC}${up}F` : '\r'}${ESC}J${rest.map((l) => `${l}\n`).join('')}`);
    this.shown = lines;
  }
}
