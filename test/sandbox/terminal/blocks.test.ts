import { describe, expect, it } from 'vitest';
import { renderGatePrompt, renderSignOffModal } from '../../../bot/blocks/prompts.ts';
import { renderStatusCard } from '../../../bot/blocks/status-card.ts';
import { renderBlocks, renderModal } from '../../../sandbox/terminal/blocks.ts';
import { ANSI_PAINT, PLAIN_PAINT } from '../../../sandbox/terminal/paint.ts';
import { displayWidth } from '../../../sandbox/terminal/text-width.ts';

const names = { users: { U02BOB: 'bob', U03CAROL: 'carol' } };
const style = { paint: PLAIN_PAINT, names, width: 80 };

describe('renderBlocks', () => {
  it.each([
    [
      'a header',
      [{ type: 'header', text: { type: 'plain_text', text: 'Drill: R&amp;D' } }],
      ['Drill: R&D'],
    ],
    [
      'a section with a label on its own line',
      [{ type: 'section', text: { type: 'mrkdwn', text: '*Current step*\n5/32 Wave 2' } }],
      ['Current step: 5/32 Wave 2'],
    ],
    [
      'a section of several lines',
      [{ type: 'section', text: { type: 'mrkdwn', text: '*Waves* (1/2)\n✅ 1. db\n▫️ 2. app' } }],
      ['Waves (1/2)', '✅ 1. db', '▫️ 2. app'],
    ],
    ['a divider', [{ type: 'divider' }], ['─'.repeat(48)]],
    [
      'a context',
      [
        {
          type: 'context',
          elements: [
            { type: 'mrkdwn', text: '✅ Approved by <@U02BOB>' },
            { type: 'image', image_url: 'https://x', alt_text: 'logo' },
          ],
        },
      ],
      ['✅ Approved by @bob  [image: logo]'],
    ],
    [
      'buttons',
      [
        {
          type: 'actions',
          elements: [
            { type: 'button', text: { type: 'plain_text', text: 'Approve' }, style: 'primary' },
            { type: 'button', text: { type: 'plain_text', text: 'Reject' }, style: 'danger' },
            { type: 'static_select', placeholder: { type: 'plain_text', text: 'Pick' } },
          ],
        },
      ],
      ['[ Approve ]  [ Reject ]  [ Pick ▾ ]'],
    ],
    [
      'a section with a button beside it',
      [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: 'Open the report' },
          accessory: { type: 'button', text: { type: 'plain_text', text: 'Open' } },
        },
      ],
      ['Open the report', '[ Open ]'],
    ],
    ['an image', [{ type: 'image', alt_text: 'timeline' }], ['[image: timeline]']],
    ['a block it does not know', [{ type: 'video' }], ['[video block]']],
  ])('draws %s', (_what, blocks, expected) => {
    expect(renderBlocks(blocks, style)).toEqual(expected);
  });

  it('lays fields out two to a row when they fit, one to a line when they do not', () => {
    // Prepare
    const field = (text: string) => ({ type: 'mrkdwn', text });
    const fields = [field('*Status*\nRunning'), field('*Phase*\nFailover'), field('*Elapsed*\n1h')];
    // Act
    const wide = renderBlocks([{ type: 'section', fields }], style);
    const narrow = renderBlocks([{ type: 'section', fields }], { ...style, width: 30 });
    // Assess
    expect(wide).toEqual([`Status: Running${' '.repeat(24)}  Phase: Failover`, 'Elapsed: 1h']);
    expect(narrow).toEqual(['Status: Running', 'Phase: Failover', 'Elapsed: 1h']);
  });

  it('colours buttons by their style on a TTY', () => {
    // Act
    const [line] = renderBlocks(
      [
        {
          type: 'actions',
          elements: [
            { type: 'button', text: { type: 'plain_text', text: 'Approve' }, style: 'primary' },
          ],
        },
      ],
      { ...style, paint: ANSI_PAINT },
    );
    // Assess
    expect(line).toBe('\x1b[1;32m[ Approve ]\x1b[22;39m');
  });

  it('draws the status card the bot posts within the width, with its run id', () => {
    // Prepare
    const card = renderStatusCard({
      executionId: 'drill-bcbsaz-20261122-051711-bd16',
      customer: { id: 'bcbsaz', name: 'BCBS of Arizona', productLine: 'HRP' },
      operation: 'drill',
      status: 'running',
      phase: 'failover',
      currentStep: {
        title: 'Wave 2/5 application: recover 22 servers in us-east-2',
        index: 6,
        count: 32,
      },
      waves: [
        { name: 'database', recovered: 6, total: 6 },
        { name: 'application', recovered: 11, total: 22 },
      ],
      startedAt: 0,
      now: 3_600_000,
      requestedBy: 'U02BOB',
    });
    // Act
    const lines = renderBlocks(card.blocks, { ...style, width: 60 });
    // Assess
    expect(lines).toEqual([
      'Drill: BCBS of Arizona',
      'Status: 🔄 Running             Phase: Failover',
      'Customer: BCBS of Arizona (bcbsaz)',
      'Elapsed: 1h',
      'Servers recovered: 17/28       Requested by: @bob',
      'Current step: 7/32 Wave 2/5 application: recover 22 servers',
      'in us-east-2',
      'Waves (1/2 complete)',
      '✅ 1. database ██████████ 6/6',
      '▫️ 2. application █████░░░░░ 11/22',
      'Run drill-bcbsaz-20261122-051711-bd16',
    ]);
    expect(lines.every((l) => displayWidth(l) <= 60)).toBe(true);
  });

  it('draws the sign-off prompt with its mention and button', () => {
    // Prepare
    const prompt = renderGatePrompt({
      gateId: 'run/gate#1',
      kind: 'sign-off',
      prompt: 'BCBS of Arizona is running in us-east-2.',
      principals: ['U03CAROL'],
    });
    // Act
    const lines = renderBlocks(prompt.blocks, style);
    // Assess
    expect(lines).toEqual([
      '📋 Customer sign-off needed. BCBS of Arizona is running in us-east-2.',
      '@carol',
      '[ Record sign-off ]',
    ]);
  });
});

describe('renderModal', () => {
  it('draws the sign-off modal: title, fields to fill in, the answer, and its buttons', () => {
    // Prepare
    const view = renderSignOffModal({
      gateId: 'g',
      customerName: 'BCBS of Arizona',
      operation: 'drill',
    });
    // Act
    const lines = renderModal(view as unknown as Record<string, unknown>, style);
    // Assess
    expect(lines[0]).toBe('Customer sign-off');
    expect(lines).toContain('Customer contact who signed off');
    expect(lines).toContain('Notes (optional)');
    expect(lines).toContain('  (•) Signed off: the environment works');
    expect(lines).toContain('  ( ) Not signed off: abort the run');
    expect(lines.at(-1)).toBe('[ Cancel ]  [ Record ]');
  });
});
