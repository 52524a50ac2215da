import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type PreflightResult,
  type RequestCardInput,
  renderRequestCard,
} from '../../../bot/blocks/request-card.ts';
import { FilePlanSource } from '../../../orchestrator/adapters/config-files.ts';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import { SAMPLE_PLANS } from '../../helpers.ts';

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAfaketasktoken';
let bcbsaz: Plan;

beforeAll(async () => {
  bcbsaz = (await new FilePlanSource(SAMPLE_PLANS).loadPlan('bcbsaz')).plan;
});

const PREFLIGHT: PreflightResult[] = [
  { check: 'no-active-operation', ok: true, detail: 'lock held', advisory: false },
  { check: 'primary-reachable', ok: false, detail: 'us-east-1 does not answer', advisory: true },
  { check: 'replication-lag', ok: true, detail: 'worst lag 12s against 900s', advisory: false },
];

function input(overrides: Partial<RequestCardInput> = {}): RequestCardInput {
  return {
    plan: bcbsaz,
    operation: 'drill',
    activeRegion: 'us-east-2',
    planRevision: '3f9a0c1d2e4b',
    requestedBy: 'U01ALICE',
    reason: 'Annual DR exercise',
    gateId: 'gate-7c1e',
    preflight: PREFLIGHT,
    ...overrides,
  };
}

function buttons(blocks: KnownBlock[]): Button[] {
  return blocks
    .filter((b): b is ActionsBlock => b.type === 'actions')
    .flatMap((b) => b.elements as Button[]);
}

