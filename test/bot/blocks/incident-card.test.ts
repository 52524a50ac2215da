import { describe, expect, it } from 'vitest';
import {
  incidentSummaryText,
  renderIncidentCard,
  renderIncidentFinal,
  renderIncidentRequestCard,
} from '../../../bot/blocks/incident-card.ts';
import type { SlackMessage } from '../../../bot/blocks/request-card.ts';
import {
  INCIDENT_SCHEMA_VERSION,
  type Incident,
  type IncidentPlan,
  incidentPlans,
} from '../../../orchestrator/domain/incident.ts';
import type { PreflightResult } from '../../../orchestrator/domain/runbook.ts';
import { syntheticEstate } from '../../../sandbox/aws/synthetic-estate.ts';
import { checkMessage, MESSAGE_MAX_BLOCKS } from '../../../sandbox/slack/block-kit.ts';

const AT = Date.parse('2026-12-06T12:00:00Z');
const GATE = 'incident-us-east-1-20261206-120000-k3f9/approval#1';
const LIMITS = { jobs: 20, servers: 500 };

/** The synthetic estate's us-east-1 incident: 30 customers and the shared services, in recovery order. */
function estateIncident(
  edit: (plan: IncidentPlan, i: number) => IncidentPlan = (p) => p,
): Incident {
  const plans = incidentPlans(syntheticEstate(), 'us-east-1').map((plan, i) =>
    edit(
      {
        ...plan,
        readiness: {
          ok: true,
          results: [
            { check: 'replication-lag', ok: true, advisory: false, detail: 'ok', seconds: 40 + i },
          ],
          expectedRpoSeconds: 40 + i,
        },
      },
      i,
    ),
  );
  return {
    schemaVersion: INCIDENT_SCHEMA_VERSION,
    incidentId: 'incident-us-east-1-20261206-120000-k3f9',
    region: 'us-east-1',
    executionRegion: 'us-west-2',
    operation: 'failover',
    requestedBy: 'U01ALICE',
    requestedByName: 'Alice Archer',
    reason: 'AWS Health: us-east-1 EC2 and DRS APIs unavailable',
    channel: 'C0DROPS',
    status: 'awaiting-approval',
    createdAt: AT,
    approvedBy: [],
    approvedByNames: {},
    abortRequested: false,
    plans,
  };
}

/** What Slack enforces, as the fake Slack checks it, and the 50 blocks of a message. */
function expectSlackTakes(message: SlackMessage): void {
  expect(checkMessage(message)).toBeUndefined();
  expect(message.blocks.length).toBeLessThanOrEqual(MESSAGE_MAX_BLOCKS);
}

const texts = (message: SlackMessage) => JSON.stringify(message.blocks);
const buttons = (message: SlackMessage) =>
  message.blocks.flatMap((b) =>
    b.type === 'actions' ? b.elements.map((e) => ('value' in e ? e.value : undefined)) : [],
  );

/** Every failing check at length, a 400-character name full of markup, a long note. */
const FAILING: PreflightResult[] = [
  'replication-healthy',
  'replication-lag',
  'recovery-instances',
  'dns-zones',
  'drs-quota',
].map((check) => ({
  check: check as PreflightResult['check'],
  ok: false,
  advisory: false,
  detail: '<!channel> & stalled '.repeat(40),
}));
const worst = (plan: IncidentPlan, i: number): IncidentPlan => ({
  ...plan,
  name: `R&D <${'&'.repeat(400)}> ${i}`,
  readiness: { ok: false, results: FAILING, expectedRpoSeconds: 86_400 },
  note: `<!here> ${'held for a person & more '.repeat(30)}`,
  existing: {
    executionId: `${plan.customerId}-drill-20261206T1100-abcd`,
    operation: 'drill',
    failedOver: true,
    handling: 'continue-as-failover',
  },
});

