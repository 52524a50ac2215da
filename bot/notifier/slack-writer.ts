import {
  type WebAPIPlatformError,
  WebAPIRateLimitedError,
  type WebClient,
  WebClientEvent,
} from '@slack/web-api';
import type { SlackMessage } from '../blocks/request-card.ts';
import { fallbacks, isRefusal } from './fallbacks.ts';
import type { BudgetedWrite, SlackBudget } from './shared-slack-budget.ts';
import type { BudgetedMethod, WritePriority } from './slack-budget.ts';

/** One write to Slack as it went, for a benchmark or a log. */
export interface SlackWriteEvent {
  /** Whose write: a run's id, or a card's own name (`incident:<id>`). */
  source: string;
  channel: string;
  method: BudgetedMethod;
  priority: WritePriority;
  /** Slack took it (`sent`) or refused it for what it is (`refused`, a shorter one follows). */
  outcome: 'sent' | 'refused';
  /** Wall time (ms). */
  at: number;
}

export interface WriteCount {
  posts: number;
  updates: number;
  /** 429s Slack answered (a refused write, then sent again). */
  rateLimited: number;
}

/** What this writer sent since it was built: per source and per channel, and every 429. */
export interface SlackWriteCounts {
  bySource: Record<string, WriteCount>;
  byChannel: Record<string, WriteCount>;
  rateLimited: number;
}

export interface SlackWriterDeps {
  client: WebClient;
  budget: SlackBudget;
  /** Real time (ms): Slack's limits hold in it. */
  wallNow(): number;
  sleep(ms: number): Promise<void>;
  /** Where a message Slack refused is reported. @default console */
  log?: { warn(message: string, ...details: Record<string, unknown>[]): void };
  onWrite?(event: SlackWriteEvent): void;
}

/** How a write goes: its priority in the budget, and whose it is (for the counts). */
export interface WriteOptions {
  priority: WritePriority;
  source: string;
}

/**
 * Every Slack write of the notifiers, through the shared budget: a write takes a token of its
 * method's bucket (the workspace's for chat.update, the channel's for chat.postMessage) at its
 * priority, or waits for one; a card's update may instead be skipped (`tryUpdate`) so that the
 * next one carries the latest state. A 429 that happens all the same holds every writer off for
 * its Retry-After (through the budget) and the write goes again. A message Slack refuses for
 * what it is is reported once and replaced by shorter forms of it (`fallbacks`), its buttons kept.
 *
 * Build one per WebClient: it counts the client's 429s.
 */
export class SlackWriter {
  private readonly bySource = new Map<string, WriteCount>();
  private readonly byChannel = new Map<string, WriteCount>();
  private rateLimitedCount = 0;

  constructor(private readonly deps: SlackWriterDeps) {
    // The client reports every 429, those it waits out itself (rejectRateLimitedCalls off) too.
    deps.client.on(WebClientEvent.RATE_LIMITED, (_seconds: number, request: { body?: unknown }) => {
      const channel = (request.body as { channel?: unknown } | undefined)?.channel;
      this.rateLimitedCount += 1;
      if (typeof channel === 'string') countOf(this.byChannel, channel).rateLimited += 1;
    });
  }

  /** Posts a message (waiting for a token); its ts, or undefined when Slack refused every form. */
  async post(
    channel: string,
    message: SlackMessage,
    options: WriteOptions & { threadTs?: string; broadcast?: boolean },
  ): Promise<string | undefined> {
    const { threadTs, broadcast } = options;
    const sent = await this.send(
      { method: 'chat.postMessage', channel, priority: options.priority },
      options.source,
      message,
      true,
      (shown) => {
        const args = {
          channel,
          text: shown.text,
          ...(shown.blocks.length ? { blocks: shown.blocks } : {}),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          ...(broadcast ? { reply_broadcast: true } : {}),
          unfurl_links: false,
          unfurl_media: false,
        };
        return this.deps.client.chat.postMessage(
          args as Parameters<WebClient['chat']['postMessage']>[0],
        );
      },
    );
    return sent.sent && sent.result?.ts ? String(sent.result.ts) : undefined;
  }

  /** Updates a message, waiting for a token. */
  async update(
    channel: string,
    ts: string,
    message: SlackMessage,
    options: WriteOptions,
  ): Promise<void> {
    await this.updateOrWait(channel, ts, message, options, true);
  }

