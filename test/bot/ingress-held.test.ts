import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroupResolver } from '../../bot/access.ts';
import { type AwsEvent, type AwsHandler, createIngressHandler } from '../../bot/ingress.ts';
import type { RunControl } from '../../orchestrator/ports/run-control.ts';
import { apiGatewayEvent, signSlackRequest, slashCommandBody } from '../../sandbox/slack/signer.ts';
import { SANDBOX_SIGNING_SECRET, SANDBOX_TEAM, SlackSandbox } from '../../sandbox/slack-sandbox.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../helpers.ts';
import { runIdOf, waitFor } from '../support/slack.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Slack gives up on an answer after this: the user sees "operation_timeout". */
const SLACK_PATIENCE_MS = 3_000;
const CHANNEL = 'C0BCBSAZDR';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The first `/dr drill` of an incident meets a slow start (a cold function, a slow Step Functions
 * call): its handler is held past Slack's 3 s, so Slack shows the user a timeout, and the user
 * types the command again. The run that started must not be lost or doubled.
 */
describe('a /dr drill held past Slack’s 3 s', () => {
  let sandbox: SlackSandbox;
  let runs: RunControl;
  let handler: AwsHandler;
  /** The executions started, by name. */
  const started: string[] = [];

  beforeAll(async () => {
    sandbox = await SlackSandbox.start({ plansDir: SAMPLE_PLANS, settingsFile: SAMPLE_SETTINGS });
    const { orchestrator } = sandbox;
    // StartExecution answers only after Slack has given up on the request.
    runs = await orchestrator.wiring.runControl({
      executions: {
        start: async (region, name, input) => {
          started.push(name);
          await sleep(SLACK_PATIENCE_MS + 500);
          await orchestrator.start(region, name, input);
        },
      },
      tokens: orchestrator,
    });
    handler = createIngressHandler({
      signingSecret: SANDBOX_SIGNING_SECRET,
      botToken: 'xoxb-lifeboat-local',
      botId: 'B0LIFEBOAT',
      botUserId: 'U0LIFEBOAT',
      teamId: SANDBOX_TEAM,
      slackApiUrl: sandbox.slack.apiUrl,
      deps: {
        runs,
        incidents: sandbox.bot.deps.incidents,
        admins: [],
        groupsOf: createGroupResolver(),
        now: Date.now,
        defer: async () => {},
        // As the notifier's queue would: the run's messages follow its journal.
        onRunStarted: (executionId) => sandbox.bot.follow(executionId),
      },
    });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  const drill = (): AwsEvent => {
    const body = slashCommandBody({
      command: '/dr',
      text: 'drill bcbsaz',
      userId: 'U01ALICE',
      channelId: CHANNEL,
      teamId: SANDBOX_TEAM,
      responseUrl: sandbox.slack.responseUrl(`held-${Date.now()}`),
      triggerId: sandbox.slack.triggerId(),
    });
    return apiGatewayEvent(body, {
      ...signSlackRequest({ signingSecret: SANDBOX_SIGNING_SECRET, body }),
    }) as AwsEvent;
  };
  const textOf = (response: { body?: string }) =>
    String((JSON.parse(response.body ?? '{}') as { text?: string }).text);

  it('starts one run, announces it in the channel, and answers the retry that it is running', async () => {
    // Act: the first request is still being handled when Slack gives up; the user retries then
    const sent = Date.now();
    const first = handler(drill(), {});
    await sleep(SLACK_PATIENCE_MS + 100);
    const retry = await handler(drill(), {});
    const answered = await first;
    const heldMs = Date.now() - sent;
    // Assess: the first answer came too late for Slack, and named the run it started
    expect(heldMs).toBeGreaterThan(SLACK_PATIENCE_MS);
    const runId = runIdOf(textOf(answered));
    expect(runId).toMatch(/^drill-bcbsaz-/);
    // the retry started nothing: it names the run that is going
    expect(textOf(retry)).toContain(`already has an operation running (${runId})`);
    expect(await runs.activeRun('bcbsaz')).toBe(runId);
    // (the retry may start the holder's name again: Step Functions starts a name once)
    expect([...new Set(started)]).toEqual([runId]);
    // the channel hears of the run although the user's answer was lost: its request card
    const card = await waitFor('the request card in the channel', () =>
      sandbox.slack
        .messages(CHANNEL)
        .find((m) => JSON.stringify(m.blocks ?? m.text ?? '').includes(runId)),
    );
    expect(JSON.stringify(card.blocks ?? card.text)).toContain('Drill requested');
    await runs.requestAbort(runId, 'U01ALICE');
  }, 90_000);
});
