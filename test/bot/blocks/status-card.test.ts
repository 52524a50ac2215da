import { describe, expect, it } from 'vitest';
import {
  renderStatusCard,
  type StatusCardInput,
  type WaveProgress,
} from '../../../bot/blocks/status-card.ts';

const START = Date.parse('2025-03-01T09:00:00Z');

function input(overrides: Partial<StatusCardInput> = {}): StatusCardInput {
  return {
    executionId: 'bcbsaz-drill-20250301T0900',
    customer: { id: 'bcbsaz', name: 'BCBS of Arizona', productLine: 'HRP' },
    operation: 'drill',
    status: 'running',
    phase: 'failover',
    currentStep: {
      title: 'Wave 2/3 application: recover 20 servers in us-east-2',
      index: 5,
      count: 30,
    },
    waves: [
      { name: 'database', recovered: 6, total: 6 },
      { name: 'application', recovered: 8, total: 20 },
      { name: 'web', recovered: 0, total: 18 },
    ],
    startedAt: START,
    now: START + 42 * 60_000 + 5_000,
    requestedBy: 'U01ALICE',
    ...overrides,
  };
}

describe('renderStatusCard', () => {
  it('shows phase, current step, wave progress and elapsed time', () => {
    // Act
    const { text, blocks } = renderStatusCard(input());
    const json = JSON.stringify(blocks);
    // Assess
    expect(text).toBe(
      'Drill of BCBS of Arizona (bcbsaz): running, failover, 14/44 servers recovered, 42m5s elapsed',
    );
    for (const expected of [
      '*Phase*\\nFailover',
      '*Current step*\\n6/30 Wave 2/3 application: recover 20 servers in us-east-2',
      '*Servers recovered*\\n14/44',
      '*Elapsed*\\n42m5s',
      '*Waves* (1/3 complete)',
      '✅ 1. database',
      '8/20',
      'bcbsaz-drill-20250301T0900',
    ])
      expect(json).toContain(expected);
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('measures elapsed time to the end once the run ended', () => {
    const card = renderStatusCard(
      input({
        status: 'succeeded',
        phase: 'report',
        endedAt: START + 3 * 3600_000,
        now: START + 9 * 3600_000,
      }),
    );
    expect(card.text).toContain('succeeded, report');
    expect(card.text).toContain('3h elapsed');
  });

  it('marks failed servers on a wave', () => {
    const waves: WaveProgress[] = [{ name: 'database', recovered: 5, total: 6, failed: 1 }];
    expect(JSON.stringify(renderStatusCard(input({ waves })).blocks)).toContain('5/6, 1 failed');
  });

  it('shows the customer name in the plain_text header as it is, not escaped', () => {
    // Act
    const card = renderStatusCard(
      input({ customer: { id: 'ab', name: 'A&B <Ltd>', productLine: 'GC' } }),
    );
    // Assess
    expect(card.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Drill: A&B <Ltd>' },
    });
    expect(JSON.stringify(card.blocks.slice(1))).not.toContain('A&B');
  });

  it('escapes a summary and customer name, and shows the summary verbatim', () => {
    const card = renderStatusCard(
      input({
        customer: { id: 'acme', name: 'Acme <!here>', productLine: 'GC' },
        summary: '<!channel> see <https://evil.example|this> & https://x.example',
      }),
    );
    // The header is plain_text, which Slack shows as it is (no mention, no link): not escaped.
    const json = JSON.stringify(card.blocks.filter((b) => b.type !== 'header'));
    expect(json).not.toContain('<!');
    expect(json).not.toContain('<http');
    expect(json).toContain('&lt;!channel&gt; see &lt;https://evil.example|this&gt; &amp;');
    const summary = card.blocks.find(
      (b) => b.type === 'section' && b.text?.text.includes('evil.example'),
    );
    expect(summary).toMatchObject({ text: { verbatim: true } });
  });

  it('withholds ARNs and account ids from the summary', () => {
    // Act
    const card = renderStatusCard(
      input({
        summary: 'Assumed arn:aws:iam::444455556666:role/LifeboatWorkload in 444455556666',
      }),
    );

    // Assess
    const json = JSON.stringify(card.blocks);
    expect(json).toContain('Assumed [iam ARN] in [account]');
    expect(json).not.toContain('444455556666');
  });

  it('summarises 200 servers in 40 waves within 50 blocks, listing no server', () => {
    const waves: WaveProgress[] = Array.from({ length: 40 }, (_, i) => ({
      name: `wave-${i + 1}`,
      recovered: i < 10 ? 5 : 0,
      total: 5,
    }));
    const card = renderStatusCard(input({ waves, summary: 'x'.repeat(4000) }));
    const json = JSON.stringify(card.blocks);
    expect(card.blocks.length).toBeLessThanOrEqual(50);
    expect(card.text).toContain('50/200 servers recovered');
    expect(json).toContain('…and 28 more waves: 0 done, 0/140 servers');
    const sections = card.blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text] : []));
    expect(sections.length).toBeGreaterThan(0);
    for (const text of sections) expect(text.text.length).toBeLessThanOrEqual(3000);
  });
});