  /**
   * Updates a card if its priority has a token now; else leaves it (`sent: false`) with how long
   * until one: the caller keeps the card due, and its next update carries the latest state.
   */
  tryUpdate(
    channel: string,
    ts: string,
    message: SlackMessage,
    options: WriteOptions,
  ): Promise<{ sent: true } | { sent: false; waitMs: number }> {
    return this.updateOrWait(channel, ts, message, options, false);
  }

  /** The writes and 429s so far (a copy). */
  counts(): SlackWriteCounts {
    return {
      bySource: Object.fromEntries([...this.bySource].map(([k, v]) => [k, { ...v }])),
      byChannel: Object.fromEntries([...this.byChannel].map(([k, v]) => [k, { ...v }])),
      rateLimited: this.rateLimitedCount,
    };
  }

  private async updateOrWait(
    channel: string,
    ts: string,
    message: SlackMessage,
    options: WriteOptions,
    wait: boolean,
  ): Promise<{ sent: true } | { sent: false; waitMs: number }> {
    const sent = await this.send(
      { method: 'chat.update', channel, priority: options.priority },
      options.source,
      message,
      wait,
      (shown) =>
        this.deps.client.chat.update({ channel, ts, text: shown.text, blocks: shown.blocks }),
    );
    return sent.sent ? { sent: true } : sent;
  }

  /**
   * Sends the message, then its shorter forms while Slack refuses them; each try takes a token.
   * Without `wait`, gives up before the first try when there is no token. `result` is undefined
   * when Slack refused every form.
   */
  private async send<T>(
    write: BudgetedWrite,
    source: string,
    message: SlackMessage,
    wait: boolean,
    call: (shown: SlackMessage) => Promise<T>,
  ): Promise<{ sent: true; result: T | undefined } | { sent: false; waitMs: number }> {
    const forms: SlackMessage[] = [message];
    let refused: WebAPIPlatformError | undefined;
    const log = this.deps.log ?? console;
    for (let index = 0; index < forms.length; index += 1) {
      const shown = forms[index] as SlackMessage;
      for (;;) {
        const decision = await this.deps.budget.take(write, this.deps.wallNow());
        if (!decision.go) {
          if (!wait && index === 0) return { sent: false, waitMs: decision.waitMs };
          await this.deps.sleep(decision.waitMs);
          continue;
        }
        try {
          const result = await call(shown);
          this.record(write, source, 'sent');
          return { sent: true, result };
        } catch (error) {
          if (error instanceof WebAPIRateLimitedError) {
            const retryAfterMs = error.retryAfter * 1000;
            await this.deps.budget.rateLimited(write, retryAfterMs, this.deps.wallNow());
            await this.deps.sleep(retryAfterMs);
            continue;
          }
          if (!isRefusal(error)) throw error;
          this.record(write, source, 'refused');
          if (!refused) {
            refused = error;
            log.warn('Slack refused a message; a shorter one is sent instead', {
              source,
              method: write.method,
              error: error.data.error,
              detail: error.data.response_metadata?.messages?.slice(0, 5) ?? [],
              text: message.text.slice(0, 200),
            });
            forms.push(...fallbacks(message));
          }
          break;
        }
      }
    }
    log.warn('Slack refused the shorter messages too; the run goes on without this one', {
      source,
      method: write.method,
      error: refused?.data.error,
    });
    return { sent: true, result: undefined };
  }

  private record(write: BudgetedWrite, source: string, outcome: SlackWriteEvent['outcome']) {
    // A refused write counts against Slack's rate as much as one it took.
    for (const count of [countOf(this.bySource, source), countOf(this.byChannel, write.channel)]) {
      if (write.method === 'chat.postMessage') count.posts += 1;
      else count.updates += 1;
    }
    this.deps.onWrite?.({
      source,
      channel: write.channel,
      method: write.method,
      priority: write.priority,
      outcome,
      at: this.deps.wallNow(),
    });
  }
}

function countOf(counts: Map<string, WriteCount>, key: string): WriteCount {
  let count = counts.get(key);
  if (!count) {
    count = { posts: 0, updates: 0, rateLimited: 0 };
    counts.set(key, count);
  }
  return count;
}
