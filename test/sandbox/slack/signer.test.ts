import { App, AwsLambdaReceiver, verifySlackRequest } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../../sandbox/slack/fake-slack.ts';
import {
  apiGatewayEvent,
  interactionBody,
  signSlackRequest,
  slashCommandBody,
} from '../../../sandbox/slack/signer.ts';

const signingSecret = 'fake-signing-secret';
const now = 1_700_000_000_000;

/** What API Gateway (HTTP API, payload v2) hands the ingress Lambda for a POST from Slack. */
function verify(body: string, headers: Record<string, string>, secret = signingSecret): void {
  verifySlackRequest({
    signingSecret: secret,
    body,
    headers: {
      'x-slack-signature': headers['x-slack-signature'] ?? '',
      'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
    },
    nowMilliseconds: now,
  });
}

describe('signSlackRequest', () => {
  it('makes a signature that Bolt verifies', () => {
    // Prepare
    const body = slashCommandBody({
      command: '/dr',
      text: 'drill bcbsaz',
      userId: 'U01ALICE',
      channelId: 'C0DRILLS',
      teamId: 'T0LIFEBOAT',
      responseUrl: 'http://127.0.0.1:1/response/1',
      triggerId: '1.T0LIFEBOAT.trigger',
    });
    // Act
    const headers = signSlackRequest({ signingSecret, body, timestamp: now / 1000 });
    // Assess
    expect(() => verify(body, { ...headers })).not.toThrow();
    expect(headers['x-slack-request-timestamp']).toBe('1700000000');
    expect(headers['x-slack-signature']).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it.each([
    ['a tampered body', 'text=drill+dmnt', now / 1000, signingSecret, /signature mismatch/],
    ['a stale timestamp', 'text=drill+bcbsaz', now / 1000 - 301, signingSecret, /stale/],
    ['another secret', 'text=drill+bcbsaz', now / 1000, 'other-secret', /signature mismatch/],
  ])('is rejected by Bolt for %s', (_case, sentBody, timestamp, secret, error) => {
    // Prepare
    const headers = signSlackRequest({
      signingSecret: secret,
      body: 'text=drill+bcbsaz',
      timestamp,
    });
    // Act
    const act = () => verify(sentBody, { ...headers });
    // Assess
    expect(act).toThrow(error);
  });

  it('refuses an empty secret or a timestamp in milliseconds', () => {
    // Prepare
    const body = 'a=b';
    // Act
    const empty = () => signSlackRequest({ signingSecret: '', body });
    const fractional = () => signSlackRequest({ signingSecret, body, timestamp: 1.5 });
    // Assess
    expect(empty).toThrow(/signingSecret/);
    expect(fractional).toThrow(/1.5/);
  });
});

describe('request bodies, through a real Bolt app', () => {
  let fake: FakeSlack;
  beforeAll(async () => {
    fake = await new FakeSlack({ users: { U01ALICE: { name: 'alice' } } }).start();
  });
  afterAll(() => fake.close());

  async function startApp() {
    const receiver = new AwsLambdaReceiver({ signingSecret });
    const app = new App({
      token: 'xoxb-fake',
      receiver,
      clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
      deferInitialization: true,
    });
    // Bolt checks its token with auth.test; wait for it so no call outlives the fake.
    await app.init();
    const handler = receiver.toHandler();
    const send = (body: string) =>
      handler(apiGatewayEvent(body, { ...signSlackRequest({ signingSecret, body }) }), {});
    return { app, handler, send };
  }

  it('delivers a slash command with its text, user, channel and response_url', async () => {
    // Prepare
    const { app, send } = await startApp();
    const seen: Record<string, string>[] = [];
    app.command('/dr', async ({ ack, command, respond }) => {
      await ack();
      seen.push({ ...command });
      await respond({ text: `drill requested by <@${command.user_id}>` });
    });
    const body = slashCommandBody({
      command: '/dr',
      text: 'drill bcbsaz',
      userId: 'U01ALICE',
      channelId: 'C0DRILLS',
      teamId: 'T0LIFEBOAT',
      responseUrl: fake.responseUrl('cmd-1'),
      triggerId: fake.triggerId(),
    });
    // Act
    const result = await send(body);
    // Assess
    expect(result.statusCode).toBe(200);
    expect(seen).toEqual([
      expect.objectContaining({
        command: '/dr',
        text: 'drill bcbsaz',
        user_id: 'U01ALICE',
        channel_id: 'C0DRILLS',
        team_id: 'T0LIFEBOAT',
      }),
    ]);
    expect(fake.responses).toContainEqual(
      expect.objectContaining({ id: 'cmd-1', body: { text: 'drill requested by <@U01ALICE>' } }),
    );
  });

  it('delivers a block action from its payload', async () => {
    // Prepare
    const { app, send } = await startApp();
    const values: string[] = [];
    app.action('approve', async ({ ack, action }) => {
      await ack();
      if (action.type === 'button') values.push(action.value ?? '');
    });
    const body = interactionBody({
      type: 'block_actions',
      team: { id: 'T0LIFEBOAT', domain: 'lifeboat' },
      user: { id: 'U01ALICE', username: 'alice', team_id: 'T0LIFEBOAT' },
      api_app_id: 'A0LIFEBOAT',
      token: 'fake-verification-token',
      trigger_id: fake.triggerId(),
      response_url: fake.responseUrl('action-1'),
      channel: { id: 'C0DRILLS', name: 'dr-drills' },
      container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0DRILLS' },
      actions: [
        {
          type: 'button',
          action_id: 'approve',
          block_id: 'approval',
          value: 'op-42',
          text: { type: 'plain_text', text: 'Approve' },
          action_ts: '1700000001.000200',
        },
      ],
    });
    // Act
    const result = await send(body);
    // Assess
    expect(result.statusCode).toBe(200);
    expect(values).toEqual(['op-42']);
  });

  it('is refused by Bolt when the body is changed after signing', async () => {
    // Prepare
    const { app, handler } = await startApp();
    let delivered = false;
    app.command('/dr', async ({ ack }) => {
      delivered = true;
      await ack();
    });
    const body = 'command=%2Fdr&text=drill';
    const headers = signSlackRequest({ signingSecret, body });
    // Act
    const result = await handler(apiGatewayEvent(`${body}+dmnt`, { ...headers }), {});
    // Assess
    expect(result.statusCode).toBe(401);
    expect(delivered).toBe(false);
  });
});
