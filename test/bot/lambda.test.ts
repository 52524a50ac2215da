import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { IngressEnvSchema, NotifierEnvSchema } from '../../bot/env.ts';
import type { AwsHandler } from '../../bot/ingress.ts';
import { createIngressLambda } from '../../bot/ingress-lambda.ts';
import { createNotifierLambda } from '../../bot/notifier-handler.ts';
import { apiGatewayEvent, signSlackRequest, slashCommandBody } from '../../sandbox/slack/signer.ts';
import { SANDBOX_SIGNING_SECRET, SANDBOX_TEAM, SlackSandbox } from '../../sandbox/slack-sandbox.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../helpers.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** A message of the notifier's FIFO queue, as Lambda hands it over. */
function sqsRecord(messageId: string, body: string, group = 'g'): SQSRecord {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'lifeboat',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: group,
      MessageDeduplicationId: messageId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-2:111122223333:lifeboat-notify.fifo',
    awsRegion: 'us-east-2',
  };
}

const lambdaContext = {} as Context;

/** The deployed Lambdas, built from their environment as in AWS, against the local world. */
describe('the Lambda entry points', () => {
  let sandbox: SlackSandbox;
  let ingress: AwsHandler;
  let notifier: ReturnType<typeof createNotifierLambda>;
  /** The bot Lambdas' own variables, beside the orchestrator's (the sandbox's). */
  let botVariables: Record<string, string>;

  beforeAll(async () => {
    sandbox = await SlackSandbox.start({ plansDir: SAMPLE_PLANS, settingsFile: SAMPLE_SETTINGS });
    botVariables = {
      SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-lifeboat-local',
      SLACK_TEAM_ID: SANDBOX_TEAM,
      SLACK_BOT_ID: 'B0LIFEBOAT',
      SLACK_BOT_USER_ID: 'U0LIFEBOAT',
      SLACK_API_URL: `${sandbox.slack.apiUrl}`,
      STATE_MACHINE_ARN_PATTERN:
        'arn:aws:states:{region}:111122223333:stateMachine:lifeboat-runbook',
      LIFEBOAT_ADMINS: 'S0LIFEBOATADMINS',
    };
    const orchestrator = sandbox.orchestrator.environment;
    ingress = createIngressLambda({
      ...orchestrator,
      ...IngressEnvSchema.parse({ ...orchestrator, ...botVariables }),
    });
    notifier = createNotifierLambda({
      ...orchestrator,
      ...NotifierEnvSchema.parse({ ...orchestrator, ...botVariables }),
    });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.stop();
  });
  afterEach(() => vi.unstubAllEnvs());

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

  it("answers the REST API's event Slack's route sends (behind AWS WAF), headers in Slack's own case", async () => {
    // Prepare: API Gateway REST (payload 1.0), mapped at /slack on the bot's name
    const body = command('help');
    const signed = signSlackRequest({ signingSecret: SANDBOX_SIGNING_SECRET, body });
    const headers = Object.fromEntries(
      Object.entries(signed).map(([name, value]) => [
        name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase()),
        value,
      ]),
    );
    const restEvent = {
      resource: '/events',
      path: '/slack/events',
      httpMethod: 'POST',
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: null,
      body,
      isBase64Encoded: false,
      requestContext: { httpMethod: 'POST', resourcePath: '/events', stage: 'live' },
    };
    // Act
    const help = await ingress(restEvent as never, {});
    const forged = await ingress({ ...restEvent, body: `${body}x` } as never, {});
    // Assess
    expect(Object.keys(headers)).toContain('X-Slack-Signature');
    expect(help.statusCode).toBe(200);
    expect(JSON.parse(help.body).text).toMatch(/`\/dr drill &lt;customer&gt; \[--bubble\]`/);
    expect(forged.statusCode).toBe(401);
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
          sqsRecord('m1', JSON.stringify(job), 'readiness-dmnt'),
          sqsRecord('m2', '{"executionId": 42}', 'run-1'),
        ],
      },
      lambdaContext,
    );
    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
    const answer = sandbox.slack.responses.find((r) => r.id === 'lambda-readiness');
    expect(JSON.stringify(answer?.body)).toMatch(/Readiness of DMNT.*Replication healthy/);
  });

  it("the notifier holds back the rest of a failed message's group, and goes on with other groups", async () => {
    // Prepare
    const job = (id: string) =>
      JSON.stringify({
        kind: 'readiness',
        customerId: 'dmnt',
        operation: 'drill',
        responseUrl: sandbox.slack.responseUrl(id),
        userId: 'U01ALICE',
      });
    // Act
    const result = await notifier(
      {
        Records: [
          sqsRecord('a1', '{"executionId": 42}', 'A'),
          sqsRecord('b1', job('fifo-b1'), 'B'),
          sqsRecord('a2', job('fifo-a2'), 'A'),
          sqsRecord('b2', job('fifo-b2'), 'B'),
        ],
      },
      lambdaContext,
    );
    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'a1' }, { itemIdentifier: 'a2' }]);
    const answered = sandbox.slack.responses
      .map((r) => r.id)
      .filter((id) => id.startsWith('fifo-'));
    expect(answered).toEqual(['fifo-b1', 'fifo-b2']);
  });

  it('wires once at a cold start: requests that come while it is going wait for the same one', async () => {
    // Prepare: the wiring reads the clock once for each part it builds; this clock counts.
    let clockReads = 0;
    const clock = createServer((_request, response) => {
      clockReads += 1;
      response.end(JSON.stringify({ now: new Date().toISOString(), speed: 1 }));
    });
    await new Promise<void>((resolve) => clock.listen(0, '127.0.0.1', resolve));
    const orchestrator = {
      ...sandbox.orchestrator.environment,
      LIFEBOAT_CLOCK_URL: `http://127.0.0.1:${(clock.address() as AddressInfo).port}/`,
    };
    const fresh = () =>
      createIngressLambda({
        ...orchestrator,
        ...IngressEnvSchema.parse({ ...orchestrator, ...botVariables }),
      });
    try {
      const single = fresh();
      await single(event(command('help')) as never, {});
      const readsOfOneColdStart = clockReads;
      clockReads = 0;
      const coldLambda = fresh();

      // Act
      const atOnce = await Promise.all(
        [1, 2, 3].map(() => coldLambda(event(command('help')) as never, {})),
      );
      const readsAtOnce = clockReads;
      await coldLambda(event(command('help')) as never, {});

      // Assess
      expect(atOnce.map((answer) => answer.statusCode)).toEqual([200, 200, 200]);
      expect(readsOfOneColdStart).toBeGreaterThan(0);
      expect(readsAtOnce).toBe(readsOfOneColdStart);
      expect(clockReads).toBe(readsOfOneColdStart);
    } finally {
      clock.close();
    }
  });

  it('each entry module builds its handlers from process.env when Lambda loads it', async () => {
    // Prepare
    const variables = { ...sandbox.orchestrator.environment, ...botVariables };
    // As infra writes them: the parsed cluster endpoints back as their JSON.
    for (const [name, value] of Object.entries(variables))
      if (value !== undefined)
        vi.stubEnv(name, typeof value === 'string' ? value : JSON.stringify(value));
    // Act
    const ingressEntry = await import('../../bot/lambda.ts');
    const notifierEntry = await import('../../bot/notifier-lambda.ts');
    const tasksEntry = await import('../../orchestrator/handlers/tasks.ts');
    const help = await ingressEntry.handler(event(command('help')) as never, {});
    // Assess
    expect(help.statusCode).toBe(200);
    expect(notifierEntry.handler).toBeTypeOf('function');
    // The handler names infra gives the task functions (RunbookTaskFunctions, and the incident's).
    expect(Object.keys(tasksEntry).sort()).toEqual(
      [
        'applyDecision',
        'expireGates',
        'failStep',
        'finish',
        'incident',
        'next',
        'openGate',
        'pollStep',
        'prepare',
        'startStep',
      ].sort(),
    );
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

  it('over HTTP, answers a signed payload=null with 400 and an unsigned text body with 401, leaving nothing unhandled', async () => {
    // Prepare
    const app = sandbox.bot.app({ mode: 'http', port: 0 });
    const server = (await app.start(0)) as Server;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      // Act
      const nullPayload = await fetch(url, {
        method: 'POST',
        headers: {
          ...signSlackRequest({ signingSecret: SANDBOX_SIGNING_SECRET, body: 'payload=null' }),
        },
        body: 'payload=null',
        signal: AbortSignal.timeout(3000),
      });
      const unsigned = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'drill dmnt',
        signal: AbortSignal.timeout(3000),
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Assess
      expect(nullPayload.status).toBe(400);
      expect(await nullPayload.text()).toMatch(/`payload` is not a JSON object/);
      expect(unsigned.status).toBe(401);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
      await app.stop();
    }
  });

  it.each([
    ['an unfinished payload', 'payload=%7B', 'application/x-www-form-urlencoded'],
    ['a text body', 'drill dmnt', 'text/plain'],
    [
      'a form that names its charset',
      'text=help',
      'application/x-www-form-urlencoded; charset=utf-8',
    ],
  ])('the ingress Lambda answers 401 to an unsigned request with %s', async (_, body, type) => {
    // Act
    const answer = await ingress(apiGatewayEvent(body, { 'content-type': type }) as never, {});
    // Assess
    expect(answer.statusCode).toBe(401);
  });
});
