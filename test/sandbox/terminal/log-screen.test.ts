import { describe, expect, it } from 'vitest';
import { LogScreen } from '../../../sandbox/terminal/log-screen.ts';
import { PLAIN_PAINT } from '../../../sandbox/terminal/paint.ts';
import { Transcript } from '../../../sandbox/terminal/transcript.ts';

const CHANNEL = 'C0BCBSAZDR';

describe('LogScreen', () => {
  it('prints each item once, a reply with the message it answers, an edit as its changed lines', () => {
    // Prepare
    const out: string[] = [];
    const log = new LogScreen((line) => out.push(line), {
      paint: PLAIN_PAINT,
      names: { users: { U02BOB: 'bob' } },
      width: 80,
      clock: () => '12:00:00',
    });
    const t = new Transcript();
    const blocks = (status: string) => [
      { type: 'header', text: { type: 'plain_text', text: 'Drill: BCBS of Arizona' } },
      { type: 'section', text: { type: 'mrkdwn', text: `*Status*\n${status}` } },
      { type: 'section', text: { type: 'mrkdwn', text: '*Customer*\nBCBS of Arizona' } },
    ];
    t.add({
      kind: 'message',
      id: '1.0',
      channel: CHANNEL,
      author: 'U0LIFEBOAT',
      at: 0,
      blocks: blocks(':arrows_counterclockwise: Running'),
      edits: 0,
      broadcast: false,
    });
    log.show(t.items);
    t.add({
      kind: 'message',
      id: '2.0',
      channel: CHANNEL,
      threadTs: '1.0',
      author: 'U0LIFEBOAT',
      at: 0,
      text: ':white_check_mark: Wave 1/5 database',
      edits: 0,
      broadcast: false,
    });
    t.action('U02BOB', 'clicked [ Approve ]', { channel: CHANNEL, threadTs: '1.0' });
    // Act
    log.show(t.items);
    t.edit(CHANNEL, '1.0', { blocks: blocks('✅ Succeeded'), edits: 1 });
    log.show(t.items);
    log.show(t.items);
    // Assess
    expect(out).toEqual([
      '',
      'Lifeboat APP  12:00:00',
      '  Drill: BCBS of Arizona',
      '  Status: 🔄 Running',
      '  Customer: BCBS of Arizona',
      '',
      '  │ Lifeboat APP  12:00:00 · in the thread of “Drill: BCBS of Arizona”',
      '  │   ✅ Wave 1/5 database',
      '',
      '  │ › bob clicked [ Approve ]',
      '',
      '✎ Lifeboat APP  12:00:00 (edited) “Drill: BCBS of Arizona”',
      '  Status: ✅ Succeeded',
    ]);
    expect(out.join('\n')).not.toContain('\x1b');
  });

  it('names the channel of each new message when asked (a log of several channels), not of its replies or edits', () => {
    // Prepare
    const out: string[] = [];
    const log = new LogScreen(
      (line) => out.push(line),
      { paint: PLAIN_PAINT, names: { users: {} }, width: 80, clock: () => '12:00:00' },
      true,
    );
    const t = new Transcript();
    const message = (channel: string, id: string, text: string, threadTs?: string) =>
      t.add({
        kind: 'message',
        id,
        channel,
        ...(threadTs ? { threadTs } : {}),
        author: 'U0LIFEBOAT',
        at: 0,
        text,
        edits: 0,
        broadcast: false,
      });
    message('C0DROPS', '1.0', 'Region-wide failover requested');
    message(CHANNEL, '2.0', 'Failover: BCBS of Arizona');
    message(CHANNEL, '3.0', 'Wave 1/5', '2.0');
    // Act
    log.show(t.items);
    t.edit('C0DROPS', '1.0', { text: 'Region-wide failover approved', edits: 1 });
    log.show(t.items);
    // Assess
    expect(out.filter((line) => line.includes('Lifeboat APP'))).toEqual([
      'Lifeboat APP  12:00:00  #C0DROPS',
      'Lifeboat APP  12:00:00  #C0BCBSAZDR',
      '  │ Lifeboat APP  12:00:00 · in the thread of “Failover: BCBS of Arizona”',
      '✎ Lifeboat APP  12:00:00 (edited) “Region-wide failover approved”',
    ]);
  });
});
