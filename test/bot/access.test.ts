import type { WebClient } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { createGroupResolver } from '../../bot/access.ts';
import { SlackUnavailableError } from '../../bot/errors.ts';

/** A Web API client that knows only usergroups.users.list; fake Slack cannot be made to fail it. */
function client(answer: (group: string) => string[] | Error) {
  const asked: string[] = [];
  const fake = {
    usergroups: {
      users: {
        list: async ({ usergroup }: { usergroup: string }) => {
          asked.push(usergroup);
          const result = answer(usergroup);
          if (result instanceof Error) throw result;
          return { ok: true, users: result };
        },
      },
    },
  };
  return { client: fake as unknown as WebClient, asked };
}

describe('createGroupResolver', () => {
  it('finds the candidate groups a user is in, asking Slack once a minute per group', async () => {
    // Prepare
    let now = 0;
    const resolve = createGroupResolver(60_000, () => now);
    const slack = client((g) => (g === 'S0OPS' ? ['U01ALICE'] : ['U02BOB']));
    // Act
    const first = await resolve(slack.client, 'U01ALICE', ['S0OPS', 'S0LEADS']);
    const cached = await resolve(slack.client, 'U02BOB', ['S0OPS', 'S0LEADS']);
    now = 61_000;
    await resolve(slack.client, 'U02BOB', ['S0LEADS']);
    // Assess
    expect(first).toEqual(['S0OPS']);
    expect(cached).toEqual(['S0LEADS']);
    expect(slack.asked).toEqual(['S0OPS', 'S0LEADS', 'S0LEADS']);
  });

  it('a group Slack does not know grants nothing; Slack being busy is an error, not a denial', async () => {
    // Prepare
    const resolve = createGroupResolver();
    const unknown = Object.assign(new Error('An API error occurred: no_such_subteam'), {
      data: { error: 'no_such_subteam' },
    });
    const busy = Object.assign(new Error('A rate limit was exceeded'), { retryAfter: 30 });
    // Act
    const none = await resolve(client(() => unknown).client, 'U01ALICE', ['S0GONE']);
    const failing = resolve(client(() => busy).client, 'U01ALICE', ['S0OPS']);
    // Assess
    expect(none).toEqual([]);
    await expect(failing).rejects.toBeInstanceOf(SlackUnavailableError);
    await expect(failing).rejects.toThrow(/cannot check your role right now; nothing changed/);
  });
});
