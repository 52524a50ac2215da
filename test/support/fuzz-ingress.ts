import type { AwsHandler } from '../../bot/ingress.ts';
import {
  apiGatewayEvent,
  interactionBody,
  signSlackRequest,
  slashCommandBody,
} from '../../sandbox/slack/signer.ts';
import {
  SANDBOX_SIGNING_SECRET,
  SANDBOX_TEAM,
  type SlackSandbox,
} from '../../sandbox/slack-sandbox.ts';

/** mulberry32: a small seeded PRNG, so a failing fuzz run replays from its seed alone. */
export function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick, chance: (p: number) => next() < p };
}
export type Random = ReturnType<typeof createRandom>;

/** Text people paste, and text an attacker sends. */
export const EDGE_TEXTS = [
  '',
  ' ',
  'x'.repeat(5000),
  'Ünïcödé 🚨🛟 日本語 ﷽',
  'مرحبا بالعالم \u202Edrill dmnt\u202C',
  'שלום <@U02BOB>',
  '<@U02BOB> <@U01ALICE>',
  '<!channel> <!here> <!everyone>',
  '<!subteam^S0HRPDRLEADS|@hrp-dr-leads>',
  '*bold* _it_ ~strike~ `code` ```block``` > quote',
  '<https://evil.example/|click me> <mailto:a@b.c|mail>',
  '&lt;&amp;&gt; & < > &amp;',
  '{"type":"block_actions","actions":[{"action_id":"gate_approve"}]}',
  'customer:\n  id: dmnt\nwaves:\n  - servers: [a, b]\n  - &anchor {}',
  '--reason',
  '--reason "',
  '--bubble --bubble --bubble',
  '"unterminated',
  '\u0000\u0007\u001b[31m',
  '%7B%22x%22',
  '../../etc/passwd',
  'drill-dmnt-20261122-000000-abcd',
  '\t\n\r\n',
] as const;

/** Subcommands the bot does not have, misspelt ones, and real ones with a wrong number of words. */
const BAD_SUBCOMMANDS = [
  'drlil dmnt',
  'approve',
  'DELETE dmnt',
  'exec rm -rf /',
  'drill',
  'failover',
  'abort',
  'pause',
  'resume',
  'report',
  'sign-off',
  'status dmnt bcbsaz nwhealth extra',
  'plan',
  'x',
] as const;
const REAL_SUBCOMMANDS = [
  'drill dmnt',
  'drill bcbsaz --bubble',
  'failover dmnt --reason "primary down"',
  'failover nwhealth --reason now',
  'failback dmnt',
  'abort',
  'pause',
  'resume',
  'status dmnt',
  'history bcbsaz',
  'plan nwhealth',
  'readiness dmnt',
] as const;
const CHANNELS = ['C0DMNTDR', 'C0BCBSAZDR', 'C0NWHEALTHDR', 'C0HRPDROPS', 'C0RANDOM', ''] as const;
/** People the fuzz may act as with a well-formed request: none of them may start or answer. */
const POWERLESS = ['U09MALLORY', 'U99NOBODY', 'U03CAROL', ''] as const;
const GATE_ACTIONS = [
  'gate_approve',
  'gate_reject',
  'gate_retry',
  'gate_continue',
  'gate_abort',
  'gate_resume',
  'gate_done',
  'sign_off_open',
  'gate_unknown',
  '',
] as const;
const CONTENT_TYPES = [
  'text/plain',
  'application/json',
  'application/x-www-form-urlencoded; charset=utf-8',
  'multipart/form-data; boundary=x',
  '',
] as const;

/**
 * Known bug: a signed `view_submission` without a `view` makes Bolt throw before any listener,
 * and the ingress answers 500. Kept out of the draw until it is fixed; its own test is skipped.
 */
export const VIEWLESS_SUBMISSION = `payload=${encodeURIComponent(
  JSON.stringify({ type: 'view_submission', team: { id: SANDBOX_TEAM } }),
)}`;

/**
 * Known bug: this JSON body, signed and sent as `application/json`, has no team and no user;
 * Bolt throws on it and the ingress answers 500. Kept out of the draw; its own test is skipped.
 */
