/**
 * Slack ingress: how long Slack waits for Lifeboat's answer to `/dr drill` and to an Approve
 * click, through the ingress Lambda's real handler (`createIngressHandler`: Bolt's
 * AwsLambdaReceiver, signed requests) called in-process, against a bare Bolt app whose listeners
 * only ack, given the same signed requests in the same run; and the size of the bundled ingress.
 *
 * The handler runs on the local sandbox's table, plans, user groups (the fake Slack) and state
 * machine, but its Step Functions calls go through the real SFN client to a loopback stand-in
 * that only answers: in AWS, StartExecution and SendTaskSuccess are one HTTPS call each, while
 * the sandbox's own starter builds and runs the state machine in-process inside the ack (its
 * cost is printed apart). The bench hands each call on to the local runner after the sample,
 * so runs reach their approval gates and end with no run working in the background of a sample.
 * Figures are from one run on this machine; nothing here asserts a time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { App, AwsLambdaReceiver, LogLevel } from '@slack/bolt';
import { createGroupResolver } from '../bot/access.ts';
import { GATE_ACTION } from '../bot/blocks/prompts.ts';
import type { BotDeps } from '../bot/deps.ts';
import { type AwsEvent, type AwsHandler, createIngressHandler } from '../bot/ingress.ts';
import { CUSTOMERS_DIR, DEFAULTS_FILE } from '../cli/io.ts';
import { repositoryPlans } from '../infra/constructs/lifeboat-function.ts';
import { planConfigFrom } from '../orchestrator/adapters/bundled-plans.ts';
import type { DynamoDbStateStore } from '../orchestrator/adapters/dynamodb-state-store.ts';
import { SfnExecutionStarter } from '../orchestrator/adapters/sfn-executions.ts';
import { SfnTaskTokens } from '../orchestrator/adapters/sfn-task-tokens.ts';
import type { Region } from '../orchestrator/domain/regions.ts';
import { wireBotRunControl, wireCore } from '../orchestrator/handlers/control-wiring.ts';
import type { RunControl, StartRunRequest } from '../orchestrator/ports/run-control.ts';
import { LOCAL_TABLE, localStateStore } from '../sandbox/orchestrator.ts';
import type { FakeSlack } from '../sandbox/slack/fake-slack.ts';
import {
  apiGatewayEvent,
  interactionBody,
  signSlackRequest,
  slashCommandBody,
} from '../sandbox/slack/signer.ts';
import { SANDBOX_TEAM, SlackSandbox } from '../sandbox/slack-sandbox.ts';
import { describeBundle, firstAnswer, measureIngressBundles } from './ingress-bundle.ts';
import { percentile } from './planning.ts';

const SIGNING_SECRET = 'lifeboat-bench-signing-secret';
const BOT = { botToken: 'xoxb-lifeboat-bench', botId: 'B0LIFEBOAT', botUserId: 'U0LIFEBOAT' };
const DRILL_SAMPLES = 200;
/** Batches of one Approve click per customer; the first two warm up. */
const APPROVE_BATCHES = 18;

/** Who requests and who approves, where: the sample plans' own people and channels. */
const CUSTOMERS = [
  { id: 'bcbsaz', channel: 'C0BCBSAZDR', requester: 'U01ALICE', approver: 'U02BOB' },
  { id: 'dmnt', channel: 'C0DMNTDR', requester: 'U01ALICE', approver: 'U02BOB' },
  { id: 'nwhealth', channel: 'C0NWHEALTHDR', requester: 'U05ERIN', approver: 'U06FRANK' },
] as const;

interface SfnCall {
  target: 'StartExecution' | 'SendTaskSuccess';
  region: Region;
  body: Record<string, string>;
}

/** Step Functions' API as a loopback server that records and answers (awsJson1_0). */
async function startStepFunctionsFront() {
  const calls: SfnCall[] = [];
  const read = async (request: IncomingMessage) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    return JSON.parse(text) as Record<string, string>;
  };
  const server = createServer(async (request, response) => {
    const target = String(request.headers['x-amz-target']).split('.')[1] as SfnCall['target'];
    // The region is in the SigV4 credential scope: Credential=<key>/<date>/<region>/states/...
    const region = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(
      String(request.headers.authorization),
    )?.[1] as Region;
    const body = await read(request);
    calls.push({ target, region, body });
    const answer =
      target === 'StartExecution'
        ? {
            executionArn: `arn:aws:states:${region}:000000000000:execution:lifeboat:${body.name}`,
            startDate: Date.now() / 1000,
          }
        : {};
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    /** The calls received since the last take. */
    take: () => calls.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the SDK keeps its sockets alive
      }),
  };
}