describe('renderIncidentRequestCard', () => {
  it('lists the 31 plans of a 900-server estate in recovery order, within Slack’s limits', () => {
    // Prepare
    const incident = estateIncident();
    // Act
    const card = renderIncidentRequestCard({
      incident,
      gateId: GATE,
      approvals: { required: 2, by: ['U02BOB'] },
      approvers: 3,
      limits: LIMITS,
      replicatingLimit: 300,
    });
    // Assess
    expectSlackTakes(card);
    expect(card.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: 'Region-wide failover requested: us-east-1' },
    });
    const all = texts(card);
    expect(all).toContain('Alice Archer (U01ALICE)');
    expect(all).toContain('AWS Health: us-east-1 EC2 and DRS APIs unavailable');
    expect(all).toContain('2 of 3 approvers, not the requester');
    // Every plan on its own line, in the recovery order, numbered.
    for (const [i, plan] of incident.plans.entries())
      expect(all).toContain(`${i + 1}. *${plan.name}* (\`${plan.customerId}\`)`);
    expect(all.indexOf('`shared-east`')).toBeLessThan(
      all.indexOf(`\`${incident.plans[1]?.customerId}\``),
    );
    expect(all).not.toContain('more plans');
    // Each recovery account against its budget.
    const accounts = new Set(incident.plans.map((p) => p.account));
    expect(all.match(/against 20 jobs and 500 servers in jobs at once/g)).toHaveLength(
      accounts.size,
    );
    expect(all).toContain(
      `Totals: 31 plans · ${incident.plans.reduce((n, p) => n + p.servers, 0)} servers`,
    );
    expect(all).toContain('Approvals 1/2: <@U02BOB>');
    // The buttons carry the gate id and nothing else.
    expect(buttons(card)).toEqual([GATE, GATE]);
  });

  it('cuts the worst plans with a count of those left out, and still passes Slack', () => {
    // Prepare
    const incident = estateIncident(worst);
    // Act
    const card = renderIncidentRequestCard({
      incident,
      gateId: GATE,
      approvals: { required: 2, by: [] },
      limits: LIMITS,
      replicatingLimit: 300,
    });
    // Assess
    expectSlackTakes(card);
    const all = texts(card);
    const shown = all.match(/\d+\. \*R&amp;D/g)?.length ?? 0;
    const left = Number(/… and (\d+) more plans/.exec(all)?.[1]);
    expect(shown).toBeGreaterThan(5);
    expect(shown + left).toBe(31);
    expect(all).toMatch(/… and \d+ more runs/);
    expect(all).not.toMatch(/<!(channel|here)>/);
    expect(all).toContain(
      '❌ replication-healthy, replication-lag, recovery-instances, dns-zones, drs-quota',
    );
    expect(all).toContain('RPO ~1d ⚠️');
    for (const block of card.blocks)
      if (block.type === 'section' && block.text)
        expect(block.text.text.length).toBeLessThanOrEqual(3000);
  });

  it('shows the runs already going and what happens to each, and a plan without readiness', () => {
    // Prepare
    const incident = estateIncident((plan, i) =>
      i === 1
        ? {
            ...plan,
            existing: {
              executionId: 'c01-drill-1',
              operation: 'drill',
              failedOver: true,
              handling: 'continue-as-failover',
            },
          }
        : i === 2
          ? {
              ...plan,
              existing: {
                executionId: 'c02-bubble-1',
                operation: 'bubble-drill',
                failedOver: false,
                handling: 'abort-then-failover',
              },
            }
          : i === 3
            ? (({ readiness: _, ...rest }) => rest)(plan)
            : plan,
    );
    // Act
    const card = renderIncidentRequestCard({
      incident,
      gateId: GATE,
      approvals: { required: 2, by: [] },
      limits: LIMITS,
      replicatingLimit: 300,
    });
    // Assess
    const all = texts(card);
    expect(all).toContain('*Runs already going* (2)');
    expect(all).toContain(
      'drill `c01-drill-1` (already failed over) continues as the failover: its sign-off and failback are cancelled',
    );
    expect(all).toContain(
      'bubble-drill `c02-bubble-1` is aborted; the failover starts once it has ended',
    );
    expect(all).toContain('❔ readiness unknown');
  });

  it('loses its buttons once decided, and names who decided', () => {
    // Act
    const card = renderIncidentRequestCard({
      incident: estateIncident(),
      gateId: GATE,
      approvals: { required: 2, by: ['U02BOB', 'U04DAVE'] },
      limits: LIMITS,
      replicatingLimit: 300,
      decision: { outcome: 'approved', by: ['U02BOB', 'U04DAVE'], at: AT + 60_000 },
      names: { U02BOB: 'Bob Builder' },
    });
    // Assess
    expectSlackTakes(card);
    expect(buttons(card)).toEqual([]);
    expect(texts(card)).toContain('✅ Approved by Bob Builder (U02BOB), <@U04DAVE>');
    expect(card.text).toMatch(/: approved$/);
  });
});

