import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BlockKitRefusal, checkMessage, checkModal } from './block-kit.ts';

/**
 * A fake Slack Web API on loopback for the real `WebClient` (`slackApiUrl: fake.apiUrl`).
 * It records every call, keeps messages per channel, serves `response_url`s, and enforces
 * Slack's limits: about one chat.postMessage per second per channel (a short burst tolerated)
 * and Tier 3 for chat.update (about 50 a minute per workspace), answering 429 with Retry-After.
 * What it is sent must pass Block Kit as Slack enforces it (`./block-kit.ts`): a message or a
 * `response_url` post is refused `invalid_blocks` or `msg_too_long`, a modal `invalid_arguments`,
 * each with Slack's `response_metadata.messages`.
 */

export interface FakeSlackUser {
  /** The handle, e.g. `alice`. */
  name: string;
  /** User group ids (`S...`) the user belongs to. @default [] */
  groups?: string[];
  /** @default the name */
  realName?: string;
  /** The name people see (`profile.display_name`). @default '' (unset, as Slack answers then) */
  displayName?: string;
  /** @default false */
  isBot?: boolean;
  /** @default false */
  deleted?: boolean;
}

export interface FakeSlackChannel {
  name: string;
  /** @default false */
  isPrivate?: boolean;
}

export interface FakeSlackLimits {
  /** Sustained chat.postMessage rate per channel. @default 1 */
  postMessagePerSecond?: number;
  /** chat.postMessage calls a channel takes at once before the rate applies. @default 3 */
  postMessageBurst?: number;
  /** chat.update calls per minute per workspace (Tier 3), also the burst. @default 50 */
  updatePerMinute?: number;
}

export interface FakeSlackOptions {
  /** Users by id (`U...`). @default {} */
  users?: Record<string, FakeSlackUser>;
  /** Channels by id. @default every channel id exists (created on first use) */
  channels?: Record<string, FakeSlackChannel>;
  /** Bearer tokens accepted. @default any non-empty token */
  tokens?: string[];
  /** @default 'T0LIFEBOAT' */
  teamId?: string;
  /** The bot's own user id. @default 'U0LIFEBOAT' */
  botUserId?: string;
  /** @default 'B0LIFEBOAT' */
  botId?: string;
  limits?: FakeSlackLimits;
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
  /**
   * The bot token's scopes: a method needing another answers `missing_scope`, as Slack does.
   * @default every scope
   */
  scopes?: readonly string[];
  /** Refuses chosen calls (tests): see `FakeSlack.refuse`. @default none */
  refuse?: FakeSlackRefuse;
}

/** Returns the error code to answer a write with (`ok: false`), or undefined to handle it. */
export type FakeSlackRefuse = (call: {
  method: string;
  args: Record<string, unknown>;
}) => string | undefined;

export interface FakeSlackCall {
  method: string;
  /** The arguments as the client sent them, JSON fields decoded, token removed. */
  args: Record<string, unknown>;
  time: number;
  ok: boolean;
  error?: string;
  /** Slack's detail of a refusal (`[ERROR] … [json-pointer:/blocks/0/text/text]`). */
  messages?: string[];
  /**
   * Not an error in Slack: blocks sent without a `text` fallback, which notifications and screen
   * readers need (Slack's SDKs warn; the API takes it). The fake notes it for tests to assert on.
   */
  warning?: 'missing_text';
}

export interface FakeSlackRateLimit {
  method: string;
  /** Absent for workspace-wide limits. */
  channel?: string;
  retryAfterSeconds: number;
  time: number;
}

/** Messages the fake took per channel, and the 429s it answered (`FakeSlack.writeCounts`). */
export interface FakeSlackWriteCounts {
  byChannel: Record<string, { posts: number; updates: number }>;
  rateLimited: number;
}

export interface FakeSlackMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text?: string;
  blocks?: unknown[];
  user: string;
  postedAt: number;
  updatedAt?: number;
  edits: number;
  /** A thread reply posted with `reply_broadcast`: Slack shows it in the channel too. */
  broadcast?: boolean;
}

export interface FakeSlackEphemeral {
  channel: string;
  user: string;
  messageTs: string;
  threadTs?: string;
  text?: string;
  blocks?: unknown[];
  time: number;
}

export interface FakeSlackView {
  id: string;
  hash: string;
  externalId?: string;
  view: Record<string, unknown>;
  openedAt: number;
  updatedAt?: number;
}

export interface FakeSlackResponse {
  id: string;
  body: unknown;
  time: number;
}

