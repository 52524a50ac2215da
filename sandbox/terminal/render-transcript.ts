import { renderBlocks, renderModal } from './blocks.ts';
import { renderMrkdwn, type TextStyle } from './mrkdwn.ts';
import { PLAIN_PAINT } from './paint.ts';
import { wrapLines } from './text-width.ts';
import type { TranscriptItem } from './transcript.ts';

export interface TranscriptStyle extends TextStyle {
  /** Columns available. */
  width: number;
  /** The bot's display name. @default Lifeboat */
  botName?: string;
  /** Wall-clock time as shown beside a message. @default local HH:MM:SS */
  clock?(ms: number): string;
  /**
   * At most this many lines from the last message with a thread to the end: its oldest replies
   * fold into one line, so a card that is edited in place stays on the screen.
   */
  liveTail?: number;
}

/** What a thread reply is indented by. */
export const THREAD = '  │ ';

function localClock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

/** One item as lines: a header (who, when) and its body, indented under it. */
export function renderItem(
  item: TranscriptItem,
  style: TranscriptStyle,
  options: { header?: boolean } = {},
): string[] {
  const { paint } = style;
  const clock = style.clock ?? localClock;
  const bot = style.botName ?? 'Lifeboat';
  const who = (id: string) => style.names.users[id] ?? id;
  const body = (content: { text?: string; blocks?: readonly unknown[] }, width: number) =>
    content.blocks?.length
      ? renderBlocks(content.blocks, { ...style, width })
      : wrapLines(renderMrkdwn(content.text ?? '', style).split('\n'), width);
  const indent = (lines: string[]) => lines.map((line) => `  ${line}`);
  switch (item.kind) {
    case 'message': {
      const notes = [
        item.edits > 0 ? '(edited)' : '',
        item.broadcast ? '· also sent to the channel' : '',
      ].filter(Boolean);
      const header = `${paint.bold(bot)} ${paint.dim('APP')}  ${paint.dim([clock(item.at), ...notes].join(' '))}`;
      const lines = indent(body(item, style.width - 2));
      return options.header === false ? lines : [header, ...lines];
    }
    case 'ephemeral': {
      const header = `${paint.bold(bot)} ${paint.dim('APP')}  ${paint.dim(`${clock(item.at)} · only visible to ${who(item.user)}`)}`;
      return [header, ...indent(body(item, style.width - 2))];
    }
    case 'action': {
      const [first = '', ...more] = item.text.split('\n');
      const name = item.user ? `${paint.bold(who(item.user))} ` : '';
      return wrapLines(
        [`${paint.dim('›')} ${name}${first}`, ...more.map((line) => `  ${line}`)],
        style.width,
      );
    }
    case 'modal': {
      const inner = renderModal(item.view, { ...style, width: style.width - 4 });
      return [
        `${paint.dim('›')} ${paint.bold(who(item.user))} ${paint.dim('sees a modal (only they do):')}`,
        ...inner.map((line) => `  ${paint.dim('┃')} ${line}`),
      ];
    }
  }
}

interface Section {
  head: string[];
  replies: string[][];
}

/**
 * The transcript as a person reads the channel: top-level items in order, each message's thread
 * indented beneath it, consecutive replies of the bot without a repeated header.
 */
export function renderTranscript(
  items: readonly TranscriptItem[],
  style: TranscriptStyle,
): string[] {
  const key = (channel: string, ts: string) => `${channel} ${ts}`;
  const parents = new Set(
    items.filter((i) => i.kind === 'message' && !i.threadTs).map((i) => key(i.channel, i.id)),
  );
  const inThread = (i: TranscriptItem) =>
    i.threadTs !== undefined && parents.has(key(i.channel, i.threadTs));
  const channels = new Set(items.map((i) => i.channel));
  const replyStyle = { ...style, width: style.width - THREAD.length };

  const sections: Section[] = [];
  for (const item of items) {
    if (inThread(item)) continue;
    const head = renderItem(item, style);
    if (channels.size > 1 && item.kind === 'message')
      head[0] = `${head[0]}  ${style.paint.dim(`#${style.names.channels?.[item.channel] ?? item.channel}`)}`;
    const thread = items.filter(
      (i) =>
        inThread(i) &&
        item.kind === 'message' &&
        i.channel === item.channel &&
        i.threadTs === item.id,
    );
    const replies = thread.map((reply, n) => {
      const previous = thread[n - 1];
      const grouped = reply.kind === 'message' && previous?.kind === 'message';
      return renderItem(reply, replyStyle, { header: !grouped });
    });
    sections.push({ head, replies });
  }
  if (style.liveTail !== undefined) foldThread(sections, style);

  const lines: string[] = [];
  for (const [n, section] of sections.entries()) {
    if (n > 0) lines.push('');
    lines.push(...section.head);
    for (const reply of section.replies)
      lines.push(...reply.map((line) => `${style.paint.dim(THREAD.trimEnd())} ${line}`));
  }
  return lines;
}

/** Folds the oldest replies of the last thread until the tail fits in `liveTail` lines. */
function foldThread(sections: Section[], style: TranscriptStyle): void {
  const at = sections.findLastIndex((s) => s.replies.length > 0);
  const section = sections[at];
  if (!section || style.liveTail === undefined) return;
  const after = sections.slice(at + 1).reduce((n, s) => n + 1 + s.head.length, 0);
  const size = (replies: string[][]) => replies.reduce((n, r) => n + r.length, 0);
  // One line goes to the note that says how many replies are folded.
  const budget = style.liveTail - section.head.length - after - 1;
  let folded = 0;
  while (section.replies.length > 1 && size(section.replies) > budget) {
    section.replies.shift();
    folded += 1;
  }
  if (folded > 0)
    section.replies.unshift([
      style.paint.dim(
        `┆ ${folded} earlier ${folded === 1 ? 'reply' : 'replies'} (all shown at the end)`,
      ),
    ]);
}

/** A message's title, for "in the thread of …": its header block, or its first line. */
export function titleOf(item: TranscriptItem, style: TextStyle): string {
  if (item.kind !== 'message' && item.kind !== 'ephemeral') return '';
  const header = (item.blocks as { type?: string; text?: { text?: string } }[] | undefined)?.find(
    (b) => b.type === 'header',
  );
  const first = header?.text?.text ?? item.text?.split('\n')[0] ?? '';
  const plain = renderMrkdwn(first, { ...style, paint: PLAIN_PAINT });
  return plain.length > 60 ? `${plain.slice(0, 59)}…` : plain;
}
