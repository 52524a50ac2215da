/**
 * What a channel shows, in the order things happened: the bot's messages (edited in place),
 * what people did (typed a command, clicked a button, submitted a modal), and the answers only
 * one person sees. Items with a `threadTs` belong to the thread of that message.
 */
export type TranscriptItem =
  | {
      kind: 'message';
      /** The message's ts. */
      id: string;
      channel: string;
      threadTs?: string;
      author: string;
      at: number;
      text?: string;
      blocks?: readonly unknown[];
      edits: number;
      /** A thread reply also sent to the channel. */
      broadcast: boolean;
    }
  | {
      kind: 'action';
      id: string;
      channel: string;
      threadTs?: string;
      at: number;
      user: string;
      /** Terminal text: `clicked [ Approve ]`. */
      text: string;
    }
  | {
      kind: 'ephemeral';
      id: string;
      channel: string;
      threadTs?: string;
      at: number;
      /** The only person who sees it. */
      user: string;
      text?: string;
      blocks?: readonly unknown[];
    }
  | {
      kind: 'modal';
      id: string;
      channel: string;
      threadTs?: string;
      at: number;
      user: string;
      view: Record<string, unknown>;
    };

/** The items of one or more channels, and a version that moves on every change. */
export class Transcript {
  readonly items: TranscriptItem[] = [];
  private changes = 0;
  private sequence = 0;

  get version(): number {
    return this.changes;
  }

  add(item: TranscriptItem): void {
    this.items.push(item);
    this.changes += 1;
  }

  /** Something a person did, where they did it. */
  action(user: string, text: string, where: { channel: string; threadTs?: string }): void {
    this.add({ kind: 'action', id: this.nextId('action'), at: Date.now(), user, text, ...where });
  }

  /** An answer only `user` sees. */
  ephemeral(
    user: string,
    content: { text?: string; blocks?: readonly unknown[] },
    where: { channel: string; threadTs?: string },
  ): void {
    this.add({
      kind: 'ephemeral',
      id: this.nextId('ephemeral'),
      at: Date.now(),
      user,
      ...(content.text ? { text: content.text } : {}),
      ...(content.blocks?.length ? { blocks: content.blocks } : {}),
      ...where,
    });
  }

  modal(
    user: string,
    view: Record<string, unknown>,
    where: { channel: string; threadTs?: string },
  ): void {
    this.add({ kind: 'modal', id: this.nextId('modal'), at: Date.now(), user, view, ...where });
  }

  message(channel: string, ts: string): Extract<TranscriptItem, { kind: 'message' }> | undefined {
    return this.items.find(
      (i): i is Extract<TranscriptItem, { kind: 'message' }> =>
        i.kind === 'message' && i.channel === channel && i.id === ts,
    );
  }

  /** Marks a message edited with its new content. */
  edit(
    channel: string,
    ts: string,
    content: { text?: string; blocks?: readonly unknown[]; edits: number },
  ): void {
    const item = this.message(channel, ts);
    if (!item) return;
    item.text = content.text;
    item.blocks = content.blocks;
    item.edits = content.edits;
    this.changes += 1;
  }

  private nextId(kind: string): string {
    this.sequence += 1;
    return `${kind}-${this.sequence}`;
  }
}
