import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as ingress } from '../../bot/lambda.ts';
import { handler as notifier } from '../../bot/notifier-lambda.ts';
import { CUSTOMERS_DIR, ROOT } from '../../cli/io.ts';
import { apiGatewayEvent, signSlackRequest, slashCommandBody } from '../../sandbox/slack/signer.ts';
import { SANDBOX_SIGNING_SECRET, SANDBOX_TEAM, SlackSandbox } from '../../sandbox/slack-sandbox.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** The deployed entry points, built from their environment as in AWS, against the local world. */
describe('the Lambda entry points', () => {
  let sandbox: SlackSandbox;

  beforeAll(async () => {
    sandbox = await SlackSandbox.start({ plansDir: CUSTOMERS_DIR, root: ROOT });
    Object.assign(process.env, {
      SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-lifeboat-local',
      SLACK_TEAM_ID: SANDBOX_TEAM,
      SLACK_BOT_ID: 'B0LIFEBOAT',
      SLACK_BOT_USER_ID: 'U0LIFEBOAT',
      SLACK_API_URL: `${sandbox.slack.apiUrl}`,
      STATE_MACHINE_ARN_PATTERN:
        'arn:aws:states:{region}:111122223333:stateMachine:lifeboat-runbook',
      LIFEBOAT_ADMINS: 'S0LIFEBOATADMINS',
    });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  const event = (body: string, secret = SANDBOX_SIGNING_SECRET) =>
    apiGatewayEvent(body, { ...signSlackRequest({ signingSecret: secret, body }) });
  const command = (text: string) =>
    slashCommandBody({
      command: '/dr',
      text,
      userId: 'U01ALICE',
      channelId: 'C0DMNTDR',
      teamId: SANDBOX_TEAM,
      responseUrl: sandbox.slack.responseUrl(`lambda-${text}`),
      triggerId: sandbox.slack.triggerId(),
    });

  it('the ingress answers a signed command from its environment, and 401 to a forged one', async () => {
    // Act
    const help = await ingress(event(command('help')) as never, {});
    const status = await ingress(event(command('status dmnt')) as never, {});
    const forged = await ingress(event(command('help'), 'wrong') as never, {});
    // Assess
    expect(help.statusCode).toBe(200);
    expect(JSON.parse(help.body).text).toMatch(/`\/dr drill &lt;customer&gt; \[--bubble\]`/);
    expect(JSON.parse(status.body).text).toMatch(/No operation is running for DMNT/);
    expect(forged.statusCode).toBe(401);
    expect(sandbox.slack.calls.filter((c) => c.method === 'auth.test')).toEqual([]);
  });

  it('the notifier answers a readiness job and reports a malformed message back to the queue', async () => {
    // Prepare
    const job = {
      kind: 'readiness',
      customerId: 'dmnt',
      operation: 'drill',
      responseUrl: sandbox.slack.responseUrl('lambda-readiness'),
      userId: 'U01ALICE',
    };
    // Act
    const result = await notifier(
      {
        Records: [
          { messageId: 'm1', body: JSON.stringify(job) },
          { messageId: 'm2', body: '{"executionId": 42}' },
        ],
      },
      {},
    );
    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
    const answer = sandbox.slack.responses.find((r) => r.id === 'lambda-readiness');
    expect(JSON.stringify(answer?.body)).toMatch(/Readiness of DMNT.*Replication healthy/);
  });

  it('the same app answers over HTTP for local use, and 401 to a forged request', async () => {
    // Prepare
    const app = sandbox.bot.app({ mode: 'http', port: 0 });
    const server = (await app.start(0)) as Server;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    const body = command('help');
    const post = (secret: string) =>
      fetch(url, {
        method: 'POST',
        headers: { ...signSlackRequest({ signingSecret: secret, body }) },
        body,
      });
    try {
      // Act
      const signed = await post(SANDBOX_SIGNING_SECRET);
      const forged = await post('wrong');
      // Assess
      expect(signed.status).toBe(200);
      expect(((await signed.json()) as { text: string }).text).toMatch(/\/dr readiness/);
      expect(forged.status).toBe(401);
    } finally {
      await app.stop();
    }
  });
});