export interface FakeSlackRefusedResponse extends FakeSlackResponse, BlockKitRefusal {}

/** Slack deletes trigger ids 3 seconds after issuing them. */
const TRIGGER_TTL_MS = 3_000;
/** Form fields the WebClient sends as JSON strings. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata']);

/** A Slack method error: answered as HTTP 200 with `{ ok: false, error }`, like Slack does. */
/** The bot scope each method the fake answers needs (Slack's method reference). */
const METHOD_SCOPES: Readonly<Record<string, string>> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'users.info': 'users:read',
  'usergroups.users.list': 'usergroups:read',
};

class SlackMethodError extends Error {
  constructor(
    readonly code: string,
    readonly messages: string[] = [],
    readonly extra: Record<string, string> = {},
  ) {
    super(code);
    this.name = 'SlackMethodError';
  }
}

class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** Takes a token; returns 0, or the milliseconds until one is available. */
  take(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.tokens) / this.perMs);
  }
}

type Args = Record<string, unknown>;

export class FakeSlack {
  readonly calls: FakeSlackCall[] = [];
  readonly rateLimited: FakeSlackRateLimit[] = [];
  readonly responses: FakeSlackResponse[] = [];
  /** `response_url` posts refused for their Block Kit; not shown, as in Slack. */
  readonly refusedResponses: FakeSlackRefusedResponse[] = [];
  /** Refuses chosen calls with the error it returns (a test's hook); set at any time. */
  refuse: FakeSlackRefuse | undefined;
  readonly ephemerals: FakeSlackEphemeral[] = [];
  readonly views = new Map<string, FakeSlackView>();

  private readonly users: Record<string, FakeSlackUser>;
  private readonly channels: Record<string, FakeSlackChannel> | undefined;
  private readonly tokens: Set<string> | undefined;
  private readonly scopes: ReadonlySet<string> | undefined;
  private readonly teamId: string;
  private readonly botUserId: string;
  private readonly botId: string;
  private readonly now: () => number;
  private readonly postPerMs: number;
  private readonly postBurst: number;
  private readonly updateBucket: TokenBucket;
  private readonly postBuckets = new Map<string, TokenBucket>();
  private readonly store = new Map<string, FakeSlackMessage[]>();
  private readonly triggers = new Map<string, { issuedAt: number; used: boolean }>();
  private lastTsMicros = 0;
  private sequence = 0;
  private server: Server | undefined;
  private baseUrl: string | undefined;

  constructor(options: FakeSlackOptions = {}) {
    this.users = options.users ?? {};
    this.channels = options.channels;
    this.tokens = options.tokens ? new Set(options.tokens) : undefined;
    this.scopes = options.scopes ? new Set(options.scopes) : undefined;
    this.teamId = options.teamId ?? 'T0LIFEBOAT';
    this.botUserId = options.botUserId ?? 'U0LIFEBOAT';
    this.botId = options.botId ?? 'B0LIFEBOAT';
    this.now = options.now ?? Date.now;
    this.refuse = options.refuse;
    const perSecond = options.limits?.postMessagePerSecond ?? 1;
    const burst = options.limits?.postMessageBurst ?? 3;
    const perMinute = options.limits?.updatePerMinute ?? 50;
    for (const [name, value] of Object.entries({ perSecond, burst, perMinute })) {
      if (!(value > 0)) throw new RangeError(`limits: ${name} must be more than 0, not ${value}`);
    }
    this.postPerMs = perSecond / 1000;
    this.postBurst = burst;
    this.updateBucket = new TokenBucket(perMinute, perMinute / 60_000, this.now());
  }

