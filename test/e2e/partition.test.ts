import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroupResolver } from '../../bot/access.ts';
import { type AwsHandler, createIngressHandler } from '../../bot/ingress.ts';
import { FilePlanSource, filePlanConfig } from '../../orchestrator/adapters/config-files.ts';
import type { Region } from '../../orchestrator/domain/regions.ts';
import {
  type ControlCore,
  wireBotRunControl,
  wireCore,
} from '../../orchestrator/handlers/control-wiring.ts';
import type { RunControl } from '../../orchestrator/ports/run-control.ts';
import { LocalAws } from '../../sandbox/aws/local-aws.ts';
import { LOCAL_TABLE, LocalOrchestrator } from '../../sandbox/orchestrator.ts';
import { FakeSlack } from '../../sandbox/slack/fake-slack.ts';
import {
  apiGatewayEvent,
  interactionBody,
  signSlackRequest,
  slashCommandBody,
} from '../../sandbox/slack/signer.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../helpers.ts';
import { runIdOf, waitFor } from '../support/slack.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const LOCK_TABLE = 'lifeboat-locks';
const SECRET = 'partition-signing-secret';
const TEAM = 'T0LIFEBOAT';
const CHANNEL = 'C0BCBSAZDR';
/** Two requesters (HRP operations) and two approvers (DR leads) of bcbsaz. */
const USERS = {
  U01ALICE: { name: 'alice', groups: ['S0HRPOPS'] },
  U04DAVE: { name: 'dave', groups: ['S0HRPOPS'] },
  U02BOB: { name: 'bob', groups: ['S0HRPDRLEADS'] },
  U06FRED: { name: 'fred', groups: ['S0HRPDRLEADS'] },
};
/** The bot runs in both regions behind one name; a request lands in either. */
const BOT_REGIONS = ['us-east-1', 'us-west-2'] as const;
type BotRegion = (typeof BOT_REGIONS)[number];
const CUT_WEST_OFF = ['partition:us-east-1|us-west-2', 'partition:us-east-2|us-west-2'];

/**
 * Two regions that disagree: the bot answers in us-east-1 and us-west-2, each region's Lambdas on
 * its own replica of the state table (eventually consistent) and on the nearest replica of the
 * strongly consistent table that holds the customers' locks and the gates. The run executes in
 * us-east-2 on the local Step Functions; time stands still unless the test moves it.
 */