export const BLOCK_ACTIONS_AS_JSON =
  '{"type":"block_actions","actions":[{"action_id":"gate_approve"}]}';

/** One request of the fuzz, as it goes over the wire. */
export interface FuzzRequest {
  kind: string;
  body: string;
  unsigned?: boolean;
  secret?: string;
  timestamp?: number;
  contentType?: string;
  headers?: Record<string, string>;
}

/** What the fuzz knows of the legitimate run: its gate id, so it can forge around it. */
export interface FuzzContext {
  gateId?: string;
  executionId?: string;
}

/** Draws one hostile or clumsy request. */
export function drawRequest(random: Random, sandbox: SlackSandbox, context: FuzzContext) {
  const edge = () => random.pick(EDGE_TEXTS);
  const gateId = () =>
    random.pick([
      edge(),
      `${context.executionId ?? 'drill-dmnt-20261122-000000-abcd'}/approval#999`,
      `${context.executionId ?? 'x'}/sign-off#1`,
      'drill-bcbsaz-20261122-000000-abcd/approval#1',
      `failover-nwhealth-20260101-000000-ffff/approval#${random.int(5)}`,
      `${context.executionId ?? 'x'}/${'1'.repeat(1100)}`,
      `${context.gateId ?? 'x'}${edge()}`,
      context.gateId ?? 'x',
    ]);
  const team = random.chance(0.1) ? 'T0ELSEWHERE' : SANDBOX_TEAM;
  const request: FuzzRequest = (() => {
    switch (random.int(7)) {
      case 0: {
        // alice, who may request: only text that must not parse as a request
        const text = `${random.pick(BAD_SUBCOMMANDS)} ${edge()}`.slice(0, 6000);
        return { kind: 'command-bad', body: command(sandbox, 'U01ALICE', text, team) };
      }
      case 1: {
        const text = `${random.pick(REAL_SUBCOMMANDS)} ${random.chance(0.5) ? edge() : ''}`;
        return {
          kind: 'command-powerless',
          body: command(sandbox, random.pick(POWERLESS), text, team, random.pick(CHANNELS)),
        };
      }
      case 2: {
        // anyone but the legitimate pair, or bob on a gate that is not the one he was asked
        const user = random.chance(0.3) ? 'U02BOB' : random.pick(POWERLESS);
        const value = user === 'U02BOB' ? gateId().replace(context.gateId ?? '\0', 'x') : gateId();
        return {
          kind: 'click',
          body: click(sandbox, user, random.pick(GATE_ACTIONS), value, team),
        };
      }
      case 3:
        return { kind: 'view', body: view(sandbox, random, edge, gateId, team) };
      case 4:
        return {
          kind: 'malformed',
          body: random.pick([
            'payload=%7B',
            'payload=null',
            'payload=%5B%5D',
            'payload=42',
            `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions' }))}`,
            VIEWLESS_SUBMISSION,
            `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', team: { id: SANDBOX_TEAM }, user: { id: 'U02BOB' }, actions: [{ action_id: 'gate_approve', value: 42 }] }))}`,
            'command=%2Fdr&team_id=T0LIFEBOAT',
            `command=%2Fdr&text=${encodeURIComponent(edge())}`,
            '',
            '=&&=',
            encodeURIComponent(edge()),
          ]),
        };
      case 5: {
        const contentType = random.pick(CONTENT_TYPES);
        const body = random.pick([
          command(sandbox, 'U09MALLORY', 'drill dmnt', team),
          '{"type":"url_verification","challenge":"x"}',
          edge(),
          'drill dmnt',
          BLOCK_ACTIONS_AS_JSON,
        ]);
        return { kind: 'content-type', body, contentType };
      }
      default:
        return {
          kind: 'retry',
          body: command(sandbox, 'U09MALLORY', `${random.pick(REAL_SUBCOMMANDS)}`, team),
          headers: {
            'x-slack-retry-num': String(1 + random.int(3)),
            'x-slack-retry-reason': random.pick(['http_timeout', 'http_error', 'unknown', edge()]),
          },
        };
    }
  })();
  // Some of each kind arrive unsigned, signed with another secret, or stale.
  const roll = random.int(10);
  if (roll === 0) request.unsigned = true;
  else if (roll === 1) request.secret = 'not-the-secret';
  else if (roll === 2) request.timestamp = Math.floor(Date.now() / 1000) - 6 * 60;
  return request;
}

