import { describe, expect, it } from 'vitest';
import { PLAIN_PAINT } from '../../../sandbox/terminal/paint.ts';
import { renderTranscript } from '../../../sandbox/terminal/render-transcript.ts';
import { Transcript, type TranscriptItem } from '../../../sandbox/terminal/transcript.ts';
import { CHANNEL, botMessage as message } from './items.ts';

const style = {
  paint: PLAIN_PAINT,
  names: { users: { U01ALICE: 'alice', U02BOB: 'bob' } },
  width: 80,
  clock: () => '12:00:00',
};
describe('renderTranscript', () => {
  it('shows who did what, private answers, and each thread indented under its message', () => {
    // Prepare
    const t = new Transcript();
    t.action('U01ALICE', 'typed /dr drill bcbsaz', { channel: CHANNEL });
    t.ephemeral('U01ALICE', { text: 'Requested the drill: run `r1`' }, { channel: CHANNEL });
    t.add(message('1.0', '*Drill: BCBS of Arizona*'));
    t.add(message('2.0', ':white_check_mark: Wave 1/5 database', '1.0'));
    t.add(message('3.0', ':white_check_mark: Wave 2/5 application', '1.0'));
    t.action('U02BOB', 'clicked [ Approve ]', { channel: CHANNEL, threadTs: '1.0' });
    // Act
    const lines = renderTranscript(t.items, style);
    // Assess
    expect(lines).toEqual([
      '› alice typed /dr drill bcbsaz',
      '',
      'Lifeboat APP  12:00:00 · only visible to alice',
      '  Requested the drill: run r1',
      '',
      'Lifeboat APP  12:00:00',
      '  Drill: BCBS of Arizona',
      '  │ Lifeboat APP  12:00:00',
      '  │   ✅ Wave 1/5 database',
      '  │   ✅ Wave 2/5 application',
      '  │ › bob clicked [ Approve ]',
    ]);
  });

  it('marks an edited message and a reply also sent to the channel', () => {
    // Prepare
    const t = new Transcript();
    t.add(message('1.0', 'card'));
    t.add({ ...message('2.0', 'report', '1.0'), broadcast: true } as TranscriptItem);
    t.edit(CHANNEL, '1.0', { text: 'card, updated', edits: 1 });
    // Act
    const lines = renderTranscript(t.items, style);
    // Assess
    expect(lines).toEqual([
      'Lifeboat APP  12:00:00 (edited)',
      '  card, updated',
      '  │ Lifeboat APP  12:00:00 · also sent to the channel',
      '  │   report',
    ]);
  });

  it('folds the oldest replies of the last thread so the live tail fits, and shows them all without a limit', () => {
    // Prepare
    const t = new Transcript();
    t.add(message('1.0', 'status card'));
    for (let n = 1; n <= 10; n++) t.add(message(`${n + 1}.0`, `reply ${n}`, '1.0'));
    // Act
    const live = renderTranscript(t.items, { ...style, liveTail: 8 });
    const all = renderTranscript(t.items, style);
    // Assess
    expect(live).toEqual([
      'Lifeboat APP  12:00:00',
      '  status card',
      '  │ ┆ 5 earlier replies (all shown at the end)',
      '  │   reply 6',
      '  │   reply 7',
      '  │   reply 8',
      '  │   reply 9',
      '  │   reply 10',
    ]);
    expect(live).toHaveLength(8);
    expect(all).toHaveLength(2 + 1 + 10);
  });

  it('names the channel beside each message once more than one channel is shown', () => {
    // Prepare
    const t = new Transcript();
    t.add(message('1.0', 'bcbsaz card'));
    t.add({ ...message('2.0', 'dmnt card'), channel: 'C0DMNTDR' } as TranscriptItem);
    // Act
    const lines = renderTranscript(t.items, style);
    // Assess
    expect(lines[0]).toBe('Lifeboat APP  12:00:00  #C0BCBSAZDR');
    expect(lines[3]).toBe('Lifeboat APP  12:00:00  #C0DMNTDR');
  });
});
