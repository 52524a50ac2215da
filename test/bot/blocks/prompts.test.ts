import { describe, expect, it } from 'vitest';
import {
  GATE_ACTION,
  renderFinalReport,
  renderGatePrompt,
  SIGN_OFF_OPEN_ACTION,
} from '../../../bot/blocks/prompts.ts';
import { GATE_APPROVE_ACTION, GATE_REJECT_ACTION } from '../../../bot/blocks/request-card.ts';
import { buildReport } from '../../../orchestrator/domain/build-report.ts';
import type { Report } from '../../../orchestrator/domain/report.ts';
import { failoverWithExclusions } from '../../fixtures/report-runs.ts';

const actions = (blocks: unknown[]) =>
  (blocks as { elements?: { action_id?: string; value?: string }[] }[]).flatMap((b) =>
    (b.elements ?? []).filter((e) => e.action_id).map((e) => `${e.action_id}=${e.value}`),
  );

describe('renderGatePrompt', () => {
  it.each([
    ['sign-off', [`${SIGN_OFF_OPEN_ACTION}=run/s#1`]],
    ['decision', ['gate_retry=run/s#1', 'gate_continue=run/s#1', 'gate_abort=run/s#1']],
    ['pause', ['gate_resume=run/s#1', 'gate_abort=run/s#1']],
    ['manual', ['gate_done=run/s#1', 'gate_abort=run/s#1']],
  ] as const)('gives a %s prompt its buttons, carrying only the gate id', (kind, expected) => {
    const message = renderGatePrompt({
      gateId: 'run/s#1',
      kind,
      prompt: 'p',
      principals: ['U02BOB'],
    });
    expect(actions(message.blocks)).toEqual(expected);
  });

  it('mentions users and user groups, escapes the prompt, and drops the buttons once decided', () => {
    // Act
    const message = renderGatePrompt({
      gateId: 'g',
      kind: 'decision',
      prompt: 'Wave <!channel> failed',
      principals: ['U01ALICE', 'S0HRPOPS'],
      failedServers: ['db-01'],
      decided: { decision: 'retry', users: ['U01ALICE'], at: 0 },
    });
    // Assess
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('Wave &lt;!channel&gt; failed');
    expect(text).toContain('<@U01ALICE> <!subteam^S0HRPOPS>');
    expect(text).toContain('*Failed:* db-01');
    expect(actions(message.blocks)).toEqual([]);
  });

  it.each([
    ['names none of them', 'Wave 1 failed: launch failed', true],
    ['names only some', 'Wave 1 failed: db-01 did not launch', true],
    ['names them all', 'Wave 1 failed: db-01, db-02 did not launch', false],
  ])('lists the failed servers when the prompt %s', (_, prompt, listed) => {
    const message = renderGatePrompt({
      gateId: 'g',
      kind: 'decision',
      prompt,
      principals: ['U02BOB'],
      failedServers: ['db-01', 'db-02'],
    });
    expect(JSON.stringify(message.blocks).includes('*Failed:* db-01, db-02')).toBe(listed);
  });

  it('the gate listener answers the request card buttons too', () => {
    expect(GATE_ACTION.test(GATE_APPROVE_ACTION)).toBe(true);
    expect(GATE_ACTION.test(GATE_REJECT_ACTION)).toBe(true);
    expect(GATE_ACTION.test(SIGN_OFF_OPEN_ACTION)).toBe(false);
  });
});

/** An AWS error as a failed step's prompt and a failed run's reason carry it. */
const AWS_ERROR =
  'EC2 StopInstances failed with UnauthorizedOperation: User: arn:aws:sts::444455556666:assumed-role/LifeboatWorkload/run-1 is not authorized; ' +
  'Lifeboat-Check failed: i-0abc12345678: Failed (password=hunter2)';

describe('failure texts in Slack', () => {
  it('shows a failed step as a code and a sanitized message, in the prompt and its notification', () => {
    // Act
    const message = renderGatePrompt({
      gateId: 'g',
      kind: 'decision',
      prompt: AWS_ERROR,
      principals: ['U02BOB'],
    });

    // Assess
    const shown = JSON.stringify(message);
    expect(shown).toContain('*A step failed.* `UnauthorizedOperation` EC2 StopInstances failed');
    expect(shown).toContain('User: [sts ARN] is not authorized');
    expect(shown).toContain('i-0abc12345678: Failed (output withheld)');
    expect(shown).not.toMatch(/444455556666|arn:aws|hunter2/);
  });

  it.each([
    ['failed', '`UnauthorizedOperation` EC2 StopInstances'],
    ['succeeded', 'EC2 StopInstances'],
  ] as const)("sanitizes a %s run's reason in the final report", (outcome, shown) => {
    // Prepare
    const report = {
      operation: 'drill',
      customerName: 'Acme',
      outcome,
      outcomeReason: AWS_ERROR,
      rto: { text: '1h', targetText: '4h', met: true },
      rpo: { text: '5m', targetText: '15m', met: true },
    } as unknown as Report;

    // Act
    const message = renderFinalReport(report, {});

    // Assess
    const text = JSON.stringify(message.blocks);
    expect(text).toContain(shown);
    expect(text).not.toMatch(/444455556666|arn:aws|hunter2/);
  });
});

describe('renderFinalReport, measures', () => {
  it('says why the RPO was missed when critical servers were not recovered', async () => {
    // Prepare
    const report = buildReport(await failoverWithExclusions());
    // Act
    const text = JSON.stringify(renderFinalReport(report, {}).blocks);
    // Assess
    expect(text).toContain('*RTO* 28m (target 4h, ✅ met)');
    expect(text).toContain('*RPO* 10s (target 15m, ❌ missed: 2 critical servers not recovered)');
  });
});
