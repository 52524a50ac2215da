import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drCommand } from '../../bot/listeners/commands/dr-command.ts';
import { LocalBot } from '../../bot/local.ts';
import { NotFoundError } from '../../orchestrator/domain/errors.ts';
import type { RunControl } from '../../orchestrator/ports/run-control.ts';
import { type LocalAws, startLocalAws } from '../../sandbox/aws/local-aws.ts';
import { FakeSlack } from '../../sandbox/slack/fake-slack.ts';
import { commandArgs } from '../support/bolt.ts';
import { fakeRuns } from '../support/runs.ts';
import { buttonValue, waitFor } from '../support/slack.ts';
import { ALICE, incidentWorld, OPS, REGION_WIDE } from './incident-world.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

let aws: LocalAws;
let slack: FakeSlack;
beforeAll(async () => {
  aws = await startLocalAws({ plans: [], speed: 0 });
  slack = await new FakeSlack().start();
}, 60_000);
afterAll(async () => {
  await slack?.close();
  await aws?.stop();
});

describe('the local bot and an incident', () => {
  it('follows the incident it started (its request card in the operations channel), and each run the incident starts', async () => {
    // Prepare
    const world = await incidentWorld(aws.endpoints.dynamodb, 'local-incident');
    const looked: string[] = [];
    const { runs } = fakeRuns({
      journal: (id, after) => world.store.journal(id, after),
      audit: (id, entry) => world.store.appendAudit(id, entry),
      // The child run has not recorded its start yet: the bot keeps looking.
      getExecution: async (id) => {
        looked.push(id);
        throw new NotFoundError(`Run "${id}"`);
      },
    });
    const bot = new LocalBot({
      runs: runs as RunControl,
      notices: world.store,
      incidents: world.coordinator,
      regionWide: REGION_WIDE,
      signingSecret: 'local-incident-secret',
      botToken: 'xoxb-local',
      teamId: 'T0LIFEBOAT',
      slackApiUrl: slack.apiUrl,
      pollMs: 20,
      postEveryMs: 0,
      cardEveryMs: 0,
    });
    try {
      // Act
      await drCommand(bot.deps)(
        commandArgs('failover region us-east-1', { userId: ALICE, channelId: OPS }).args,
      );
      const { incident, gate } = await world.prepare();
      const card = await waitFor('the request card', () =>
        slack.messages(OPS).find((m) => buttonValue(m, 'gate_approve') === gate.gateId),
      );
      const { version } = await world.incidents.getIncident(incident.incidentId);
      await world.incidents.saveIncident(
        {
          ...incident,
          status: 'running',
          plans: incident.plans.map((p, i) =>
            i === 0 ? { ...p, state: 'running', executionId: 'failover-shared-east-1' } : p,
          ),
        },
        version,
      );
      // Assess
      expect(card.blocks?.[0]).toMatchObject({
        text: { text: 'Region-wide failover requested: us-east-1' },
      });
      await waitFor('the bot following the incident’s run', () =>
        looked.includes('failover-shared-east-1') ? true : undefined,
      );
    } finally {
      await bot.stop();
    }
  });
});