  /** Starts listening on 127.0.0.1 on a free port. */
  async start(): Promise<this> {
    if (this.server) return this;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        sendJson(res, 500, { ok: false, error: 'internal_error', detail: String(error) });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** For `new WebClient(token, { slackApiUrl: fake.apiUrl })`; ends with `/api/`. */
  get apiUrl(): string {
    return `${this.url()}/api/`;
  }

  /** A `response_url` on this server; what is POSTed to it lands in `responses`. */
  responseUrl(id: string): string {
    return `${this.url()}/response/${encodeURIComponent(id)}`;
  }

  /** Issues a trigger id, as Slack does with a slash command or a click; valid for 3 s, once. */
  triggerId(): string {
    const id = `${++this.sequence}.${this.teamId}.fake-trigger`;
    this.triggers.set(id, { issuedAt: this.now(), used: false });
    return id;
  }

  /** Every message in a channel, replies included, oldest first. */
  messages(channel: string): FakeSlackMessage[] {
    return [...(this.store.get(channel) ?? [])];
  }

  /** The replies in the thread started by `ts`, oldest first. */
  thread(channel: string, ts: string): FakeSlackMessage[] {
    return this.messages(channel).filter((message) => message.threadTs === ts);
  }

  /**
   * The messages it took, per channel (posts and updates), and every 429 it answered: what a
   * benchmark reports as Slack's own count of the bot's writes.
   */
  writeCounts(): FakeSlackWriteCounts {
    const byChannel: FakeSlackWriteCounts['byChannel'] = {};
    for (const call of this.calls) {
      if (!call.ok || (call.method !== 'chat.postMessage' && call.method !== 'chat.update'))
        continue;
      const channel = String(call.args.channel);
      const count = byChannel[channel] ?? { posts: 0, updates: 0 };
      byChannel[channel] = count;
      if (call.method === 'chat.postMessage') count.posts += 1;
      else count.updates += 1;
    }
    return { byChannel, rateLimited: this.rateLimited.length };
  }

  private url(): string {
    if (!this.baseUrl) throw new Error('FakeSlack is not started: await fake.start() first');
    return this.baseUrl;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (req.method === 'POST' && path.startsWith('/response/')) {
      const id = decodeURIComponent(path.slice('/response/'.length));
      const body = parseJsonOr(raw);
      const refusal = isRecord(body) ? checkMessage(body) : undefined;
      if (refusal) {
        // Slack answers a refused response_url post with a 4xx status, not 200 and ok: false.
        this.refusedResponses.push({ id, body, time: this.now(), ...refusal });
        sendJson(res, 400, { ok: false, ...refusalBody(refusal) });
        return;
      }
      this.responses.push({ id, body, time: this.now() });
      sendJson(res, 200, { ok: true });
      return;
    }
    if (!path.startsWith('/api/')) {
      sendJson(res, 404, { ok: false, error: 'not_found' });
      return;
    }
    const method = path.slice('/api/'.length);
    const args = parseArgs(raw, req.headers['content-type']);
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? (typeof args.token === 'string' ? args.token : undefined);
    delete args.token;
    const time = this.now();
    const call: FakeSlackCall = { method, args, time, ok: true };
    this.calls.push(call);

    const retryAfterMs = token && this.tokenAccepted(token) ? this.throttle(method, args, time) : 0;
    if (retryAfterMs > 0) {
      const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
      const channel = method === 'chat.postMessage' ? String(args.channel) : undefined;
      this.rateLimited.push({ method, channel, retryAfterSeconds, time });
      call.ok = false;
      call.error = 'ratelimited';
      sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': retryAfterSeconds });
      return;
    }
    try {
      if (!token) throw new SlackMethodError('not_authed');
      if (!this.tokenAccepted(token)) throw new SlackMethodError('invalid_auth');
      const needed = METHOD_SCOPES[method];
      if (this.scopes && needed && !this.scopes.has(needed))
        throw new SlackMethodError('missing_scope', [], {
          needed,
          provided: [...this.scopes].join(','),
        });
      const refused = this.refuse?.({ method, args });
      if (refused) throw new SlackMethodError(refused);
      const answer = this.dispatch(method, args, time);
      if (Array.isArray(args.blocks) && args.blocks.length > 0 && !optionalString(args.text))
        call.warning = 'missing_text';
      sendJson(res, 200, { ok: true, ...answer });
    } catch (error) {
      if (!(error instanceof SlackMethodError)) throw error;
      call.ok = false;
      call.error = error.code;
      if (error.messages.length) call.messages = error.messages;
      sendJson(res, 200, {
        ok: false,
        ...refusalBody({ error: error.code, messages: error.messages }),
        ...error.extra,
      });
    }
  }

  private tokenAccepted(token: string): boolean {
    return this.tokens ? this.tokens.has(token) : token.length > 0;
  }

  private throttle(method: string, args: Args, time: number): number {
    if (method === 'chat.update') return this.updateBucket.take(time);
    if (method !== 'chat.postMessage' || typeof args.channel !== 'string') return 0;
    let bucket = this.postBuckets.get(args.channel);
    if (!bucket) {
      bucket = new TokenBucket(this.postBurst, this.postPerMs, time);
      this.postBuckets.set(args.channel, bucket);
    }
    return bucket.take(time);
  }

  private dispatch(method: string, args: Args, time: number): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
          url: 'https://lifeboat.slack.com/',
          team: 'Lifeboat',
          user: 'lifeboat',
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
          is_enterprise_install: false,
        };
      case 'chat.postMessage':
        return this.postMessage(args, time);
      case 'chat.update':
        return this.update(args, time);
      case 'chat.postEphemeral':
        return this.postEphemeral(args, time);
      case 'views.open':
        return this.openView(args, time);
      case 'views.update':
        return this.updateView(args, time);
      case 'users.info':
        return { user: this.userInfo(args) };
      case 'usergroups.users.list':
        return { users: this.groupMembers(args) };
      case 'conversations.info':
        return { channel: this.channelInfo(requireChannel(args, this.channelExists)) };
      default:
        throw new SlackMethodError('unknown_method');
    }
  }

  private readonly channelExists = (id: string): boolean =>
    this.channels ? id in this.channels : true;

  /** Posting to a user id opens the app's DM with that user, as Slack does. */
  private readonly postableChannel = (id: string): boolean =>
    this.channelExists(id) || id in this.users;

  private postMessage(args: Args, time: number): Record<string, unknown> {
    const channel = requireChannel(args, this.postableChannel);
    const content = readContent(args);
    const ts = this.nextTs(time);
    const threadTs = optionalString(args.thread_ts);
    const broadcast = threadTs !== undefined && String(args.reply_broadcast) === 'true';
    const message: FakeSlackMessage = {
      channel,
      ts,
      ...(threadTs ? { threadTs } : {}),
      ...(broadcast ? { broadcast } : {}),
      ...content,
      user: this.botUserId,
      postedAt: time,
      edits: 0,
    };
    const messages = this.store.get(channel) ?? [];
    messages.push(message);
    this.store.set(channel, messages);
    return { channel, ts, message: this.render(message) };
  }

  private update(args: Args, time: number): Record<string, unknown> {
    const channel = requireChannel(args, this.postableChannel);
    const ts = optionalString(args.ts);
    const message = this.store.get(channel)?.find((candidate) => candidate.ts === ts);
    if (!message) throw new SlackMethodError('message_not_found');
    const content = readContent(args);
    message.text = content.text;
    message.blocks = content.blocks;
    message.updatedAt = time;
    message.edits += 1;
    return { channel, ts: message.ts, text: message.text ?? '', message: this.render(message) };
  }

  private postEphemeral(args: Args, time: number): Record<string, unknown> {
    const channel = requireChannel(args, this.postableChannel);
    const user = optionalString(args.user);
    if (!user || !(user in this.users)) throw new SlackMethodError('user_not_found');
    const content = readContent(args);
    const messageTs = this.nextTs(time);
    const threadTs = optionalString(args.thread_ts);
    this.ephemerals.push({
      channel,
      user,
      messageTs,
      ...(threadTs ? { threadTs } : {}),
      ...content,
      time,
    });
    return { message_ts: messageTs };
  }

  private openView(args: Args, time: number): Record<string, unknown> {
    const triggerId = optionalString(args.trigger_id);
    if (!triggerId) throw new SlackMethodError('invalid_arguments');
    const trigger = this.triggers.get(triggerId);
    if (!trigger) throw new SlackMethodError('invalid_trigger_id');
    if (trigger.used) throw new SlackMethodError('exchanged_trigger_id');
    if (time - trigger.issuedAt > TRIGGER_TTL_MS) throw new SlackMethodError('expired_trigger_id');
    const view = readView(args);
    trigger.used = true;
    const id = `V${String(++this.sequence).padStart(10, '0')}`;
    const externalId = optionalString(view.external_id);
    const stored: FakeSlackView = {
      id,
      hash: this.nextHash(time),
      ...(externalId ? { externalId } : {}),
      view,
      openedAt: time,
    };
    this.views.set(id, stored);
    return { view: this.renderView(stored) };
  }

  private updateView(args: Args, time: number): Record<string, unknown> {
    const viewId = optionalString(args.view_id);
    const externalId = optionalString(args.external_id);
    if (!viewId && !externalId) throw new SlackMethodError('invalid_arguments');
    const stored = viewId
      ? this.views.get(viewId)
      : [...this.views.values()].find((view) => view.externalId === externalId);
    if (!stored) throw new SlackMethodError('not_found');
    const hash = optionalString(args.hash);
    if (hash && hash !== stored.hash) throw new SlackMethodError('hash_conflict');
    stored.view = readView(args);
    stored.hash = this.nextHash(time);
    stored.updatedAt = time;
    return { view: this.renderView(stored) };
  }

  private userInfo(args: Args): Record<string, unknown> {
    const id = optionalString(args.user);
    const user = id ? this.users[id] : undefined;
    if (!id || !user) throw new SlackMethodError('user_not_found');
    const realName = user.realName ?? user.name;
    return {
      id,
      team_id: this.teamId,
      name: user.name,
      real_name: realName,
      deleted: user.deleted ?? false,
      is_bot: user.isBot ?? false,
      profile: { real_name: realName, display_name: user.displayName ?? '' },
    };
  }

  private groupMembers(args: Args): string[] {
    const group = optionalString(args.usergroup);
    const members = Object.entries(this.users)
      .filter(([, user]) => group && user.groups?.includes(group) && !user.deleted)
      .map(([id]) => id);
    const known = Object.values(this.users).some((user) => group && user.groups?.includes(group));
    if (!known) throw new SlackMethodError('no_such_subteam');
    return members;
  }

  private channelInfo(id: string): Record<string, unknown> {
    const channel = this.channels?.[id] ?? { name: id };
    return {
      id,
      name: channel.name,
      is_channel: !channel.isPrivate,
      is_group: false,
      is_im: false,
      is_private: channel.isPrivate ?? false,
      is_archived: false,
      is_member: true,
    };
  }

  private render(message: FakeSlackMessage): Record<string, unknown> {
    return {
      type: 'message',
      user: message.user,
      bot_id: this.botId,
      ts: message.ts,
      ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
      ...(message.broadcast ? { subtype: 'thread_broadcast' } : {}),
      text: message.text ?? '',
      ...(message.blocks ? { blocks: message.blocks } : {}),
      ...(message.updatedAt !== undefined
        ? { edited: { user: message.user, ts: this.formatTs(message.updatedAt * 1000) } }
        : {}),
    };
  }

  private renderView(stored: FakeSlackView): Record<string, unknown> {
    return {
      ...stored.view,
      id: stored.id,
      team_id: this.teamId,
      hash: stored.hash,
      state: { values: {} },
      app_id: 'A0LIFEBOAT',
      bot_id: this.botId,
    };
  }

  /** Slack's ts: Unix seconds with six digits of microseconds, unique and increasing. */
  private nextTs(time: number): string {
    this.lastTsMicros = Math.max(time * 1000, this.lastTsMicros + 1);
    return this.formatTs(this.lastTsMicros);
  }

  private formatTs(micros: number): string {
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  private nextHash(time: number): string {
    return `${Math.floor(time / 1000)}.fake-hash-${++this.sequence}`;
  }
}