function command(
  sandbox: SlackSandbox,
  userId: string,
  text: string,
  teamId: string,
  channelId = 'C0DMNTDR',
) {
  return slashCommandBody({
    command: '/dr',
    text,
    userId,
    channelId,
    teamId,
    responseUrl: sandbox.slack.responseUrl(`fuzz-${userId}`),
    triggerId: sandbox.slack.triggerId(),
  });
}

function interactor(sandbox: SlackSandbox, userId: string, teamId: string) {
  return {
    team: { id: teamId, domain: 'lifeboat' },
    user: { id: userId, username: userId, team_id: teamId },
    api_app_id: 'A0LIFEBOAT',
    token: 'fake-verification-token',
    trigger_id: sandbox.slack.triggerId(),
  };
}

function click(
  sandbox: SlackSandbox,
  userId: string,
  actionId: string,
  value: unknown,
  team: string,
) {
  return interactionBody({
    type: 'block_actions',
    ...interactor(sandbox, userId, team),
    response_url: sandbox.slack.responseUrl(`fuzz-click-${userId}`),
    channel: { id: 'C0DMNTDR', name: 'C0DMNTDR' },
    container: { type: 'message', message_ts: '1.0', channel_id: 'C0DMNTDR' },
    message: { ts: '1.0', type: 'message' },
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'actions',
        value,
        text: { type: 'plain_text', text: actionId || 'x' },
        action_ts: String(Date.now() / 1000),
      },
    ],
  });
}

function view(
  sandbox: SlackSandbox,
  random: Random,
  edge: () => string,
  gateId: () => string,
  team: string,
) {
  const field = () =>
    random.pick([edge(), 'y'.repeat(3000 + random.int(5000)), undefined, 42, null]);
  const values = random.chance(0.8)
    ? {
        contact: { value: { type: 'plain_text_input', value: field() } },
        notes: { value: { type: 'plain_text_input', value: field() } },
        decision: {
          value: {
            type: 'radio_buttons',
            selected_option: random.chance(0.8)
              ? { value: random.pick(['approve', 'reject', edge()]) }
              : null,
          },
        },
      }
    : random.pick([undefined, null, {}, 'x']);
  const user = random.chance(0.3) ? 'U02BOB' : random.pick(POWERLESS);
  return interactionBody({
    type: 'view_submission',
    ...interactor(sandbox, user, team),
    view: {
      id: `V${random.int(1e6)}`,
      type: 'modal',
      callback_id: random.chance(0.9) ? 'sign_off' : edge(),
      ...(random.chance(0.85) ? { private_metadata: gateId() } : {}),
      ...(random.chance(0.9) ? { state: { values } } : {}),
      hash: 'x',
    },
  });
}

export interface FuzzAnswer {
  statusCode: number;
  ms: number;
}

/** Sends one fuzz request through the ingress handler, timing the answer. */
export async function sendFuzz(handler: AwsHandler, request: FuzzRequest): Promise<FuzzAnswer> {
  const signed = signSlackRequest({
    signingSecret: request.secret ?? SANDBOX_SIGNING_SECRET,
    body: request.body,
    ...(request.timestamp !== undefined ? { timestamp: request.timestamp } : {}),
  });
  const headers: Record<string, string> = {
    ...(request.unsigned ? {} : signed),
    ...(request.contentType !== undefined
      ? { 'content-type': request.contentType }
      : { 'content-type': signed['content-type'] }),
    ...request.headers,
  };
  const started = performance.now();
  const result = await handler(apiGatewayEvent(request.body, headers) as never, {});
  return { statusCode: result.statusCode, ms: performance.now() - started };
}
