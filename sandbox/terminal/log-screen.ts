import { renderItem, THREAD, type TranscriptStyle, titleOf } from './render-transcript.ts';
import type { TranscriptItem } from './transcript.ts';

/**
 * The channel as a plain log, for pipes, CI and tests: each new item once, in the order it came,
 * a thread reply marked with the message it answers, and an edit as the lines it changed. No
 * escape codes.
 */
export class LogScreen {
  private readonly printed = new Map<string, string[]>();

  constructor(
    private readonly out: (line: string) => void,
    private readonly style: TranscriptStyle,
    /** Name the channel of each new message (a log of several channels). @default false */
    private readonly labelChannels = false,
  ) {}

  show(items: readonly TranscriptItem[]): void {
    for (const item of items) {
      const key = `${item.kind} ${item.channel} ${item.id}`;
      const parent = item.threadTs
        ? items.find(
            (p) => p.kind === 'message' && p.channel === item.channel && p.id === item.threadTs,
          )
        : undefined;
      const style = parent
        ? { ...this.style, width: this.style.width - THREAD.length }
        : this.style;
      const lines = renderItem(item, style);
      const before = this.printed.get(key);
      if (before && before.join('\n') === lines.join('\n')) continue;
      this.printed.set(key, lines);
      const shown = before ? edited(item, lines, before, style) : [...lines];
      // A reply says which message it answers, on its header line (messages have one).
      if (parent && !before && (item.kind === 'message' || item.kind === 'ephemeral'))
        shown[0] = `${shown[0]} · in the thread of “${titleOf(parent, style)}”`;
      else if (this.labelChannels && !parent && !before && item.kind === 'message')
        shown[0] = `${shown[0]}  #${style.names.channels?.[item.channel] ?? item.channel}`;
      this.out('');
      for (const line of shown) this.out(parent ? `${THREAD}${line}` : line);
    }
  }

  /** Nothing more to draw: the log already holds every change. */
  finish(items: readonly TranscriptItem[]): void {
    this.show(items);
  }
}

/** An edit: the header, then the lines that are new since the item was last shown. */
function edited(
  item: TranscriptItem,
  lines: readonly string[],
  before: readonly string[],
  style: TranscriptStyle,
): string[] {
  const old = new Map<string, number>();
  for (const line of before.slice(1)) old.set(line, (old.get(line) ?? 0) + 1);
  const changed = lines.slice(1).filter((line) => {
    const left = old.get(line) ?? 0;
    if (left > 0) old.set(line, left - 1);
    return left === 0;
  });
  return [`✎ ${lines[0] ?? ''} “${titleOf(item, style)}”`, ...changed];
}
