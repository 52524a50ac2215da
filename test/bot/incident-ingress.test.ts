import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsHandler, createIngressHandler } from '../../bot/ingress.ts';
import { regionLockKey } from '../../orchestrator/domain/incident.ts';
import { type LocalAws, startLocalAws } from '../../sandbox/aws/local-aws.ts';
import { FakeSlack } from '../../sandbox/slack/fake-slack.ts';
import {
  apiGatewayEvent,
  interactionBody,
  signSlackRequest,
  slashCommandBody,
} from '../../sandbox/slack/signer.ts';
import { waitFor } from '../support/slack.ts';
import { ALICE, BOB, DAVE, incidentWorld, OPS } from './incident-world.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const SECRET = 'incident-ingress-signing-secret';
const TEAM = 'T0LIFEBOAT';

let aws: LocalAws;
let slack: FakeSlack;
beforeAll(async () => {
  aws = await startLocalAws({ plans: [], speed: 0 });
  slack = await new FakeSlack({ teamId: TEAM }).start();
}, 60_000);
afterAll(async () => {
  await slack?.close();
  await aws?.stop();
});

/** Posts a body to the ingress as Slack would, signed; the HTTP answer and its JSON. */
async function send(handler: AwsHandler, body: string) {
  const headers = { ...signSlackRequest({ signingSecret: SECRET, body }) };
  const result = await handler(apiGatewayEvent(body, headers) as never, {} as never);
  const answer = result as { statusCode: number; body?: string };
  return {
    statusCode: answer.statusCode,
    body: (answer.body ? JSON.parse(answer.body) : {}) as { text?: string },
  };
}

describe('a region-wide incident through signed requests', () => {
  it('requests the failover of us-east-1 from the operations channel, and takes an approver’s click on its card', async () => {
    // Prepare
    const world = await incidentWorld(aws.endpoints.dynamodb, 'incident-ingress');
    const handler = createIngressHandler({
      signingSecret: SECRET,
      botToken: 'xoxb-lifeboat-local',
      botId: 'B0LIFEBOAT',
      botUserId: 'U0LIFEBOAT',
      teamId: TEAM,
      slackApiUrl: slack.apiUrl,
      deps: world.deps(),
    });
    const command = (user: string, text: string) =>
      send(
        handler,
        slashCommandBody({
          command: '/dr',
          text,
          userId: user,
          channelId: OPS,
          teamId: TEAM,
          responseUrl: slack.responseUrl(`cmd-${user}-${text.length}`),
          triggerId: slack.triggerId(),
        }),
      );
    const click = (user: string, gateId: string) =>
      send(
        handler,
        interactionBody({
          type: 'block_actions',
          team: { id: TEAM, domain: 'lifeboat' },
          user: { id: user, username: user, team_id: TEAM },
          api_app_id: 'A0LIFEBOAT',
          token: 'fake-verification-token',
          trigger_id: slack.triggerId(),
          response_url: slack.responseUrl(`click-${user}`),
          channel: { id: OPS, name: OPS },
          container: { type: 'message', message_ts: '1.000100', channel_id: OPS },
          message: { ts: '1.000100', type: 'message' },
          actions: [
            {
              type: 'button',
              action_id: 'gate_approve',
              block_id: 'gate_actions',
              value: gateId,
              text: { type: 'plain_text', text: 'Approve' },
              action_ts: String(Date.now() / 1000),
            },
          ],
        }),
      );
    // Act
    const requested = await command(DAVE, 'failover region us-east-1 primary region down');
    const second = await command(ALICE, 'failover region us-east-1');
    const { gate } = await world.prepare();
    const byRequester = await click(DAVE, gate.gateId);
    const approved = await click(BOB, gate.gateId);
    // Assess
    expect(requested.statusCode).toBe(200);
    expect(requested.body.text).toMatch(
      /^Requested the region-wide failover of us-east-1: incident `incident-us-east-1-/,
    );
    expect(second.body.text).toMatch(/A region-wide failover of us-east-1 is already open/);
    expect(world.started).toHaveLength(1);
    expect(world.started[0]?.request).toMatchObject({ reason: 'primary region down' });
    expect([byRequester.statusCode, approved.statusCode]).toEqual([200, 200]);
    const privately = (id: string) =>
      waitFor(`the private answer to ${id}`, () =>
        slack.responses.find((r) => r.id === id && JSON.stringify(r.body).length > 2),
      );
    expect(JSON.stringify((await privately(`click-${DAVE}`)).body)).toContain(
      'You requested this incident, so you cannot approve it',
    );
    expect(JSON.stringify((await privately(`click-${BOB}`)).body)).toContain(
      'Recorded your approve: 1 of 2 approvals so far.',
    );
    const gateNow = await world.store.getGate(gate.executionId, gate.gateId);
    expect(gateNow.answers.map((a) => [a.user, a.decision])).toEqual([[BOB, 'approve']]);
    const audit = await world.store.auditLog(regionLockKey('us-east-1'));
    expect(
      audit
        .filter((a) => !a.allowed)
        .map((a) => a.user)
        .sort(),
    ).toEqual([ALICE, DAVE]);
  });
});
