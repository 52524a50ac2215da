import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Plan } from '../orchestrator/domain/plan.ts';
import { FaultSyntaxError } from '../sandbox/aws/faults.ts';
import {
  SANDBOX_GROUPS,
  SANDBOX_USERS,
  SlackSandbox,
  type SlackSandboxOptions,
} from '../sandbox/slack-sandbox.ts';
import { frameButton } from '../sandbox/terminal/blocks.ts';
import { LiveScreen } from '../sandbox/terminal/live-screen.ts';
import { LogScreen } from '../sandbox/terminal/log-screen.ts';
import type { SlackNames } from '../sandbox/terminal/mrkdwn.ts';
import { ANSI_PAINT, type Paint, PLAIN_PAINT } from '../sandbox/terminal/paint.ts';
import { SlackWatcher } from '../sandbox/terminal/slack-watcher.ts';
import { Transcript } from '../sandbox/terminal/transcript.ts';
import { UsageError } from './errors.ts';
import { DEFAULTS_FILE } from './io.ts';
import type { Terminal } from './terminal.ts';

/** A button in a message the bot posted, where it is. */
export interface FoundButton {
  channel: string;
  ts: string;
  threadTs?: string;
  actionId: string;
  value: string;
  label: string;
  style?: string;
  confirm?: string;
}

interface ButtonElement {
  type?: string;
  action_id?: string;
  value?: string;
  style?: string;
  text?: { text?: string };
  confirm?: { title?: { text?: string } };
}

export interface SessionOptions {
  plansDir: string;
  plans: readonly Plan[];
  terminal: Terminal;
  /** Virtual seconds per real second; 0 runs stepped (waits cost nothing). */
  speed: number;
  faults: readonly string[];
  reportDir: string;
  /** Least time between two messages the notifier posts in a channel. */
  postEveryMs?: number;
  /** Redraws wrap around this (the interactive prompt hides and comes back). */
  aroundDraw?: { before(): void; after(): void };
  /** Start the local DNS server on this port (0: any free one), to watch flips with `dig`. */
  dnsPort?: number;
  /** The operations channel (settings' `regionWide.channel`): region-wide incidents' cards go there. */
  operationsChannel?: string;
  /** Slack's clock (its rate limits, the notifier's pacing). @default real time */
  slackSpeed?: SlackSandboxOptions['slackSpeed'];
  /** @default config/defaults.yaml */
  settingsFile?: string;
}

const POLL_MS = 100;

/** The sandbox for a CLI command, from this checkout; a malformed `--fault` is a usage error. */
export async function startSandbox(
  options: Omit<SlackSandboxOptions, 'settingsFile'> & { settingsFile?: string },
): Promise<SlackSandbox> {
  try {
    return await SlackSandbox.start({ settingsFile: DEFAULTS_FILE, ...options });
  } catch (error) {
    if (error instanceof FaultSyntaxError) throw new UsageError(error.message);
    throw error;
  }
}

/** A user id by handle (`bob`), or the id itself. */
export function userIdOf(name: string): string | undefined {
  const handle = name.replace(/^@/, '').toLowerCase();
  return (
    Object.entries(SANDBOX_USERS).find(([, u]) => u.name === handle)?.[0] ??
    (Object.hasOwn(SANDBOX_USERS, name) ? name : undefined)
  );
}

/**
 * The sandbox as people use it from a terminal: they type `/dr` commands, press the buttons
 * the bot posted and fill in its modal; the channels are drawn as they change.
 */
export class SandboxSession {
  readonly transcript = new Transcript();
  readonly paint: Paint;
  readonly names: SlackNames;
  private readonly lastChannel = new Map<string, string>();
  private readonly channels: string[];
  private readonly watcher: SlackWatcher;
  private readonly screen: LiveScreen | LogScreen;
  private timer: NodeJS.Timeout | undefined;
  private drawn = -1;