/** The baseline: a Bolt app on the same receiver and secret whose listeners only ack. */
function createBareHandler(): AwsHandler {
  const receiver = new AwsLambdaReceiver({ signingSecret: SIGNING_SECRET });
  const app = new App({
    receiver,
    token: BOT.botToken,
    botId: BOT.botId,
    botUserId: BOT.botUserId,
    tokenVerificationEnabled: false,
    logLevel: LogLevel.WARN,
  });
  app.command('/dr', async ({ ack }) => ack());
  app.action(GATE_ACTION, async ({ ack }) => ack());
  return receiver.toHandler();
}

/** A signed request as API Gateway (HTTP API, payload 2.0) hands it to the Lambda. */
function signedEvent(body: string): AwsEvent {
  return apiGatewayEvent(body, { ...signSlackRequest({ signingSecret: SIGNING_SECRET, body }) });
}

function slashCommand(slack: FakeSlack, userId: string, channelId: string, text: string) {
  return signedEvent(
    slashCommandBody({
      command: '/dr',
      text,
      userId,
      channelId,
      teamId: SANDBOX_TEAM,
      responseUrl: slack.responseUrl(`bench-${userId}-${Date.now()}`),
      triggerId: slack.triggerId(),
    }),
  );
}

function approveClick(slack: FakeSlack, userId: string, channelId: string, gateId: string) {
  const ts = `${Math.floor(Date.now() / 1000)}.000100`;
  return signedEvent(
    interactionBody({
      type: 'block_actions',
      team: { id: SANDBOX_TEAM, domain: 'lifeboat' },
      user: { id: userId, username: userId, team_id: SANDBOX_TEAM },
      api_app_id: 'A0LIFEBOAT',
      token: 'fake-verification-token',
      trigger_id: slack.triggerId(),
      response_url: slack.responseUrl(`bench-click-${userId}-${gateId}`),
      channel: { id: channelId, name: channelId },
      container: { type: 'message', message_ts: ts, channel_id: channelId },
      message: { ts, type: 'message' },
      actions: [
        {
          type: 'button',
          action_id: 'gate_approve',
          block_id: 'actions',
          value: gateId,
          text: { type: 'plain_text', text: 'Approve' },
          action_ts: String(Date.now() / 1000),
        },
      ],
    }),
  );
}

/** Milliseconds from the request to the handler's answer, and the answer's text. */
async function ack(handler: AwsHandler, event: AwsEvent): Promise<{ ms: number; text: string }> {
  const started = performance.now();
  const response = await handler(event, {});
  const ms = performance.now() - started;
  if (response.statusCode !== 200)
    throw new Error(`The handler answered ${response.statusCode}: ${response.body}`);
  const text = response.body ? String((JSON.parse(response.body) as { text?: string }).text) : '';
  return { ms, text };
}

const runOf = (text: string) => {
  const id = /run `([^`]+)`/.exec(text)?.[1];
  if (!id) throw new Error(`The drill was not started: ${text}`);
  return id;
};

async function waitForApprovalGate(runs: RunControl, executionId: string): Promise<string> {
  for (const until = Date.now() + 60_000; Date.now() < until; ) {
    const gate = (await runs.openGates(executionId)).find((g) => g.kind === 'approval');
    if (gate) return gate.gateId;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Run ${executionId} did not reach its approval gate within 60 s`);
}

/** The handlers under test and what they run on. */
interface Setup {
  sandbox: SlackSandbox;
  sfn: Awaited<ReturnType<typeof startStepFunctionsFront>>;
  store: DynamoDbStateStore;
  /** Lifeboat with a warm group cache (filled by the first request, kept a minute). */
  cached: AwsHandler;
  /** Lifeboat looking up the user's groups on every request (a cache a minute old or a new Lambda). */
  uncached: AwsHandler;
  bare: AwsHandler;
}

interface Figures {
  bare: number[];
  cached: number[];
  uncached: number[];
  /** The first request of its kind: code loaded but never run, groups not cached. */
  cold: { lifeboat: number; bare: number };
  /** usergroups.users.list calls per uncached request. */
  lookups: number;
  /** The AWS calls one warm request (groups cached) made. */
  calls: AwsCalls;
}

/** The AWS calls of one request: DynamoDB's operations in order, then Step Functions'. */
interface AwsCalls {
  dynamodb: string[];
  sfn: SfnCall['target'][];
}

