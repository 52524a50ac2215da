import { describe, expect, it } from 'vitest';
import {
  renderFinalReport,
  renderGatePrompt,
  renderSignOffModal,
} from '../../../bot/blocks/prompts.ts';
import type { SlackMessage } from '../../../bot/blocks/request-card.ts';
import { type PreflightResult, renderRequestCard } from '../../../bot/blocks/request-card.ts';
import { renderStatusCard } from '../../../bot/blocks/status-card.ts';
import { escapeSlackText } from '../../../bot/slack-text.ts';
import { buildReport } from '../../../orchestrator/domain/build-report.ts';
import { PROMPT_TEXT_SHOWN_MAX } from '../../../orchestrator/domain/plan-text-fit.ts';
import { syntheticPlan } from '../../../sandbox/aws/synthetic-plan.ts';
import { checkMessage, checkModal } from '../../../sandbox/slack/block-kit.ts';
import { cleanDrill } from '../../fixtures/report-runs.ts';

/** Every rendered message must pass what Slack enforces, as the fake Slack checks it. */
function expectSlackTakes(message: SlackMessage): void {
  expect(checkMessage(message)).toBeUndefined();
}

const MARKUP = '<&>'.repeat(1667); // 5,001 characters, 15,003 once escaped

const sections = (message: SlackMessage) =>
  message.blocks.filter((b) => b.type === 'section').map((b) => JSON.stringify(b));
const actionIds = (message: SlackMessage) =>
  message.blocks.flatMap((b) =>
    b.type === 'actions' ? b.elements.map((e) => ('action_id' in e ? e.action_id : '')) : [],
  );

describe('cards of a 200-server plan', () => {
  const plan = syntheticPlan(200, 40);
  const longName = { ...plan, customer: { ...plan.customer, name: `R&D <${'&'.repeat(400)}>` } };
  const preflight: PreflightResult[] = Array.from({ length: 10 }, () => ({
    check: 'replication-healthy',
    ok: false,
    advisory: false,
    detail: `${plan.servers.map((s) => `${s.name} <stalled> & lagging`).join(', ')}`,
  }));

  it.each([
    ['the plan as it is', plan],
    ['a customer name of 400 ampersands', longName],
  ])('the request card, with every check failing at length, passes Slack (%s)', (_, shown) => {
    // Act
    const card = renderRequestCard({
      plan: shown,
      operation: 'failover',
      activeRegion: 'us-east-2',
      planRevision: 'r1',
      requestedBy: 'U01ALICE',
      reason: MARKUP,
      gateId: 'run/approval',
      preflight,
      approvals: { required: 2, by: ['U02BOB'] },
    });
    // Assess
    expectSlackTakes(card);
    expect(card.text.length).toBeLessThanOrEqual(40_000);
  });

  it('the status card of 40 waves passes Slack', () => {
    // Act
    const card = renderStatusCard({
      executionId: 'drill-big-1',
      customer: longName.customer,
      operation: 'drill',
      status: 'running',
      phase: 'failover',
      currentStep: { title: MARKUP, index: 3, count: 90 },
      waves: plan.waves.map((w, i) => ({
        name: `${w.name}-${'&'.repeat(100)}`,
        recovered: i,
        total: w.servers.length,
        failed: 1,
      })),
      startedAt: 0,
      now: 3_600_000,
      requestedBy: 'U01ALICE',
      summary: MARKUP,
    });
    // Assess
    expectSlackTakes(card);
  });

  it('the sign-off modal for a long customer name passes Slack', () => {
    const modal = renderSignOffModal({
      gateId: 'g',
      customerName: longName.customer.name.repeat(20),
      operation: 'drill',
    });
    expect(checkModal(modal as unknown as Record<string, unknown>)).toBeUndefined();
  });
});

describe('gate prompts at their worst', () => {
  it('a failure naming 300 servers with 5,000 characters of markup passes Slack, buttons kept', () => {
    // Prepare
    const servers = Array.from({ length: 300 }, (_, i) => `app-server-${i}`);
    // Act
    const prompt = renderGatePrompt({
      gateId: 'run/step#1',
      kind: 'decision',
      prompt: `Wave 1 failed: ${MARKUP}`,
      principals: ['U01ALICE', 'S0HRPOPS'],
      failedServers: servers,
    });
    // Assess
    expectSlackTakes(prompt);
    expect(actionIds(prompt)).toEqual(['gate_retry', 'gate_continue', 'gate_abort']);
    expect(JSON.stringify(prompt.blocks)).toContain('<@U01ALICE> <!subteam^S0HRPOPS>');
    expect(JSON.stringify(prompt.blocks)).not.toMatch(/&(?!amp;|lt;|gt;)/);
  });

  it('a runbook-length manual step is split over sections, cut with a note, with Done and Abort', () => {
    // Prepare
    const paragraph = 'Flip the customer VPN to the recovery side & check <the tunnel>. ';
    const instructions = paragraph.repeat(160); // 10,400 characters, about 12,000 escaped
    // Act
    const prompt = renderGatePrompt({
      gateId: 'run/vpn#1',
      kind: 'manual',
      prompt: instructions,
      principals: ['U01ALICE'],
    });
    // Assess
    expectSlackTakes(prompt);
    expect(sections(prompt).length).toBeGreaterThan(3);
    expect(actionIds(prompt)).toEqual(['gate_done', 'gate_abort']);
    // Parts are split at spaces: joined with one, they are the whole instructions, escaped.
    const shown = prompt.blocks
      .map((b) => (b.type === 'section' ? (b.text?.text ?? '') : ''))
      .join(' ');
    expect(shown).toContain(escapeSlackText(instructions).slice(0, 9000));
    expect(shown).toContain("continued in the customer's plan");
    expect(shown.length).toBeLessThan(PROMPT_TEXT_SHOWN_MAX + 200);
  });

  it.each([
    ['manual', ['gate_done', 'gate_abort']],
    ['pause', ['gate_resume', 'gate_abort']],
    ['sign-off', ['sign_off_open']],
  ] as const)(
    'a %s prompt past what Slack shows is cut with a note, and passes Slack',
    (kind, ids) => {
      // Act
      const prompt = renderGatePrompt({
        gateId: 'run/g#1',
        kind,
        prompt: `${'&'.repeat(PROMPT_TEXT_SHOWN_MAX)} the end`,
        principals: ['U01ALICE'],
      });
      // Assess
      expectSlackTakes(prompt);
      expect(actionIds(prompt)).toEqual(ids);
      expect(JSON.stringify(prompt.blocks)).toContain("continued in the customer's plan");
      expect(JSON.stringify(prompt.blocks)).not.toContain('the end');
    },
  );
});

describe('the final report at its worst', () => {
  it('a failed run with a markup-heavy reason, a long name and long links passes Slack', async () => {
    // Prepare
    const report = buildReport(await cleanDrill());
    const link = `https://reports.example.com/${'a'.repeat(900)}`;
    // Act
    const message = renderFinalReport(
      { ...report, customerName: `R&D ${'<&>'.repeat(300)}`, outcomeReason: MARKUP },
      { html: link, md: link, json: link },
    );
    // Assess
    expectSlackTakes(message);
    expect(JSON.stringify(message.blocks)).not.toMatch(/<https:[^>|]*$/m);
  });
});