function requireChannel(args: Args, exists: (id: string) => boolean): string {
  const channel = optionalString(args.channel);
  if (!channel || !exists(channel)) throw new SlackMethodError('channel_not_found');
  return channel;
}

function readContent(args: Args): { text?: string; blocks?: unknown[] } {
  const text = optionalString(args.text);
  const blocks = args.blocks;
  const refusal = checkMessage({ text, blocks });
  if (refusal) throw new SlackMethodError(refusal.error, refusal.messages);
  if (!text && !(Array.isArray(blocks) && blocks.length > 0) && args.attachments === undefined) {
    throw new SlackMethodError('no_text');
  }
  return { ...(text ? { text } : {}), ...(Array.isArray(blocks) ? { blocks } : {}) };
}

function readView(args: Args): Record<string, unknown> {
  const view = args.view;
  if (typeof view !== 'object' || view === null || Array.isArray(view)) {
    throw new SlackMethodError('invalid_arguments');
  }
  const record = view as Record<string, unknown>;
  if (
    record.type !== 'modal' ||
    typeof record.title !== 'object' ||
    !Array.isArray(record.blocks)
  ) {
    throw new SlackMethodError('invalid_arguments');
  }
  const refusal = checkModal(record);
  if (refusal) throw new SlackMethodError(refusal.error, refusal.messages);
  return record;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Slack's answer to a refusal: the error, and its detail in `response_metadata.messages`. */
function refusalBody(refusal: BlockKitRefusal): Record<string, unknown> {
  return {
    error: refusal.error,
    ...(refusal.messages.length ? { response_metadata: { messages: refusal.messages } } : {}),
  };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function parseArgs(raw: string, contentType: string | undefined): Args {
  if (contentType?.includes('application/json')) {
    const parsed = parseJsonOr(raw);
    return typeof parsed === 'object' && parsed !== null ? { ...(parsed as Args) } : {};
  }
  const args: Args = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = JSON_FIELDS.has(key) ? parseJsonOr(value) : value;
  }
  return args;
}

function parseJsonOr(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}