/**
 * Runs `act`, hearing the AWS calls it makes: the DynamoDB operations the local AWS receives,
 * and the Step Functions calls the stand-in records (whole, for the caller to hand on).
 */
async function heard<T>(
  setup: Setup,
  act: () => Promise<T>,
): Promise<{ result: T; calls: AwsCalls; sfnCalls: SfnCall[] }> {
  const dynamodb: string[] = [];
  setup.sfn.take();
  const stop = setup.sandbox.aws.onDynamoDbCall((operation) => dynamodb.push(operation));
  try {
    const result = await act();
    const sfnCalls = setup.sfn.take();
    return { result, calls: { dynamodb, sfn: sfnCalls.map((c) => c.target) }, sfnCalls };
  } finally {
    stop();
  }
}

async function setUp(sandbox: SlackSandbox, sfn: Setup['sfn']): Promise<Setup> {
  const sfnClient = (region: Region) =>
    new SFNClient({ region, endpoint: sfn.endpoint, maxAttempts: 2 });
  // Wired as the ingress Lambda wires it: the bot's run control, the plans bundled as data.
  const core = wireCore(sandbox.orchestrator.environment, planConfigFrom(repositoryPlans()));
  const runs = await wireBotRunControl(core, {
    executions: new SfnExecutionStarter(
      'arn:aws:states:{region}:000000000000:stateMachine:lifeboat',
      sfnClient,
    ),
    tokens: new SfnTaskTokens(sfnClient),
  });
  const lifeboat = (groupsOf: BotDeps['groupsOf']) =>
    createIngressHandler({
      ...BOT,
      signingSecret: SIGNING_SECRET,
      teamId: SANDBOX_TEAM,
      slackApiUrl: sandbox.slack.apiUrl,
      deps: {
        runs,
        incidents: sandbox.bot.deps.incidents,
        admins: [],
        groupsOf,
        now: Date.now,
        defer: async () => {},
      },
    });
  return {
    sandbox,
    sfn,
    store: localStateStore(sandbox.aws),
    cached: lifeboat(createGroupResolver()),
    uncached: lifeboat((...args) => createGroupResolver()(...args)),
    bare: createBareHandler(),
  };
}

function groupLookups(slack: FakeSlack): number {
  return slack.calls.filter((c) => c.method === 'usergroups.users.list').length;
}

/**
 * `/dr drill bcbsaz` as alice, the same signed request to each handler in turn. The run is not
 * handed on to the local state machine: its lock is released after the sample.
 */
async function measureDrills(setup: Setup): Promise<Figures> {
  const { sandbox, sfn, store, bare, cached, uncached } = setup;
  const figures: Figures = {
    bare: [],
    cached: [],
    uncached: [],
    cold: { lifeboat: 0, bare: 0 },
    lookups: 0,
    calls: { dynamodb: [], sfn: [] },
  };
  const send = async (handler: AwsHandler, event: AwsEvent) => {
    const answer = await ack(handler, event);
    if (handler !== bare) await store.releaseLock('bcbsaz', runOf(answer.text));
    sfn.take();
    return answer.ms;
  };
  const request = () => slashCommand(sandbox.slack, 'U01ALICE', 'C0BCBSAZDR', 'drill bcbsaz');
  const first = request();
  figures.cold = { lifeboat: await send(uncached, first), bare: await send(bare, first) };
  for (let i = 0; i < 30; i++)
    for (const handler of [uncached, bare, cached]) await send(handler, request());
  const lookupsBefore = groupLookups(sandbox.slack);
  for (let i = 0; i < DRILL_SAMPLES; i++) {
    const event = request();
    figures.uncached.push(await send(uncached, event));
    figures.bare.push(await send(bare, event));
    figures.cached.push(await send(cached, event));
  }
  figures.lookups = (groupLookups(sandbox.slack) - lookupsBefore) / DRILL_SAMPLES;
  const one = await heard(setup, () => ack(cached, request()));
  figures.calls = one.calls;
  await store.releaseLock('bcbsaz', runOf(one.result.text));
  return figures;
}

/**
 * Approve clicks: per batch, one drill per customer is started for real (the local state
 * machine runs its pre-flight and opens the approval gate), each gate is approved through the
 * handlers, then each run is aborted and resumed so it ends. Batches alternate between the
 * uncached and the cached handler; the first two warm up.
 */
