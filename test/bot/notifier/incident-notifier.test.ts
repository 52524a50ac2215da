import { LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncidentNotifier } from '../../../bot/notifier/incident-notifier.ts';
import { SharedSlackBudget } from '../../../bot/notifier/shared-slack-budget.ts';
import { SLACK_LIMITS } from '../../../bot/notifier/slack-budget.ts';
import { MemorySlackBudgetStore } from '../../../bot/notifier/slack-budget-store.ts';
import { type SlackWriteEvent, SlackWriter } from '../../../bot/notifier/slack-writer.ts';
import type { Incident } from '../../../orchestrator/domain/incident.ts';
import { JournalWriter } from '../../../orchestrator/run/journal-writer.ts';
import { type LocalAws, startLocalAws } from '../../../sandbox/aws/local-aws.ts';
import { FakeSlack } from '../../../sandbox/slack/fake-slack.ts';
import { buttonValue } from '../../support/slack.ts';
import { ALICE, BOB, DAVE, incidentWorld, OPS } from '../incident-world.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

let aws: LocalAws;
let slack: FakeSlack;
beforeAll(async () => {
  aws = await startLocalAws({ plans: [], speed: 0 });
  slack = await new FakeSlack().start();
});
afterAll(async () => {
  await slack?.close();
  await aws?.stop();
});

/**
 * A writer on the fake Slack whose channel posts are unpaced (a test posts a handful); a 429 the
 * fake Slack answers all the same (tests share its channel) is waited out by the writer.
 */
function newWriter(events: SlackWriteEvent[] = []): SlackWriter {
  return new SlackWriter({
    client: new WebClient('xoxb-fake', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logLevel: LogLevel.ERROR,
    }),
    budget: new SharedSlackBudget(new MemorySlackBudgetStore(), {
      ...SLACK_LIMITS,
      'chat.postMessage': { ...SLACK_LIMITS['chat.postMessage'], burst: 50, everyMs: 0 },
    }),
    wallNow: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    onWrite: (event) => events.push(event),
  });
}

/** An incident asked for, prepared and waiting for approval, with a notifier following it. */
async function followed(table: string, cardEveryMs = 0) {
  const world = await incidentWorld(aws.endpoints.dynamodb, table);
  await world.coordinator.requestRegionFailover({
    region: 'us-east-1',
    requestedBy: ALICE,
    requestedByName: 'Alice Archer',
    reason: 'us-east-1 is down',
    channel: OPS,
  });
  const id = world.started[0]?.request.incidentId ?? '';
  const events: SlackWriteEvent[] = [];
  const writer = newWriter(events);
  const children: string[] = [];
  const notifier = new IncidentNotifier({
    incidents: world.coordinator,
    journal: world.store,
    notices: world.store,
    writer,
    wallNow: Date.now,
    cardEveryMs,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    limits: { jobs: 4, servers: 60 },
    onChildRun: (executionId) => children.push(executionId),
  });
  const journal = new JournalWriter({ store: world.store, now: () => world.clock.now });
  /** A look of the incident's state machine: the record changed, then its milestone journaled. */
  const look = async (edit: (incident: Incident) => Incident) => {
    const { incident, version } = await world.incidents.getIncident(id);
    const next = edit(incident);
    await world.incidents.saveIncident(next, version);
    for (const plan of next.plans)
      await journal.write(id, {
        type: 'incident-plan',
        message: `${plan.name}: ${plan.state}`,
        data: { customerId: plan.customerId, state: plan.state },
      });
    return next;
  };
  const channelSince = (start: number) =>
    slack.messages(OPS).filter((m) => Number(m.ts) * 1000 >= start || (m.updatedAt ?? 0) >= start);
  return { world, id, notifier, events, children, journal, look, channelSince };
}

const writesOf = (events: SlackWriteEvent[], id: string) =>
  events.filter((e) => e.source === `incident:${id}`);

