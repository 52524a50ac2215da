import type { Context, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotifierEnvSchema } from '../../bot/env.ts';
import { createNotifierLambda } from '../../bot/notifier-handler.ts';
import { DEFAULTS_FILE } from '../../cli/io.ts';
import { SANDBOX_SIGNING_SECRET, SANDBOX_TEAM, SlackSandbox } from '../../sandbox/slack-sandbox.ts';
import { SAMPLE_PLANS } from '../helpers.ts';
import { buttonValue } from '../support/slack.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** The operations channel of config/defaults.yaml. */
const OPS = 'C0DROPS';

/** A message of the notifier's FIFO queue, as Lambda hands it over. */
function sqsRecord(messageId: string, body: string, group: string): SQSRecord {
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

describe('the notifier Lambda and an incident', () => {
  let sandbox: SlackSandbox;

  beforeAll(async () => {
    sandbox = await SlackSandbox.start({ plansDir: SAMPLE_PLANS, settingsFile: DEFAULTS_FILE });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('shows an incident whose journal woke it: its request card in the operations channel', async () => {
    // Prepare: an incident requested, its pre-flight done and its approval open
    const coordinator = await sandbox.orchestrator.wiring.incidents({
      starter: { startIncident: async () => {} },
      tokens: { succeed: async () => {} },
    });
    const request = { region: 'us-east-1' as const, requestedBy: 'U01ALICE', channel: OPS };
    const { incidentId } = await coordinator.requestRegionFailover(request);
    await coordinator.prepare({ ...request, incidentId });
    const gate = await coordinator.openApproval(incidentId, 'token');
    const orchestrator = sandbox.orchestrator.environment;
    const notifier = createNotifierLambda({
      ...orchestrator,
      ...NotifierEnvSchema.parse({
        ...orchestrator,
        SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET,
        SLACK_BOT_TOKEN: 'xoxb-lifeboat-local',
        SLACK_TEAM_ID: SANDBOX_TEAM,
        SLACK_API_URL: sandbox.slack.apiUrl,
      }),
    });
    // Act
    const result = await notifier(
      { Records: [sqsRecord('i1', JSON.stringify({ executionId: incidentId }), incidentId)] },
      {} as Context,
    );
    // Assess
    expect(result.batchItemFailures).toEqual([]);
    const card = sandbox.slack
      .messages(OPS)
      .find((m) => buttonValue(m, 'gate_approve') === gate.gateId);
    expect(card?.blocks?.[0]).toMatchObject({
      text: { text: 'Region-wide failover requested: us-east-1' },
    });
    expect(JSON.stringify(card?.blocks)).toContain('*Plans in recovery order* (3)');
  }, 60_000);
});