async function measureApprovals(setup: Setup): Promise<Figures & { localStart: number[] }> {
  const { sandbox, sfn, bare, cached, uncached } = setup;
  const figures = {
    bare: [] as number[],
    cached: [] as number[],
    uncached: [] as number[],
    cold: { lifeboat: 0, bare: 0 },
    lookups: 0,
    calls: { dynamodb: [], sfn: [] } as AwsCalls,
    localStart: [] as number[],
  };
  let uncachedLookups = 0;
  for (let batch = 0; batch < APPROVE_BATCHES; batch++) {
    const started: { customer: (typeof CUSTOMERS)[number]; executionId: string }[] = [];
    for (const customer of CUSTOMERS) {
      const answer = await ack(
        cached,
        slashCommand(sandbox.slack, customer.requester, customer.channel, `drill ${customer.id}`),
      );
      started.push({ customer, executionId: runOf(answer.text) });
      for (const call of sfn.take()) {
        const t = performance.now();
        await sandbox.orchestrator.start(
          call.region,
          call.body.name ?? '',
          JSON.parse(call.body.input ?? '{}') as StartRunRequest,
        );
        figures.localStart.push(performance.now() - t);
      }
    }
    const gates = await Promise.all(
      started.map(({ executionId }) => waitForApprovalGate(sandbox.runs, executionId)),
    );
    const lifeboat = batch % 2 === 0 ? uncached : cached;
    const resumed: SfnCall[] = [];
    for (const [i, { customer }] of started.entries()) {
      const event = approveClick(
        sandbox.slack,
        customer.approver,
        customer.channel,
        gates[i] ?? '',
      );
      const bareMs = (await ack(bare, event)).ms;
      const lookupsBefore = groupLookups(sandbox.slack);
      const { result: answer, calls, sfnCalls } = await heard(setup, () => ack(lifeboat, event));
      // The calls of the first warm, cached click stand for every click's.
      if (lifeboat === cached && figures.calls.dynamodb.length === 0) figures.calls = calls;
      if (sfnCalls.length !== 1)
        throw new Error(`The Approve click did not decide the gate: ${answer.text}`);
      resumed.push(...sfnCalls);
      if (batch === 0 && i === 0) figures.cold = { lifeboat: answer.ms, bare: bareMs };
      if (batch < 2) continue;
      figures.bare.push(bareMs);
      figures[lifeboat === cached ? 'cached' : 'uncached'].push(answer.ms);
      if (lifeboat === uncached) uncachedLookups += groupLookups(sandbox.slack) - lookupsBefore;
    }
    // Abort each run, then let it resume: it stops at its next step and writes its report.
    for (const [i, { customer, executionId }] of started.entries()) {
      await sandbox.runs.requestAbort(executionId, customer.requester);
      const call = resumed[i];
      if (call)
        await sandbox.orchestrator.succeed(
          call.region,
          call.body.taskToken ?? '',
          JSON.parse(call.body.output ?? '{}') as Record<string, unknown>,
        );
    }
    await Promise.all(started.map(({ executionId }) => sandbox.orchestrator.settled(executionId)));
  }
  figures.lookups = uncachedLookups / figures.uncached.length;
  return figures;
}

const sorted = (samples: number[]) => [...samples].sort((a, b) => a - b);
const ms = (n: number) => `${n.toFixed(1)} ms`;

function printFigures(figures: Figures): void {
  const bare = sorted(figures.bare);
  const base = { p50: percentile(bare, 50), p99: percentile(bare, 99) };
  const rows: [string, number[]][] = [
    ['bare Bolt app (ack only)', bare],
    ['Lifeboat, user groups cached', sorted(figures.cached)],
    [`Lifeboat, groups looked up (${figures.lookups.toFixed(1)} calls)`, sorted(figures.uncached)],
  ];
  for (const [label, samples] of rows) {
    const p50 = percentile(samples, 50);
    const p99 = percentile(samples, 99);
    const ratio =
      samples === bare
        ? ''
        : `  ratio to bare: p50 ${(p50 / base.p50).toFixed(0)}x, p99 ${(p99 / base.p99).toFixed(0)}x`;
    console.log(
      `    ${label.padEnd(38)} p50 ${p50.toFixed(2).padStart(6)} ms  p99 ${p99.toFixed(2).padStart(6)} ms${ratio}`,
    );
  }
}