describe('renderIncidentCard', () => {
  /** The incident 40 minutes in: some plans done, some running, one failed, one held. */
  const running = () => {
    const incident = estateIncident((plan, i) => {
      const progress = { wavesDone: 0, waveCount: 3, serversRecovered: 0 };
      if (i < 10)
        return {
          ...plan,
          state: 'succeeded',
          startedAt: AT,
          endedAt: AT + (20 + i) * 60_000,
          progress: { ...progress, wavesDone: 3, serversRecovered: plan.servers },
        };
      if (i < 20)
        return {
          ...plan,
          state: 'running',
          startedAt: AT,
          progress: { ...progress, wavesDone: 1, serversRecovered: 5 },
        };
      if (i === 20)
        return {
          ...plan,
          state: 'failed',
          endedAt: AT,
          note: 'wave app failed: 2 servers did not launch',
        };
      if (i === 21)
        return {
          ...plan,
          state: 'held',
          note: 'Not started: it comes after c20, which ended failed.',
        };
      return plan;
    });
    return {
      ...incident,
      status: 'running' as const,
      approvedAt: AT + 60_000,
      approvedBy: ['U02BOB', 'U04DAVE'],
      approvedByNames: { U02BOB: 'Bob Builder' },
    };
  };

  it('has one line per plan: state, wave k/n, servers, RTO so far against target, the failed and held notes', () => {
    // Prepare
    const incident = running();
    // Act
    const card = renderIncidentCard(incident, AT + 40 * 60_000);
    // Assess
    expectSlackTakes(card);
    const all = texts(card);
    const [done, going, failed, held, waiting] = [0, 10, 20, 21, 22].map(
      (i) => incident.plans[i] as IncidentPlan,
    );
    expect(all).toContain(
      `✅ *${done?.name}* (\`${done?.customerId}\`) wave 3/3 · ${done?.servers}/${done?.servers} srv · RTO 20m/`,
    );
    expect(all).toContain(
      `:arrows_counterclockwise: *${going?.name}* (\`${going?.customerId}\`) wave 1/3 · 5/${going?.servers} srv · RTO 40m/`,
    );
    expect(all).toContain(
      `❌ *${failed?.name}* (\`${failed?.customerId}\`) failed · 0/${failed?.servers} srv`,
    );
    expect(all).toContain(`(<#${failed?.channel}>) — _wave app failed: 2 servers did not launch_`);
    expect(all).toContain(`:raised_hand: *${held?.name}*`);
    expect(all).toContain(
      `:hourglass_flowing_sand: *${waiting?.name}* (\`${waiting?.customerId}\`) waiting`,
    );
    expect(all).toContain('*Plans recovered*\\n10/31');
    expect(all).toContain('Bob Builder (U02BOB), <@U04DAVE>');
    expect(all).toContain('31 plans: 10 succeeded, 10 running, 9 waiting, 1 failed, 1 held');
    expect(card.text).toMatch(/^Region-wide failover of us-east-1: running, 10\/31 plans/);
  });

  it('marks a plan past its RTO target', () => {
    // Prepare
    const incident = running();
    const target = incident.plans[12]?.targets.rtoSeconds ?? 0;
    // Act
    const card = renderIncidentCard(incident, AT + (target + 60) * 1000);
    // Assess
    expect(texts(card)).toMatch(/wave 1\/3 · 5\/\d+ srv · RTO [^/]+\/[^ ]+ ⚠️/);
  });

  it('stays within Slack’s limits with the worst names and notes on every plan', () => {
    // Act
    const card = renderIncidentCard({ ...estateIncident(worst), status: 'running' }, AT);
    // Assess
    expectSlackTakes(card);
    expect(texts(card)).toMatch(/… and \d+ more plans: 0 recovered/);
  });
});

describe('renderIncidentFinal and incidentSummaryText', () => {
  it('tells the outcome, the plans not recovered and links the report', () => {
    // Prepare
    const incident: Incident = {
      ...estateIncident((plan, i) => ({
        ...plan,
        state: i === 4 ? 'held' : 'succeeded',
        ...(i === 4 ? { note: 'a person must look' } : {}),
      })),
      status: 'failed',
      endedAt: AT + 75 * 60_000,
    };
    // Act
    const final = renderIncidentFinal(incident, {
      html: 'https://reports.example/incident.html',
      json: 's3://bucket/incident.json',
    });
    // Assess
    expectSlackTakes(final);
    expect(final.text).toMatch(
      /^❌ Failed: the region-wide failover of us-east-1 ended, 30 of 31 plans recovered in 1h15m\./,
    );
    expect(final.text).toContain(
      `• *${incident.plans[4]?.name}* (\`${incident.plans[4]?.customerId}\`): held (<#${incident.plans[4]?.channel}>) — a person must look`,
    );
    expect(final.text).toContain(
      '<https://reports.example/incident.html|html> · json: `s3://bucket/incident.json`',
    );
  });

  it('names each plan’s run in /dr status region, for the commands that take a run', () => {
    // Prepare
    const incident = estateIncident((plan, i) =>
      i === 0 ? { ...plan, state: 'running', executionId: 'failover-shared-east-1' } : plan,
    );
    // Act
    const text = incidentSummaryText(incident, AT);
    // Assess
    expect(text).toMatch(
      /\(`shared-east`\) running · 0\/\d+ srv · RTO 0s\/[^ ]+ · run `failover-shared-east-1`\n/,
    );
  });

  it('summarizes the open incident for /dr status region within one message', () => {
    // Act
    const text = incidentSummaryText(estateIncident(worst), AT);
    // Assess
    expect(text.length).toBeLessThanOrEqual(3100);
    expect(text).toMatch(
      /^\*Region-wide failover of us-east-1\* `incident-us-east-1-20261206-120000-k3f9`: :hourglass_flowing_sand: Awaiting approval/,
    );
    expect(text).toMatch(/… and \d+ more plans\n31 plans: 31 waiting$/);
  });
});