  private constructor(
    readonly sandbox: SlackSandbox,
    private readonly options: SessionOptions,
  ) {
    const { terminal } = options;
    this.paint = terminal.isTTY ? ANSI_PAINT : PLAIN_PAINT;
    this.names = {
      users: Object.fromEntries(Object.entries(SANDBOX_USERS).map(([id, u]) => [id, u.name])),
      groups: SANDBOX_GROUPS,
    };
    this.channels = [
      ...new Set([
        ...options.plans.flatMap((p) => p.slack.channels),
        ...(options.operationsChannel ? [options.operationsChannel] : []),
      ]),
    ];
    this.watcher = new SlackWatcher(sandbox.slack, this.transcript, {
      channels: () => this.channels,
      channelOf: (user) => this.lastChannel.get(user),
    });
    const style = { paint: this.paint, names: this.names };
    this.screen = terminal.isTTY
      ? new LiveScreen(
          { write: (t) => terminal.write(t), columns: terminal.columns, rows: terminal.rows },
          style,
        )
      : new LogScreen(
          (line) => terminal.write(`${line}\n`),
          { ...style, width: Math.max(60, terminal.columns()) },
          // An incident's log spans the operations channel and each customer's.
          options.operationsChannel !== undefined,
        );
  }

  /** Simulated seconds per real second; 0 when stepped. */
  get speed(): number {
    return this.options.speed;
  }

  static async open(options: SessionOptions): Promise<SandboxSession> {
    await mkdir(options.reportDir, { recursive: true });
    const sandbox = await startSandbox({
      plansDir: options.plansDir,
      speed: options.speed,
      faults: [...options.faults],
      reportDir: options.reportDir,
      ...(options.postEveryMs !== undefined ? { postEveryMs: options.postEveryMs } : {}),
      ...(options.dnsPort !== undefined ? { dnsPort: options.dnsPort } : {}),
      ...(options.slackSpeed !== undefined ? { slackSpeed: options.slackSpeed } : {}),
      ...(options.settingsFile !== undefined ? { settingsFile: options.settingsFile } : {}),
    });
    const session = new SandboxSession(sandbox, options);
    session.timer = setInterval(() => session.refresh(), POLL_MS);
    return session;
  }

  /** Draws what changed in Slack since the last look. */
  refresh(): void {
    this.watcher.poll();
    if (this.transcript.version === this.drawn) return;
    this.drawn = this.transcript.version;
    this.options.aroundDraw?.before();
    this.screen.show(this.transcript.items);
    this.options.aroundDraw?.after();
  }