/** The ingress Lambda's environment in a fresh process, pointed at the local world. */
function bundleEnvironment(sandbox: SlackSandbox, sfnEndpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SFN: sfnEndpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    STATE_TABLE: LOCAL_TABLE,
    PLANS_DIR: CUSTOMERS_DIR,
    SETTINGS_FILE: DEFAULTS_FILE,
    SLACK_TEAM_ID: SANDBOX_TEAM,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT.botToken,
    SLACK_BOT_ID: BOT.botId,
    SLACK_BOT_USER_ID: BOT.botUserId,
    SLACK_API_URL: sandbox.slack.apiUrl,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    STATE_MACHINE_ARN_PATTERN: 'arn:aws:states:{region}:000000000000:stateMachine:lifeboat',
  };
}

/**
 * The calls a request made, made again on their own, one after another, `samples` times: the
 * same DynamoDB operations on the same table (items of the bench's own, a few hundred bytes
 * each) and the same Step Functions calls to the loopback stand-in. What the request's ack
 * cannot be faster than, beside Bolt.
 */
async function replayCalls(setup: Setup, calls: AwsCalls, samples = 100): Promise<number[]> {
  const region = 'us-east-2';
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region,
      endpoint: setup.sandbox.aws.environment().AWS_ENDPOINT_URL_DYNAMODB,
    }),
  );
  const sfn = new SFNClient({ region, endpoint: setup.sfn.endpoint, maxAttempts: 2 });
  const pk = 'BENCH#calls';
  const data = 'x'.repeat(300);
  const dynamodb = async (operation: string, n: number) => {
    const Key = { pk, sk: `item#${n}` };
    const TableName = LOCAL_TABLE;
    switch (operation) {
      case 'GetItem':
        return documents.send(new GetCommand({ TableName, Key, ConsistentRead: true }));
      case 'PutItem':
        return documents.send(new PutCommand({ TableName, Item: { ...Key, data } }));
      case 'UpdateItem':
        return documents.send(
          new UpdateCommand({
            TableName,
            Key,
            UpdateExpression: 'SET #d = :d',
            ExpressionAttributeNames: { '#d': 'data' },
            ExpressionAttributeValues: { ':d': data },
          }),
        );
      case 'DeleteItem':
        return documents.send(new DeleteCommand({ TableName, Key }));
      case 'Query':
        return documents.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            Limit: 20,
          }),
        );
      case 'BatchWriteItem':
        return documents.send(
          new BatchWriteCommand({
            RequestItems: { [TableName]: [{ PutRequest: { Item: { ...Key, data } } }] },
          }),
        );
      case 'TransactWriteItems':
        return documents.send(
          new TransactWriteCommand({
            TransactItems: [{ Put: { TableName, Item: { ...Key, data } } }],
          }),
        );
      default:
        throw new Error(
          `The bench does not replay DynamoDB's ${operation}: add it to replayCalls.`,
        );
    }
  };
  const stateMachineArn = `arn:aws:states:${region}:000000000000:stateMachine:lifeboat`;
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    for (const [n, operation] of calls.dynamodb.entries()) await dynamodb(operation, n);
    for (const target of calls.sfn) {
      if (target === 'StartExecution')
        await sfn.send(
          new StartExecutionCommand({ stateMachineArn, name: `bench-calls-${i}`, input: '{}' }),
        );
      else await sfn.send(new SendTaskSuccessCommand({ taskToken: `bench-${i}`, output: '{}' }));
    }
    times.push(performance.now() - t);
    setup.sfn.take();
  }
  return times.sort((a, b) => a - b);
}

/** `GetItem, PutItem x2, StartExecution` */
function describeCalls(calls: AwsCalls): string {
  const counted = new Map<string, number>();
  for (const name of [...calls.dynamodb, ...calls.sfn])
    counted.set(name, (counted.get(name) ?? 0) + 1);
  return [...counted].map(([name, n]) => (n > 1 ? `${name} x${n}` : name)).join(', ');
}

/** The aim for a warm ack's p99, and what was measured, for one kind of request. */
function printAim(kind: string, figures: Figures, calls: number[]): void {
  const budget = 2 * percentile(sorted(figures.bare), 99) + percentile(calls, 99);
  const measured = percentile(sorted(figures.cached), 99);
  console.log(
    `  ${kind}: the calls it makes (${describeCalls(figures.calls)}) made alone, ${calls.length} samples: p50 ${ms(percentile(calls, 50))}, p99 ${ms(percentile(calls, 99))}; aim for its cached p99: 2 x bare p99 + these calls' p99 = ${ms(budget)}, measured ${ms(measured)} (${measured <= budget ? 'met' : 'missed'})`,
  );
}

