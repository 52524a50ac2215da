import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../../sandbox/slack/fake-slack.ts';
import { SlackWatcher } from '../../../sandbox/terminal/slack-watcher.ts';
import { Transcript } from '../../../sandbox/terminal/transcript.ts';

const CHANNEL = 'C0BCBSAZDR';
const running: FakeSlack[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fake) => fake.close()));
});

async function watched() {
  const clock = { t: 1_700_000_000_000 };
  const fake = await new FakeSlack({
    users: { U02BOB: { name: 'bob' } },
    now: () => clock.t,
  }).start();
  running.push(fake);
  const client = new WebClient('xoxb-fake', {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
  });
  const transcript = new Transcript();
  const watcher = new SlackWatcher(fake, transcript, {
    channels: () => [CHANNEL],
    channelOf: () => CHANNEL,
  });
  return { fake, client, clock, transcript, watcher };
}

describe('SlackWatcher', () => {
  it('reads new messages, thread replies, broadcasts and edits from the fake Slack, in order', async () => {
    // Prepare
    const { client, clock, transcript, watcher } = await watched();
    const card = await client.chat.postMessage({ channel: CHANNEL, text: 'status: running' });
    clock.t += 1_000;
    await client.chat.postMessage({ channel: CHANNEL, thread_ts: String(card.ts), text: 'wave 1' });
    clock.t += 1_000;
    await client.chat.update({ channel: CHANNEL, ts: String(card.ts), text: 'status: done' });
    clock.t += 1_000;
    await client.chat.postMessage({
      channel: CHANNEL,
      thread_ts: String(card.ts),
      text: 'report',
      reply_broadcast: true,
    });
    // Act
    const changed = watcher.poll();
    const again = watcher.poll();
    // Assess
    expect(changed).toBe(true);
    expect(again).toBe(false);
    expect(
      transcript.items.map((i) =>
        i.kind === 'message' ? [i.text, i.threadTs ?? '', i.edits, i.broadcast] : [],
      ),
    ).toEqual([
      ['status: done', '', 1, false],
      ['wave 1', String(card.ts), 0, false],
      ['report', String(card.ts), 0, true],
    ]);
  });

  it('shows an edit made after it was first seen as an edit of the same item', async () => {
    // Prepare
    const { client, transcript, watcher } = await watched();
    const card = await client.chat.postMessage({ channel: CHANNEL, text: 'Approve?' });
    watcher.poll();
    const version = transcript.version;
    // Act
    await client.chat.update({ channel: CHANNEL, ts: String(card.ts), text: 'Approved by bob' });
    watcher.poll();
    // Assess
    expect(transcript.version).toBeGreaterThan(version);
    expect(transcript.items).toHaveLength(1);
    expect(transcript.message(CHANNEL, String(card.ts))).toMatchObject({
      text: 'Approved by bob',
      edits: 1,
    });
  });

  it('shows answers to response_urls privately, beside the message whose button was clicked', async () => {
    // Prepare
    const { fake, client, transcript, watcher } = await watched();
    const card = await client.chat.postMessage({ channel: CHANNEL, text: 'Approve?' });
    const reply = await client.chat.postMessage({
      channel: CHANNEL,
      thread_ts: String(card.ts),
      text: 'Sign off?',
    });
    const post = (id: string, body: unknown) =>
      fetch(fake.responseUrl(id), { method: 'POST', body: JSON.stringify(body) });
    // Act
    await post(`click-U02BOB-${reply.ts}-sign_off_open`, {
      response_type: 'ephemeral',
      text: 'Only the sign-off list may.',
    });
    await post('cmd-U02BOB-1700000000000', { text: 'Readiness: 7/7 pass' });
    watcher.poll();
    // Assess
    const privates = transcript.items.filter((i) => i.kind === 'ephemeral');
    expect(privates).toEqual([
      expect.objectContaining({
        user: 'U02BOB',
        threadTs: String(card.ts),
        text: 'Only the sign-off list may.',
      }),
      expect.objectContaining({ user: 'U02BOB', channel: CHANNEL, text: 'Readiness: 7/7 pass' }),
    ]);
    expect(privates[1]).not.toHaveProperty('threadTs');
  });
});
