import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { createDisplayNameResolver, nameCaller } from '../../bot/display-names.ts';
import { FakeSlack, type FakeSlackOptions } from '../../sandbox/slack/fake-slack.ts';

const running: FakeSlack[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fake) => fake.close()));
});

async function startFake(options: FakeSlackOptions = {}) {
  const fake = await new FakeSlack({
    users: {
      U02BOB: { name: 'bob', realName: 'Robert Builder', displayName: 'Bob Builder' },
      U03CAROL: { name: 'carol', realName: 'Carol Chen' },
    },
    ...options,
  }).start();
  running.push(fake);
  const client = new WebClient('xoxb-fake', {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    logLevel: LogLevel.ERROR,
  });
  return { fake, client };
}

const infoCalls = (fake: FakeSlack) => fake.calls.filter((c) => c.method === 'users.info');

describe('display names', () => {
  it("takes the profile's display name, else the real name, and keeps it for a while", async () => {
    // Prepare
    const { fake, client } = await startFake();
    const clock = { t: 0 };
    const nameOf = createDisplayNameResolver({ ttlMs: 60_000, now: () => clock.t });
    // Act
    const bob = await nameOf(client, 'U02BOB');
    const carol = await nameOf(client, 'U03CAROL');
    const again = await nameOf(client, 'U02BOB');
    const callsBefore = infoCalls(fake).length;
    clock.t += 60_000;
    await nameOf(client, 'U02BOB');
    // Assess
    expect([bob, carol, again]).toEqual(['Bob Builder', 'Carol Chen', 'Bob Builder']);
    expect(callsBefore).toBe(2);
    expect(infoCalls(fake)).toHaveLength(3);
  });

  it.each<[string, FakeSlackOptions]>([
    ['an unknown user', {}],
    ['a token without users:read', { scopes: ['chat:write', 'commands', 'usergroups:read'] }],
    [
      'a Slack failure',
      { refuse: ({ method }) => (method === 'users.info' ? 'fatal_error' : undefined) },
    ],
  ])('falls back to the payload name for %s, and asks again next time', async (_, options) => {
    // Prepare
    const { fake, client } = await startFake(options);
    const deps = { displayNameOf: createDisplayNameResolver() };
    const user = options.scopes || options.refuse ? 'U02BOB' : 'U0NOPE';
    // Act
    const first = await nameCaller(deps, client, { id: user, name: 'bob' });
    const second = await nameCaller(deps, client, { id: user, name: 'bob' });
    // Assess
    expect([first, second]).toEqual(['bob', 'bob']);
    expect(infoCalls(fake).every((c) => !c.ok)).toBe(true);
    expect(infoCalls(fake)).toHaveLength(2);
  });

  it('gives up on a slow answer within its timeout, and the payload name is used', async () => {
    // Prepare: a Web API that never answers
    const silent = { users: { info: () => new Promise(() => {}) } } as unknown as WebClient;
    const deps = { displayNameOf: createDisplayNameResolver({ timeoutMs: 50 }) };
    const started = Date.now();
    // Act
    const name = await nameCaller(deps, silent, { id: 'U02BOB', name: 'bob' });
    // Assess
    expect(name).toBe('bob');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('uses the payload name when no resolver is wired', async () => {
    expect(await nameCaller({}, {} as WebClient, { id: 'U02BOB', name: 'bob' })).toBe('bob');
  });
});