describe('renderRequestCard', () => {
  it('shows what will happen, the checks and who asked', () => {
    // Act
    const { text, blocks } = renderRequestCard(input());
    const json = JSON.stringify(blocks);
    // Assess
    expect(text).toContain('Drill of BCBS of Arizona (bcbsaz) to us-east-2, 44 servers');
    for (const expected of [
      'BCBS of Arizona (`bcbsaz`)',
      'us-east-2',
      'RPO 15m · RTO 4h',
      '`3f9a0c1d2e4b`',
      '<@U01ALICE>',
      'Annual DR exercise',
      '✅ No other operation running',
      '❌ Primary region reachable _(advisory)_: us-east-1 does not answer',
      '(2/3 pass)',
    ])
      expect(json).toContain(expected);
    expect(bcbsaz.waves.length).toBeGreaterThan(0);
    for (const wave of bcbsaz.waves)
      expect(json).toMatch(new RegExp(`${wave.name}: ${wave.servers.length} server`));
  });

  it('offers Approve and Reject, each confirmed, carrying only the gate id', () => {
    const { blocks } = renderRequestCard(input());
    const found = buttons(blocks);
    expect(found.map((b) => b.action_id)).toEqual(['gate_approve', 'gate_reject']);
    for (const button of found) {
      expect(button.value).toBe('gate-7c1e');
      expect(button.confirm?.title?.text).toBeTruthy();
      expect(button.confirm?.confirm?.text).toBeTruthy();
    }
  });

  it('puts no task token anywhere, since the input has none', () => {
    const card = renderRequestCard({ ...input(), taskToken: TOKEN } as RequestCardInput);
    expect(JSON.stringify(card)).not.toContain(TOKEN);
  });

  it('shows the customer name in the plain_text header as it is, not escaped', () => {
    // Act
    const card = renderRequestCard(
      input({ plan: { ...bcbsaz, customer: { ...bcbsaz.customer, name: 'A&B <Ltd>' } } }),
    );
    // Assess
    expect(card.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Drill requested: A&B <Ltd>' },
    });
  });

  it('names each decider by the name they acted under beside their mention', () => {
    // Act
    const card = renderRequestCard(
      input({
        decision: { outcome: 'approved', by: ['U02BOB', 'U03CAROL'], at: Date.UTC(2025, 2, 1) },
        names: { U02BOB: 'Bob Builder', U04DAVE: 'Dave <Diaz>' },
      }),
    );
    // Assess
    const json = JSON.stringify(card.blocks);
    expect(json).toContain('Approved by Bob Builder (U02BOB), <@U03CAROL>');
  });

  it('escapes a reason that would ping the channel', () => {
    const card = renderRequestCard(input({ reason: '<!channel> <@U123> primary & DB down' }));
    const json = JSON.stringify(card);
    expect(json).toContain('&lt;!channel&gt; &lt;@U123&gt; primary &amp; DB down');
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<@U123>');
  });

  it('offers only Reject when a blocking check failed', () => {
    const failed: PreflightResult = {
      check: 'recovery-instances',
      ok: false,
      detail: 'missing in us-east-2: i-0abc12345def67890',
      advisory: false,
    };
    const card = renderRequestCard(input({ preflight: [...PREFLIGHT, failed] }));
    expect(buttons(card.blocks).map((b) => b.action_id)).toEqual(['gate_reject']);
    expect(card.text).toMatch(/pre-flight failed/);
  });

  it("shows a check's detail without ARNs or account ids (the card is in the channel)", () => {
    const failed: PreflightResult = {
      check: 'recovery-instances',
      ok: false,
      detail:
        'DescribeInstances refused: arn:aws:sts::444455556666:assumed-role/LifeboatExecution/lifeboat-readiness in 444455556666',
      advisory: false,
    };
    const card = renderRequestCard(input({ preflight: [failed] }));
    const json = JSON.stringify(card.blocks);
    expect(json).toContain('DescribeInstances refused: [sts ARN] in [account]');
    expect(json).not.toContain('444455556666');
  });

  it('says the checks are running before they finish', () => {
    const { preflight: _none, ...rest } = input();
    expect(JSON.stringify(renderRequestCard(rest).blocks)).toContain('checks running');
  });

  it.each([
    ['approved', '✅ Approved by <@U02BOB>'],
    ['rejected', '❌ Rejected by <@U02BOB>'],
    ['withdrawn', '↩️ Withdrawn by <@U02BOB>'],
  ] as const)('once %s shows who and when, with no buttons', (outcome, expected) => {
    const at = Date.parse('2025-03-01T09:30:00Z');
    const card = renderRequestCard(input({ decision: { outcome, by: 'U02BOB', at } }));
    const json = JSON.stringify(card.blocks);
    expect(buttons(card.blocks)).toEqual([]);
    expect(json).toContain(
      `${expected} <!date^${at / 1000}^{date_short_pretty} {time}|2025-03-01 09:30 UTC>`,
    );
    expect(card.text).toContain(outcome);
  });

  it('counts approvals when a failover needs two', () => {
    const card = renderRequestCard(
      input({ operation: 'failover', approvals: { required: 2, by: ['U06FRANK'] } }),
    );
    expect(JSON.stringify(card.blocks)).toContain('Approvals 1/2: <@U06FRANK>');
  });

  it('shows when the disruption began, for a real failover', () => {
    const at = Date.parse('2025-03-01T09:00:00Z');
    const card = renderRequestCard(input({ operation: 'failover', disruptionAt: at }));
    expect(JSON.stringify(card.blocks)).toContain(`Disruption began* <!date^${at / 1000}^`);
  });

  it('stays within Slack limits for a plan of 200 servers in 60 waves', () => {
    const waves = Array.from({ length: 60 }, (_, i) => ({
      ...bcbsaz.waves[0],
      name: `wave-${i}`,
      servers: Array.from({ length: i < 20 ? 4 : 3 }, (_, j) => `s-${i}-${j}`),
    })) as Plan['waves'];
    const card = renderRequestCard(input({ plan: { ...bcbsaz, waves }, reason: 'x'.repeat(5000) }));
    expect(card.blocks.length).toBeLessThanOrEqual(50);
    const sections = card.blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text] : []));
    expect(sections.length).toBeGreaterThan(0);
    for (const text of sections) expect(text.text.length).toBeLessThanOrEqual(3000);
    expect(JSON.stringify(card.blocks)).toContain('…and 40 more waves');
  });
});
