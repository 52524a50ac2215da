import { ErrorCode, LogLevel, WebClient, WebClientEvent } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSlack, type FakeSlackOptions } from '../../../sandbox/slack/fake-slack.ts';

const start = 1_700_000_000_000;
const running: FakeSlack[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fake) => fake.close()));
});

async function startFake(options: FakeSlackOptions = {}) {
  const clock = { t: start };
  const fake = await new FakeSlack({
    users: {
      U01ALICE: { name: 'alice', groups: ['S0HRPOPS'] },
      U02BOB: { name: 'bob', groups: ['S0HRPOPS'], deleted: true },
      U03CAROL: { name: 'carol' },
    },
    channels: { C0DRILLS: { name: 'dr-drills' }, C0OPS: { name: 'ops', isPrivate: true } },
    now: () => clock.t,
    ...options,
  }).start();
  running.push(fake);
  const client = new WebClient('xoxb-fake', {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
  return { fake, client, clock };
}

async function errorOf(
  call: Promise<unknown>,
): Promise<{ code?: string; data?: { error?: string }; retryAfter?: number }> {
  try {
    await call;
  } catch (error) {
    return error as { code?: string };
  }
  throw new Error('expected the call to fail');
}

describe('FakeSlack', () => {
  it('serves its API under /api/ on loopback', async () => {
    // Prepare
    const { fake } = await startFake();
    // Act
    const url = new URL(fake.apiUrl);
    // Assess
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe('/api/');
  });

  it('posts, replies in a thread and updates, keeping the messages per channel', async () => {
    // Prepare
    const { fake, client, clock } = await startFake();
    // Act
    const parent = await client.chat.postMessage({ channel: 'C0DRILLS', text: 'Drill started' });
    clock.t += 1_000;
    const reply = await client.chat.postMessage({
      channel: 'C0DRILLS',
      thread_ts: parent.ts,
      text: 'Wave 1 recovering',
    });
    clock.t += 1_000;
    const updated = await client.chat.update({
      channel: 'C0DRILLS',
      ts: parent.ts ?? '',
      text: 'Drill finished',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Drill finished*' } }],
    });
    // Assess
    expect(parent.ts).toMatch(/^1700000000\.\d{6}$/);
    expect(reply.message?.thread_ts).toBe(parent.ts);
    expect(updated.ts).toBe(parent.ts);
    expect(fake.messages('C0DRILLS').map((m) => m.text)).toEqual([
      'Drill finished',
      'Wave 1 recovering',
    ]);
    expect(fake.messages('C0DRILLS')[0]).toMatchObject({ edits: 1, blocks: [{ type: 'section' }] });
    expect(fake.thread('C0DRILLS', parent.ts ?? '')).toEqual([
      expect.objectContaining({ ts: reply.ts, text: 'Wave 1 recovering' }),
    ]);
    expect(fake.messages('C0OPS')).toEqual([]);
  });

  it.each([
    ['an unknown channel', { channel: 'C0NOPE', text: 'hi' }, 'channel_not_found'],
    ['no text nor blocks', { channel: 'C0DRILLS', text: '' }, 'no_text'],
    ['too long a text', { channel: 'C0DRILLS', text: 'x'.repeat(40_001) }, 'msg_too_long'],
  ])('refuses a post with %s like Slack', async (_case, args, error) => {
    // Prepare
    const { client, fake } = await startFake();
    // Act
    const failure = await errorOf(client.chat.postMessage(args));
    // Assess
    expect(failure.code).toBe(ErrorCode.PlatformError);
    expect(failure.data?.error).toBe(error);
    expect(fake.messages(args.channel)).toEqual([]);
  });

  it('refuses to update a message that does not exist', async () => {
    // Prepare
    const { client } = await startFake();
    // Act
    const failure = await errorOf(
      client.chat.update({ channel: 'C0DRILLS', ts: '1.000001', text: 'x' }),
    );
    // Assess
    expect(failure.data?.error).toBe('message_not_found');
  });

  it('answers a burst to one channel with 429 and Retry-After, while another channel is fine', async () => {
    // Prepare
    const { client, fake, clock } = await startFake();
    for (let i = 0; i < 3; i++)
      await client.chat.postMessage({ channel: 'C0DRILLS', text: `${i}` });
    // Act
    const limited = await errorOf(client.chat.postMessage({ channel: 'C0DRILLS', text: 'more' }));
    const elsewhere = await client.chat.postMessage({ channel: 'C0OPS', text: 'fine' });
    clock.t += 1_000;
    const later = await client.chat.postMessage({ channel: 'C0DRILLS', text: 'a second later' });
    // Assess
    expect(limited.code).toBe(ErrorCode.RateLimitedError);
    expect(limited.retryAfter).toBe(1);
    expect(elsewhere.ok).toBe(true);
    expect(later.ok).toBe(true);
    expect(fake.rateLimited).toEqual([
      { method: 'chat.postMessage', channel: 'C0DRILLS', retryAfterSeconds: 1, time: start },
    ]);
    expect(fake.messages('C0DRILLS').map((m) => m.text)).toEqual(['0', '1', '2', 'a second later']);
  });

  it('sends the 429 as Slack does, with a Retry-After header and error ratelimited', async () => {
    // Prepare
    const { fake } = await startFake({ limits: { postMessageBurst: 1 } });
    const post = () =>
      fetch(`${fake.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { authorization: 'Bearer xoxb-fake', 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'C0DRILLS', text: 'hi' }),
      });
    await post();
    // Act
    const response = await post();
    // Assess
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toEqual({ ok: false, error: 'ratelimited' });
  });

  it('lets a client with retries wait out Retry-After and then posts', async () => {
    // Prepare
    const { fake, clock } = await startFake({ limits: { postMessageBurst: 1 } });
    const client = new WebClient('xoxb-fake', {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 0 },
      logLevel: LogLevel.ERROR,
    });
    // The client sleeps Retry-After in real time; the fake's clock moves with it.
    client.on(WebClientEvent.RATE_LIMITED, (seconds: number) => {
      clock.t += seconds * 1000;
    });
    await client.chat.postMessage({ channel: 'C0DRILLS', text: 'first' });
    const before = Date.now();
    // Act
    const second = await client.chat.postMessage({ channel: 'C0DRILLS', text: 'second' });
    // Assess
    expect(second.ok).toBe(true);
    expect(Date.now() - before).toBeGreaterThanOrEqual(950);
    expect(fake.rateLimited).toHaveLength(1);
    expect(fake.messages('C0DRILLS').map((m) => m.text)).toEqual(['first', 'second']);
  });

  it('limits chat.update to Tier 3 across the workspace', async () => {
    // Prepare
    const { client, fake, clock } = await startFake();
    const posts = [];
    for (const channel of ['C0DRILLS', 'C0OPS']) {
      posts.push(await client.chat.postMessage({ channel, text: 'status' }));
    }
    for (let i = 0; i < 50; i++) {
      const post = posts[i % 2];
      await client.chat.update({ channel: post?.channel ?? '', ts: post?.ts ?? '', text: `${i}` });
    }
    // Act
    const limited = await errorOf(
      client.chat.update({ channel: 'C0OPS', ts: posts[1]?.ts ?? '', text: 'too many' }),
    );
    clock.t += 1_200;
    const later = await client.chat.update({
      channel: 'C0OPS',
      ts: posts[1]?.ts ?? '',
      text: 'ok',
    });
    // Assess
    expect(limited.code).toBe(ErrorCode.RateLimitedError);
    expect(later.ok).toBe(true);
    expect(fake.rateLimited).toEqual([
      { method: 'chat.update', channel: undefined, retryAfterSeconds: 2, time: start },
    ]);
  });

  it('counts the messages it took per channel, and its 429s', async () => {
    // Prepare
    const { client, fake } = await startFake({ limits: { postMessageBurst: 2 } });
    const first = await client.chat.postMessage({ channel: 'C0DRILLS', text: 'status' });
    await client.chat.postMessage({ channel: 'C0DRILLS', text: 'line' });
    await client.chat.postMessage({ channel: 'C0OPS', text: 'incident' });
    // Act
    await errorOf(client.chat.postMessage({ channel: 'C0DRILLS', text: 'too soon' }));
    await client.chat.update({ channel: 'C0DRILLS', ts: first.ts ?? '', text: 'status 2' });
    await errorOf(client.chat.update({ channel: 'C0DRILLS', ts: '1.000001', text: 'gone' }));
    // Assess: a refused or rate-limited call is no message taken
    expect(fake.writeCounts()).toEqual({
      byChannel: { C0DRILLS: { posts: 2, updates: 1 }, C0OPS: { posts: 1, updates: 0 } },
      rateLimited: 1,
    });
  });

  it('records every call with its decoded arguments and the time, without the token', async () => {
    // Prepare
    const { client, fake, clock } = await startFake();
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }];
    // Act
    await client.chat.postMessage({ channel: 'C0DRILLS', text: 'hi', blocks });
    clock.t += 500;
    await errorOf(client.users.info({ user: 'U0NOPE' }));
    // Assess
    expect(fake.calls).toEqual([
      {
        method: 'chat.postMessage',
        args: expect.objectContaining({ channel: 'C0DRILLS', text: 'hi', blocks }),
        time: start,
        ok: true,
      },
      {
        method: 'users.info',
        args: expect.objectContaining({ user: 'U0NOPE' }),
        time: start + 500,
        ok: false,
        error: 'user_not_found',
      },
    ]);
    expect(fake.calls.some((call) => 'token' in call.args)).toBe(false);
  });

  it.each([
    ['no token', undefined, 'not_authed'],
    ['a token it does not know', 'xoxb-stolen', 'invalid_auth'],
  ])('refuses a call with %s', async (_case, token, error) => {
    // Prepare
    const { fake } = await startFake({ tokens: ['xoxb-fake'] });
    const client = new WebClient(token, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
    // Act
    const failure = await errorOf(client.chat.postMessage({ channel: 'C0DRILLS', text: 'hi' }));
    // Assess
    expect(failure.data?.error).toBe(error);
    expect(fake.messages('C0DRILLS')).toEqual([]);
  });

  it('opens a view with a fresh trigger id and updates it by id and hash', async () => {
    // Prepare
    const { client, fake } = await startFake();
    const view = {
      type: 'modal' as const,
      title: { type: 'plain_text' as const, text: 'Approve drill' },
      blocks: [],
    };
    // Act
    const opened = await client.views.open({ trigger_id: fake.triggerId(), view });
    const updated = await client.views.update({
      view_id: opened.view?.id ?? '',
      hash: opened.view?.hash ?? '',
      view: { ...view, title: { type: 'plain_text', text: 'Approved' } },
    });
    const stale = await errorOf(
      client.views.update({ view_id: opened.view?.id ?? '', hash: opened.view?.hash ?? '', view }),
    );
    // Assess
    expect(opened.view?.id).toMatch(/^V/);
    expect(updated.view?.title?.text).toBe('Approved');
    expect(stale.data?.error).toBe('hash_conflict');
    expect(fake.views.get(opened.view?.id ?? '')?.view).toMatchObject({
      title: { text: 'Approved' },
    });
  });

  it.each([
    ['unknown', () => 'made-up', 0, 'invalid_trigger_id'],
    ['older than 3 s', (fake: FakeSlack) => fake.triggerId(), 3_001, 'expired_trigger_id'],
  ])('refuses to open a view with a trigger id %s', async (_case, trigger, age, error) => {
    // Prepare
    const { client, fake, clock } = await startFake();
    const triggerId = trigger(fake);
    clock.t += age;
    const view = {
      type: 'modal' as const,
      title: { type: 'plain_text' as const, text: 'x' },
      blocks: [],
    };
    // Act
    const failure = await errorOf(client.views.open({ trigger_id: triggerId, view }));
    // Assess
    expect(failure.data?.error).toBe(error);
    expect(fake.views.size).toBe(0);
  });

  it('answers users.info, usergroups.users.list, conversations.info and auth.test', async () => {
    // Prepare
    const { client } = await startFake();
    // Act
    const alice = await client.users.info({ user: 'U01ALICE' });
    const group = await client.usergroups.users.list({ usergroup: 'S0HRPOPS' });
    const ops = await client.conversations.info({ channel: 'C0OPS' });
    const auth = await client.auth.test();
    const noGroup = await errorOf(client.usergroups.users.list({ usergroup: 'S0NOPE' }));
    const noChannel = await errorOf(client.conversations.info({ channel: 'C0NOPE' }));
    // Assess
    expect(alice.user).toMatchObject({ id: 'U01ALICE', name: 'alice', deleted: false });
    expect(group.users).toEqual(['U01ALICE']);
    expect(ops.channel).toMatchObject({ id: 'C0OPS', name: 'ops', is_private: true });
    expect(auth).toMatchObject({ user_id: 'U0LIFEBOAT', team_id: 'T0LIFEBOAT' });
    expect(noGroup.data?.error).toBe('no_such_subteam');
    expect(noChannel.data?.error).toBe('channel_not_found');
  });

  it("answers users.info with the profile's display name, and refuses it without users:read", async () => {
    // Prepare
    const users = {
      U02BOB: { name: 'bob', realName: 'Robert Builder', displayName: 'Bob Builder' },
      U03CAROL: { name: 'carol' },
    };
    const { client } = await startFake({ users });
    const { client: scoped } = await startFake({ users, scopes: ['chat:write', 'commands'] });
    // Act
    const bob = await client.users.info({ user: 'U02BOB' });
    const carol = await client.users.info({ user: 'U03CAROL' });
    const unknown = await errorOf(client.users.info({ user: 'U0NOPE' }));
    const unscoped = await errorOf(scoped.users.info({ user: 'U02BOB' }));
    // Assess
    expect(bob.user?.profile).toMatchObject({
      display_name: 'Bob Builder',
      real_name: 'Robert Builder',
    });
    expect(carol.user?.profile).toMatchObject({ display_name: '', real_name: 'carol' });
    expect(unknown.data?.error).toBe('user_not_found');
    expect(unscoped.data).toMatchObject({
      error: 'missing_scope',
      needed: 'users:read',
      provided: 'chat:write,commands',
    });
  });

  it('posts an ephemeral message only to a known user', async () => {
    // Prepare
    const { client, fake } = await startFake();
    // Act
    const sent = await client.chat.postEphemeral({
      channel: 'C0DRILLS',
      user: 'U01ALICE',
      text: 'Only you can see this',
    });
    const unknown = await errorOf(
      client.chat.postEphemeral({ channel: 'C0DRILLS', user: 'U0NOPE', text: 'x' }),
    );
    // Assess
    expect(sent.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(unknown.data?.error).toBe('user_not_found');
    expect(fake.ephemerals).toEqual([
      expect.objectContaining({ user: 'U01ALICE', text: 'Only you can see this' }),
    ]);
    expect(fake.messages('C0DRILLS')).toEqual([]);
  });

  it('records what is posted to a response_url', async () => {
    // Prepare
    const { fake, clock } = await startFake();
    clock.t += 42;
    // Act
    const response = await fetch(fake.responseUrl('cmd 1'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Drill queued', response_type: 'ephemeral' }),
    });
    // Assess
    expect(response.status).toBe(200);
    expect(fake.responses).toEqual([
      { id: 'cmd 1', body: { text: 'Drill queued', response_type: 'ephemeral' }, time: start + 42 },
    ]);
  });
});
