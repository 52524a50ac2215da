import type { FakeSlack, FakeSlackMessage, FakeSlackResponse } from '../slack/fake-slack.ts';
import type { Transcript } from './transcript.ts';

export interface SlackWatchOptions {
  /** The channels shown. */
  channels(): readonly string[];
  /** Where a person last typed a command: a later answer to it (its response_url) shows there. */
  channelOf(userId: string): string | undefined;
}

interface ResponseBody {
  response_type?: string;
  text?: string;
  blocks?: unknown[];
}

/**
 * Reads what the fake Slack holds into a transcript: new messages, edits, ephemeral messages and
 * the answers posted to response_urls (the private replies to clicks and commands). Polled: the
 * fake Slack is a recorder, and a poll costs a few array reads.
 */
export class SlackWatcher {
  private readonly edits = new Map<string, number>();
  private responses = 0;
  private ephemerals = 0;

  constructor(
    private readonly slack: FakeSlack,
    private readonly transcript: Transcript,
    private readonly options: SlackWatchOptions,
  ) {}

  /** Brings the transcript up to date; true when anything changed. */
  poll(): boolean {
    const before = this.transcript.version;
    // New messages and edits in the order Slack saw them, across channels.
    const changed = this.options
      .channels()
      .flatMap((channel) =>
        this.slack
          .messages(channel)
          .filter((m) => this.edits.get(`${channel} ${m.ts}`) !== m.edits)
          .map((message) => ({
            channel,
            message,
            at: this.edits.has(`${channel} ${message.ts}`)
              ? (message.updatedAt ?? message.postedAt)
              : message.postedAt,
          })),
      )
      .sort((a, b) => a.at - b.at);
    for (const { channel, message } of changed) this.showMessage(channel, message);
    for (const e of this.slack.ephemerals.slice(this.ephemerals))
      this.transcript.ephemeral(
        e.user,
        { ...(e.text ? { text: e.text } : {}), ...(e.blocks ? { blocks: e.blocks } : {}) },
        { channel: e.channel, ...(e.threadTs ? { threadTs: e.threadTs } : {}) },
      );
    this.ephemerals = this.slack.ephemerals.length;
    for (const response of this.slack.responses.slice(this.responses)) this.showResponse(response);
    this.responses = this.slack.responses.length;
    return this.transcript.version !== before;
  }

  private showMessage(channel: string, message: FakeSlackMessage): void {
    const key = `${channel} ${message.ts}`;
    const seen = this.edits.get(key);
    if (seen === message.edits) return;
    this.edits.set(key, message.edits);
    const content = {
      ...(message.text ? { text: message.text } : {}),
      ...(message.blocks ? { blocks: message.blocks } : {}),
    };
    if (seen !== undefined) {
      this.transcript.edit(channel, message.ts, { ...content, edits: message.edits });
      return;
    }
    this.transcript.add({
      kind: 'message',
      id: message.ts,
      channel,
      ...(message.threadTs ? { threadTs: message.threadTs } : {}),
      author: message.user,
      at: message.postedAt,
      ...content,
      edits: message.edits,
      broadcast: message.broadcast === true,
    });
  }

  /** Response ids name who and what: `click-<user>-<ts>-<action>`, `cmd-<user>-<time>`. */
  private showResponse(response: FakeSlackResponse): void {
    const body = (
      typeof response.body === 'object' && response.body !== null
        ? response.body
        : { text: String(response.body) }
    ) as ResponseBody;
    const click = /^click-([^-]+)-([\d.]+)-/.exec(response.id);
    const user = click?.[1] ?? /^cmd-([^-]+)-/.exec(response.id)?.[1] ?? 'someone';
    const clicked = click ? this.find(click[2] ?? '') : undefined;
    const channel =
      clicked?.channel ?? this.options.channelOf(user) ?? this.options.channels()[0] ?? '';
    const where = { channel, ...(clicked?.threadTs ? { threadTs: clicked.threadTs } : {}) };
    const content = {
      ...(body.text ? { text: body.text } : {}),
      ...(body.blocks ? { blocks: body.blocks } : {}),
    };
    if (body.response_type === 'in_channel') {
      this.transcript.add({
        kind: 'message',
        id: response.id,
        ...where,
        author: 'response',
        at: response.time,
        ...content,
        edits: 0,
        broadcast: false,
      });
      return;
    }
    this.transcript.ephemeral(user, content, where);
  }

  private find(ts: string): FakeSlackMessage | undefined {
    for (const channel of this.options.channels()) {
      const found = this.slack.messages(channel).find((m) => m.ts === ts);
      if (found) return found;
    }
    return undefined;
  }
}