export async function benchSlackIngress(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const sandbox = await SlackSandbox.start({
    plansDir: CUSTOMERS_DIR,
    settingsFile: DEFAULTS_FILE,
  });
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-bundle-'));
  let sfn: Setup['sfn'] | undefined;
  try {
    sfn = await startStepFunctionsFront();
    const environment = bundleEnvironment(sandbox, sfn.endpoint);
    const bundles = await measureIngressBundles(dir, environment);
    const setup = await setUp(sandbox, sfn);
    const request = () => slashCommand(sandbox.slack, 'U01ALICE', 'C0BCBSAZDR', 'drill bcbsaz');
    const first = await firstAnswer(bundles.lifeboat.file, environment, request());
    const firstText = first.body ? String((JSON.parse(first.body) as { text?: string }).text) : '';
    await setup.store.releaseLock('bcbsaz', runOf(firstText));
    sfn.take();
    const firstBare = await firstAnswer(bundles.bare.file, environment, request());
    const drills = await measureDrills(setup);
    const approvals = await measureApprovals(setup);
    const drillCalls = await replayCalls(setup, drills.calls);
    const approveCalls = await replayCalls(setup, approvals.calls);

    const { lifeboat, bare, withClients } = bundles;
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    console.log(
      'Slack ingress: the deployed-style bundles, their cold start, and ack latency in-process (one run)',
    );
    console.log(
      "  bundled as LifeboatFunction bundles them (bundleLambda: esbuild, node22, esm, minified, split at each import(), SDK inside, plans as data); at start = index.mjs and the chunks it imports; import = a fresh node's import:",
    );
    console.log(`    Lifeboat ingress (bot/lambda.ts)   ${describeBundle(lifeboat)}`);
    console.log(`    bare Bolt AwsLambdaReceiver app    ${describeBundle(bare)}`);
    console.log(
      `    Bolt + the SDK clients, zod, Powertools it calls ${describeBundle(withClients)}`,
    );
    console.log(
      `    ratio to bare: size at start ${ratio(lifeboat.bytes, bare.bytes)}, import p50 ${ratio(percentile(lifeboat.importMs, 50), percentile(bare.importMs, 50))} (aim: at most 1.25x each)`,
    );
    console.log(
      `    ratio to Bolt + its clients (what Lifeboat's own code adds): size at start ${ratio(lifeboat.bytes, withClients.bytes)}, import p50 ${ratio(percentile(lifeboat.importMs, 50), percentile(withClients.importMs, 50))}`,
    );
    console.log(
      `    largest in the ingress at start: ${lifeboat.largest.map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(0)} KB`).join(', ')}`,
    );
    const warnings = [...lifeboat.warnings, ...bare.warnings];
    if (warnings.length > 0) console.log(`    esbuild warnings: ${warnings.join('; ')}`);
    console.log(
      `  a fresh process's first signed /dr drill bcbsaz, local world (secrets from the environment, not Secrets Manager): answered ${ms(first.answeredMs)} after the process started (module loaded at ${ms(first.loadedMs)}; aim: well under 3 s), ${first.statusCode}; bare Bolt ${ms(firstBare.answeredMs)} (loaded at ${ms(firstBare.loadedMs)})`,
    );
    console.log(
      '  warm, in-process (signature, parse, plan, groups, authorization, audit; then the lock and StartExecution, or the gate, answer, journal and SendTaskSuccess; all on loopback):',
    );
    console.log(`  /dr drill bcbsaz as alice, ${drills.bare.length} samples each:`);
    printFigures(drills);
    console.log(
      `  Approve on a drill request of ${CUSTOMERS.map((c) => c.id).join(', ')}, ${approvals.bare.length} samples (bare), ${approvals.cached.length} cached, ${approvals.uncached.length} looked up:`,
    );
    printFigures(approvals);
    printAim('/dr drill', drills, drillCalls);
    printAim('Approve', approvals, approveCalls);
    console.log(
      `  first of its kind in-process (modules loaded, code not yet run, groups not cached): /dr drill ${ms(drills.cold.lifeboat)} (bare ${ms(drills.cold.bare)}), Approve ${ms(approvals.cold.lifeboat)} (bare ${ms(approvals.cold.bare)})`,
    );
    const local = sorted(approvals.localStart);
    console.log(
      `  not in AWS: the sandbox starts the state machine in-process (aws-local-stepfunctions), adding p50 ${ms(percentile(local, 50))}, p99 ${ms(percentile(local, 99))} to its /dr drill acks (${local.length} starts)`,
    );
  } finally {
    await sfn?.close();
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