  /** Types `/dr <text>` as the user; returns the run it started, if it did. */
  async type(userId: string, channel: string, text: string): Promise<string | undefined> {
    this.lastChannel.set(userId, channel);
    this.transcript.action(userId, `typed ${this.paint.code(`/dr ${text}`.trim())}`, { channel });
    this.refresh();
    const answer = await this.sandbox.command(userId, channel, text);
    if (answer.statusCode !== 200)
      this.transcript.ephemeral(
        userId,
        { text: `Slack got HTTP ${answer.statusCode} from Lifeboat.` },
        { channel },
      );
    else if (answer.body.text || answer.body.blocks?.length)
      this.transcript.ephemeral(userId, answer.body, { channel });
    this.refresh();
    return /run `([^`]+)`/.exec(answer.body.text ?? '')?.[1];
  }

  /** The newest button the test accepts, in the channels shown. */
  findButton(accept: (button: FoundButton) => boolean): FoundButton | undefined {
    return this.buttons(accept)[0];
  }

  /** The buttons the test accepts, in the channels shown, the newest message's first. */
  buttons(accept: (button: FoundButton) => boolean): FoundButton[] {
    const all: FoundButton[] = [];
    for (const channel of this.channels) {
      const messages = this.sandbox.slack.messages(channel);
      for (const message of [...messages].reverse()) {
        for (const block of (message.blocks ?? []) as { elements?: ButtonElement[] }[]) {
          for (const element of block.elements ?? []) {
            if (element.type !== 'button' || !element.action_id) continue;
            const found: FoundButton = {
              channel,
              ts: message.ts,
              ...(message.threadTs ? { threadTs: message.threadTs } : {}),
              actionId: element.action_id,
              value: element.value ?? '',
              label: element.text?.text ?? element.action_id,
              ...(element.style ? { style: element.style } : {}),
              ...(element.confirm?.title?.text ? { confirm: element.confirm.title.text } : {}),
            };
            if (accept(found)) all.push(found);
          }
        }
      }
    }
    return all.sort((a, b) => Number(b.ts) - Number(a.ts));
  }

  /** Waits for a button to appear (the bot posts after a pre-flight, a wave, a gate). */
  async waitForButton(
    accept: (button: FoundButton) => boolean,
    timeoutMs: number,
  ): Promise<FoundButton | undefined> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.findButton(accept);
      if (found || Date.now() >= until) return found;
      await sleep(POLL_MS);
    }
  }

  /**
   * Clicks the button as the user (confirming its dialog, if it has one); returns the id of the
   * modal the click opened, if it did.
   */
  async press(userId: string, button: FoundButton): Promise<string | undefined> {
    const where = {
      channel: button.channel,
      ...(button.threadTs ? { threadTs: button.threadTs } : {}),
    };
    // The message with the button is drawn before the click on it.
    this.refresh();
    const framed = this.paint.button(frameButton(button.label), button.style);
    const confirmed = button.confirm ? ` and confirmed “${button.confirm}”` : '';
    this.transcript.action(userId, `clicked ${framed}${confirmed}`, where);
    this.refresh();
    const views = new Set(this.sandbox.slack.views.keys());
    const answer = await this.sandbox.click(
      userId,
      { channel: button.channel, ts: button.ts },
      button.actionId,
      button.value,
    );
    if (answer.statusCode !== 200)
      this.transcript.ephemeral(userId, { text: `Slack got HTTP ${answer.statusCode}.` }, where);
    const opened = [...this.sandbox.slack.views.keys()].find((id) => !views.has(id));
    const view = opened ? this.sandbox.slack.views.get(opened) : undefined;
    if (view) this.transcript.modal(userId, view.view, where);
    this.refresh();
    return opened;
  }

  /** Fills in and submits a modal; returns the errors Lifeboat answered, if any. */
  async submit(
    userId: string,
    viewId: string,
    values: Record<string, string>,
    where: { channel: string; threadTs?: string },
  ): Promise<Record<string, string> | undefined> {
    const view = this.sandbox.slack.views.get(viewId)?.view;
    const title = (view?.title as { text?: string } | undefined)?.text ?? 'the modal';
    const shown = Object.entries(values)
      .map(([field, value]) => `${field} ${this.paint.code(JSON.stringify(value))}`)
      .join(', ');
    this.transcript.action(userId, `submitted “${title}”: ${shown}`, where);
    this.refresh();
    const answer = await this.sandbox.submitView(userId, viewId, values);
    const errors = answer.body.response_action === 'errors' ? answer.body.errors : undefined;
    if (errors)
      this.transcript.ephemeral(
        userId,
        { text: `The modal stays open: ${Object.values(errors).join(' ')}` },
        where,
      );
    this.refresh();
    return errors;
  }

  /** A line from the sandbox itself (not Slack), in the channel. */
  note(channel: string, text: string): void {
    this.transcript.action('', this.paint.dim(text), { channel });
    this.refresh();
  }

  /** Stops polling, draws everything one last time, and stops the sandbox. */
  /**
   * Plays a scenario to its end, closes the session either way, and writes its closing lines:
   * 0 when it succeeded and the bot failed nothing in the background, else 1.
   */
  async playToEnd<T>(
    play: () => Promise<T>,
    closing: (result: T) => { lines: string[]; ok: boolean },
    err: (line: string) => void,
  ): Promise<number> {
    let result: T;
    try {
      result = await play();
    } finally {
      await this.close();
    }
    const { lines, ok } = closing(result);
    this.options.terminal.write(`\n${lines.join('\n')}\n`);
    for (const error of this.sandbox.errors)
      err(`The bot failed in the background: ${error.message}`);
    return ok && this.sandbox.errors.length === 0 ? 0 : 1;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watcher.poll();
    this.options.aroundDraw?.before();
    this.screen.finish(this.transcript.items);
    this.options.aroundDraw?.after();
    await this.sandbox.stop();
  }
}