describe('two regions that disagree', () => {
  let aws: LocalAws;
  let slack: FakeSlack;
  let orchestrator: LocalOrchestrator;
  const ingress = new Map<BotRegion, AwsHandler>();
  const cores = new Map<BotRegion, ControlCore>();
  const control = new Map<BotRegion, RunControl>();
  /** StartExecution calls, by run name; SendTaskSuccess calls, by token. */
  const started: string[] = [];
  const succeeded: { token: string; output: Record<string, unknown> }[] = [];
  let nonce = 0;

  beforeAll(async () => {
    aws = new LocalAws({
      plans: await new FilePlanSource(SAMPLE_PLANS).loadAll(),
      speed: 0,
      seed: 1,
      globalTables: { strongTables: [LOCK_TABLE], replicationDelayMs: 1_000 },
    });
    await aws.start();
    orchestrator = new LocalOrchestrator({
      aws,
      plansDir: SAMPLE_PLANS,
      settingsFile: SAMPLE_SETTINGS,
      reportDir: await mkdtemp(join(tmpdir(), 'lifeboat-partition-')),
      time: 'stepped',
      lockTable: LOCK_TABLE,
    });
    await orchestrator.configure();
    slack = await new FakeSlack({ users: USERS, teamId: TEAM }).start();
    const config = filePlanConfig({ PLANS_DIR: SAMPLE_PLANS, SETTINGS_FILE: SAMPLE_SETTINGS });
    for (const region of BOT_REGIONS) {
      const core = wireCore(
        {
          AWS_REGION: region,
          STATE_TABLE: LOCAL_TABLE,
          LOCK_TABLE,
          LIFEBOAT_CLOCK_URL: `${aws.controlUrl}/clock`,
        },
        config,
      );
      const runs = await wireBotRunControl(core, {
        executions: {
          start: async (at: Region, name, input) => {
            started.push(name);
            await orchestrator.start(at, name, input);
          },
        },
        tokens: {
          succeed: async (at, token, output) => {
            succeeded.push({ token, output });
            await orchestrator.succeed(at, token, output);
          },
        },
      });
      cores.set(region, core);
      control.set(region, runs);
      ingress.set(
        region,
        createIngressHandler({
          signingSecret: SECRET,
          botToken: 'xoxb-lifeboat-local',
          botId: 'B0LIFEBOAT',
          botUserId: 'U0LIFEBOAT',
          teamId: TEAM,
          slackApiUrl: slack.apiUrl,
          deps: {
            runs,
            incidents: await core.incidents({ tokens: orchestrator }),
            admins: [],
            groupsOf: createGroupResolver(),
            now: Date.now,
            defer: async () => {},
          },
        }),
      );
    }
  }, 60_000);
  afterAll(async () => {
    await slack?.close();
    await aws?.stop();
  });

  const send = async (region: BotRegion, body: string): Promise<string> => {
    const handler = ingress.get(region);
    if (!handler) throw new Error(`no ingress in ${region}`);
    const answer = await handler(
      apiGatewayEvent(body, {
        ...signSlackRequest({ signingSecret: SECRET, body }),
      }) as Parameters<AwsHandler>[0],
      {},
    );
    return String((JSON.parse(answer.body || '{}') as { text?: string }).text ?? '');
  };
  const command = (region: BotRegion, userId: string, text: string) =>
    send(
      region,
      slashCommandBody({
        command: '/dr',
        text,
        userId,
        channelId: CHANNEL,
        teamId: TEAM,
        responseUrl: slack.responseUrl(`cmd-${userId}-${++nonce}`),
        triggerId: slack.triggerId(),
      }),
    );
  /** Clicks a gate's button; returns the id of its response_url. */
  const click = async (region: BotRegion, userId: string, actionId: string, gateId: string) => {
    const id = `click-${userId}-${++nonce}`;
    await send(
      region,
      interactionBody({
        type: 'block_actions',
        team: { id: TEAM, domain: 'lifeboat' },
        user: { id: userId, username: userId, name: userId, team_id: TEAM },
        api_app_id: 'A0LIFEBOAT',
        token: 'fake-verification-token',
        trigger_id: slack.triggerId(),
        response_url: slack.responseUrl(id),
        channel: { id: CHANNEL, name: CHANNEL },
        container: { type: 'message', message_ts: '1.000001', channel_id: CHANNEL },
        message: { ts: '1.000001', type: 'message' },
        actions: [
          {
            type: 'button',
            action_id: actionId,
            block_id: 'actions',
            value: gateId,
            text: { type: 'plain_text', text: actionId },
            action_ts: String(Date.now() / 1000),
          },
        ],
      }),
    );
    return id;
  };
  /** What Slack showed one clicker alone, once it came. */
  const answerTo = (id: string) =>
    waitFor(`the answer to ${id}`, () =>
      slack.responses
        .filter((r) => r.id === id)
        .map((r) => String((r.body as { text?: string }).text))
        .at(0),
    );
  const store = (region: BotRegion) => {
    const core = cores.get(region);
    if (!core) throw new Error(`no core in ${region}`);
    return core.store;
  };

  let runId = '';

  it('starts one run when two regions, cut apart, take the same request at once; the other requester hears which run holds the customer', async () => {
    // Prepare: us-east-1 and us-west-2 cannot reach each other (each still reaches us-east-2)
    aws.addFault('partition:us-east-1|us-west-2');
    // Act
    const [east, west] = await Promise.all([
      command('us-east-1', 'U01ALICE', 'failover bcbsaz'),
      command('us-west-2', 'U04DAVE', 'failover bcbsaz'),
    ]);
    // Assess
    const [won, lost] = east.startsWith('Requested') ? [east, west] : [west, east];
    expect(won).toMatch(/^Requested the failover of .* run `failover-bcbsaz-/);
    runId = runIdOf(won);
    expect(lost).toContain(`already has an operation running (${runId})`);
    expect([...new Set(started)]).toEqual([runId]);
    for (const region of BOT_REGIONS) expect(await store(region).activeRun('bcbsaz')).toBe(runId);
  }, 60_000);

  it('takes one decision when two approvers click in the two regions at once', async () => {
    // Prepare: the run waits for its approval; a second later its record has reached both regions
    const gate = await waitFor('the approval gate', async () =>
      (await store('us-east-1').openGates(runId)).find((g) => g.kind === 'approval'),
    );
    aws.clock.advance(1_000);
    // Act
    const [bob, fred] = await Promise.all([
      click('us-east-1', 'U02BOB', 'gate_approve', gate.gateId),
      click('us-west-2', 'U06FRED', 'gate_approve', gate.gateId),
    ]);
    // Assess: one answer recorded, the other approver told it was decided
    const decided = await store('us-west-2').getGate(runId, gate.gateId);
    expect(decided.status).toBe('closed');
    expect(decided.answers[0]?.decision).toBe('approve');
    expect(decided.answers).toHaveLength(1);
    const loser = decided.answers[0]?.user === 'U02BOB' ? fred : bob;
    expect(await answerTo(loser)).toMatch(/changed by someone else|already decided/);
    expect(new Set(succeeded.map((s) => s.token)).size).toBe(1);
    expect(new Set(succeeded.map((s) => JSON.stringify(s.output))).size).toBe(1);
  }, 60_000);

  it('does not bring a released lock back when a region cut off from the others returns', async () => {
    // Prepare: us-west-2 is cut off from both other regions while the run holds the customer
    aws.faults.remove('partition:us-east-1|us-west-2');
    for (const fault of CUT_WEST_OFF) aws.addFault(fault);
    const refused = await command('us-west-2', 'U04DAVE', 'status bcbsaz');
    // Act: the run is aborted from us-east-1 and ends (in us-east-2), releasing the lock
    await control.get('us-east-1')?.requestAbort(runId, 'U01ALICE');
    await orchestrator.settled(runId).catch(() => undefined);
    const during = await command('us-west-2', 'U04DAVE', 'failover bcbsaz');
    for (const fault of CUT_WEST_OFF) aws.faults.remove(fault);
    aws.clock.advance(1_000);
    // Assess: cut off, us-west-2 refused to answer from a stale view; back, it sees no lock
    expect(refused).toContain('cannot reach a majority');
    expect(during).toContain('cannot reach a majority');
    expect(await store('us-east-1').activeRun('bcbsaz')).toBeUndefined();
    expect(await store('us-west-2').activeRun('bcbsaz')).toBeUndefined();
    const again = await command('us-west-2', 'U04DAVE', 'failover bcbsaz');
    expect(again).toMatch(/^Requested the failover/);
    const second = runIdOf(again);
    expect(second).not.toBe(runId);
    expect(await store('us-east-1').activeRun('bcbsaz')).toBe(second);
    // Its record reaches us-west-2's replica a second after the run wrote it in us-east-2.
    await waitFor('the second run’s approval gate', async () =>
      (await store('us-west-2').openGates(second)).at(0),
    );
    aws.clock.advance(1_000);
    await control.get('us-west-2')?.requestAbort(second, 'U04DAVE');
    await orchestrator.settled(second).catch(() => undefined);
  }, 120_000);
});