describe('IncidentNotifier', () => {
  it('waits while the incident prepares, then posts its request card with the gate id on the buttons', async () => {
    // Prepare
    const { world, id, notifier, events } = await followed('notify-request');
    // Act
    const before = await notifier.sync(id);
    const { gate } = await world.prepare();
    const after = await notifier.sync(id);
    const again = await notifier.sync(id);
    // Assess
    expect(before).toEqual({ state: 'waiting', heldMs: 0 });
    expect(after.state).toBe('more');
    expect(again.state).toBe('more');
    const card = slack.messages(OPS).find((m) => buttonValue(m, 'gate_approve') === gate.gateId);
    expect(card?.blocks?.[0]).toMatchObject({
      text: { text: 'Region-wide failover requested: us-east-1' },
    });
    expect(buttonValue(card, 'gate_reject')).toBe(gate.gateId);
    expect(JSON.stringify(card?.blocks)).toContain('Approvals 0/2: none yet');
    expect(JSON.stringify(card?.blocks)).toContain('against 4 jobs and 60 servers in jobs at once');
    // One post at a prompt's priority; a sync with nothing new writes nothing.
    expect(writesOf(events, id).map((e) => [e.method, e.priority])).toEqual([
      ['chat.postMessage', 'prompt'],
    ]);
  });

  it('follows the approvals, then posts the incident card, updates it on milestones, and ends with the outcome', async () => {
    // Prepare
    const { world, id, notifier, events, children, journal, look } = await followed('notify-run');
    const { gate } = await world.prepare();
    await notifier.sync(id);
    const answer = (user: string) =>
      world.coordinator.answerIncident(id, gate.gateId, {
        user,
        userName: user === BOB ? 'Bob Builder' : 'Dave Dev',
        groups: [],
        decision: 'approve',
      });
    // Act: one approval, then the second, the incident running, two looks, the end.
    await answer(BOB);
    await notifier.sync(id);
    const requestCard = slack
      .messages(OPS)
      .find((m) => buttonValue(m, 'gate_approve') === gate.gateId);
    const withOne = JSON.stringify(requestCard?.blocks);
    await answer(DAVE);
    // Woken by the approval's end, before the state machine records it on the incident.
    await notifier.sync(id);
    const firstCard = slack
      .messages(OPS)
      .find(
        (m) =>
          JSON.stringify(m.blocks).includes(`"Region-wide failover: us-east-1"`) &&
          JSON.stringify(m.blocks).includes(id),
      );
    const firstShown = JSON.stringify(firstCard?.blocks);
    await world.coordinator.applyApproval(id, 'approve');
    world.clock.now += 10 * 60_000;
    await look((incident) => ({
      ...incident,
      plans: incident.plans.map((p, i) =>
        i === 0
          ? {
              ...p,
              state: 'running',
              executionId: 'shared-east-failover-1',
              startedAt: incident.createdAt,
              progress: { wavesDone: 1, waveCount: 2, serversRecovered: 4 },
            }
          : p,
      ),
    }));
    await notifier.sync(id);
    world.clock.now += 30 * 60_000;
    const ended = await look((incident) => ({
      ...incident,
      status: 'failed',
      endedAt: world.clock.now,
      plans: incident.plans.map((p, i) =>
        i === 0
          ? {
              ...p,
              state: 'succeeded',
              endedAt: world.clock.now,
              progress: { wavesDone: 2, waveCount: 2, serversRecovered: p.servers },
            }
          : { ...p, state: 'held', note: `Not started: ${p.customerId} needs a person.` },
      ),
    }));
    await journal.write(id, {
      type: 'incident-finished',
      message: 'The incident ended: failed',
      data: { status: 'failed', reportFiles: { md: '/reports/incident.md' } },
    });
    const last = await notifier.sync(id);
    const afterEnd = await notifier.sync(id);
    // Assess
    expect(withOne).toContain('Approvals 1/2: Bob Builder (U02BOB)');
    expect(firstShown).toContain('*Status*\\n:arrows_counterclockwise: Running');
    expect(firstShown).toContain('*Approved by*\\nBob Builder (U02BOB), Dave Dev (U04DAVE)');
    const decided = slack.messages(OPS).find((m) => m.ts === requestCard?.ts);
    expect(buttonValue(decided, 'gate_approve')).toBeUndefined();
    expect(JSON.stringify(decided?.blocks)).toContain(
      '✅ Approved by Bob Builder (U02BOB), Dave Dev (U04DAVE)',
    );
    const card = slack
      .messages(OPS)
      .find(
        (m) =>
          JSON.stringify(m.blocks).includes('"Region-wide failover: us-east-1"') &&
          JSON.stringify(m.blocks).includes(id),
      );
    const shown = JSON.stringify(card?.blocks);
    expect(shown).toContain('1/3');
    expect(shown).toMatch(/✅ \*Shared services[^*]*\* \(`shared-east`\) wave 2\/2/);
    expect(shown).toContain(':raised_hand: *');
    expect(shown).toContain('needs a person.');
    expect(card?.edits).toBeGreaterThanOrEqual(2);
    const final = slack.messages(OPS).find((m) => m.threadTs === card?.ts);
    expect(final).toMatchObject({ broadcast: true });
    expect(final?.text).toMatch(
      /^❌ Failed: the region-wide failover of us-east-1 ended, 1 of 3 plans recovered in 40m\./,
    );
    expect(final?.text).toContain('md: `/reports/incident.md`');
    expect(last.state).toBe('done');
    expect(afterEnd).toEqual({ state: 'done', heldMs: 0 });
    expect(children).toContain('shared-east-failover-1');
    expect(ended.status).toBe('failed');
    // The request card at a prompt's priority; the card's updates at a card's, its first and last at a line's.
    const writes = writesOf(events, id).map((e) => `${e.method}:${e.priority}`);
    expect(writes.filter((w) => w.endsWith(':prompt'))).toEqual([
      'chat.postMessage:prompt',
      'chat.update:prompt',
      'chat.update:prompt',
    ]);
    expect(writes).toContain('chat.update:card');
    expect(writes.filter((w) => w === 'chat.postMessage:line')).toHaveLength(2);
  });

  it('tells the end from the record as it was when the end was journaled, not as a wake-up first read it', async () => {
    // Prepare: the wake-up reads the record, then the incident ends, then it reads the journal
    const { world, id } = await followed('notify-stale');
    await world.prepare();
    const stale = await world.coordinator.getIncident(id);
    let reads = 0;
    const notifier = new IncidentNotifier({
      incidents: {
        getIncident: async (incidentId) => {
          reads += 1;
          return reads === 1 ? stale : world.coordinator.getIncident(incidentId);
        },
      },
      journal: world.store,
      notices: world.store,
      writer: newWriter(),
      wallNow: Date.now,
    });
    await world.coordinator.abortIncident(id, BOB);
    await world.coordinator.applyApproval(id, 'abort');
    // Act
    const ended = await notifier.sync(id);
    // Assess
    expect(ended.state).toBe('done');
    const request = slack
      .messages(OPS)
      .find(
        (m) =>
          m.text?.startsWith('Region-wide failover of us-east-1') &&
          JSON.stringify(m.blocks).includes(id),
      );
    const final = slack.messages(OPS).find((m) => m.threadTs === request?.ts);
    expect(final?.text).toMatch(
      /^:octagonal_sign: Aborted: the region-wide failover of us-east-1 ended/,
    );
    expect(JSON.stringify(request?.blocks)).toContain(':octagonal_sign: Aborted by <@U02BOB>');
  });

  it('holds back an incident card update that comes too soon, and sends it when the batch settles', async () => {
    // Prepare: the card just posted on the approval; a milestone follows at once
    const { world, id, notifier, look } = await followed('notify-settle', 2_000);
    const { gate } = await world.prepare();
    for (const user of [BOB, DAVE])
      await world.coordinator.answerIncident(id, gate.gateId, {
        user,
        groups: [],
        decision: 'approve',
      });
    await world.coordinator.applyApproval(id, 'approve');
    await notifier.sync(id);
    await look((incident) => ({
      ...incident,
      plans: incident.plans.map((p, i) => (i === 0 ? { ...p, state: 'running' } : p)),
    }));
    const cardOf = () =>
      slack
        .messages(OPS)
        .find(
          (m) =>
            JSON.stringify(m.blocks).includes('"Region-wide failover: us-east-1"') &&
            JSON.stringify(m.blocks).includes(id),
        );
    // Act
    const held = await notifier.sync(id);
    const editsHeld = cardOf()?.edits ?? 0;
    await notifier.settleCards([id], Date.now() + 5_000);
    // Assess
    expect(held.heldMs).toBeGreaterThan(0);
    expect(cardOf()?.edits).toBe(editsHeld + 1);
    expect(JSON.stringify(cardOf()?.blocks)).toContain('1 running, 2 waiting');
  });

  it('shows a rejection on the request card, and the end under it, with no incident card', async () => {
    // Prepare
    const { world, id, notifier } = await followed('notify-reject');
    const { gate } = await world.prepare();
    await notifier.sync(id);
    // Act
    await world.coordinator.answerIncident(id, gate.gateId, {
      user: BOB,
      groups: [],
      decision: 'reject',
    });
    await world.coordinator.applyApproval(id, 'reject');
    const ended = await notifier.sync(id);
    // Assess
    expect(ended.state).toBe('done');
    const ours = slack.messages(OPS).filter((m) => JSON.stringify(m.blocks ?? m.text).includes(id));
    const request = ours.find((m) =>
      m.text?.startsWith('Region-wide failover of us-east-1: 3 plans'),
    );
    expect(JSON.stringify(request?.blocks)).toContain('❌ Rejected by <@U02BOB>');
    expect(buttonValue(request, 'gate_approve')).toBeUndefined();
    const final = slack.messages(OPS).find((m) => m.threadTs === request?.ts);
    expect(final?.text).toMatch(
      /^❌ Rejected: the region-wide failover of us-east-1 ended, 0 of 3 plans recovered/,
    );
    expect(
      ours.filter((m) => JSON.stringify(m.blocks).includes('"Region-wide failover: us-east-1"')),
    ).toEqual([]);
  });
});
