import { describe, expect, it } from 'vitest';
import { LiveScreen } from '../../../sandbox/terminal/live-screen.ts';
import { PLAIN_PAINT } from '../../../sandbox/terminal/paint.ts';
import { Transcript, type TranscriptItem } from '../../../sandbox/terminal/transcript.ts';
import { CHANNEL, botMessage as card } from './items.ts';

function screen(rows = 40) {
  const writes: string[] = [];
  const live = new LiveScreen(
    { write: (text) => writes.push(text), columns: () => 80, rows: () => rows },
    { paint: PLAIN_PAINT, names: { users: {} }, clock: () => '12:00:00' },
  );
  return { live, writes };
}

describe('LiveScreen', () => {
  it('draws the transcript once, then rewrites only from the first line that changed', () => {
    // Prepare
    const { live, writes } = screen();
    const t = new Transcript();
    t.add(card('1.0', 'request card'));
    t.add(card('2.0', 'status: running'));
    live.show(t.items);
    // Act
    t.edit(CHANNEL, '2.0', { text: 'status: succeeded', edits: 1 });
    live.show(t.items);
    // Assess
    expect(writes[0]).toBe(
      '\r\x1b[JLifeboat APP  12:00:00\n  request card\n\nLifeboat APP  12:00:00\n  status: running\n',
    );
    // Two lines up (the card's header, now "(edited)"), clear to the end, redraw.
    expect(writes[1]).toBe('\x1b[2F\x1b[JLifeboat APP  12:00:00 (edited)\n  status: succeeded\n');
  });

  it('writes nothing when nothing changed, and appends without moving up', () => {
    // Prepare
    const { live, writes } = screen();
    const t = new Transcript();
    t.add(card('1.0', 'one'));
    live.show(t.items);
    // Act
    live.show(t.items);
    t.add(card('2.0', 'two'));
    live.show(t.items);
    // Assess
    expect(writes).toHaveLength(2);
    expect(writes[1]).toBe('\r\x1b[J\nLifeboat APP  12:00:00\n  two\n');
  });

  it('never moves the cursor above the screen: a change scrolled out of reach redraws what it can', () => {
    // Prepare
    const { live, writes } = screen(5);
    const t = new Transcript();
    t.add(card('1.0', 'old card'));
    for (let n = 2; n <= 5; n++) t.add(card(`${n}.0`, `message ${n}`));
    live.show(t.items);
    // Act
    t.edit(CHANNEL, '1.0', { text: 'old card, edited', edits: 1 });
    live.show(t.items);
    // Assess
    expect(writes[1]?.startsWith('\x1b[4F\x1b[J')).toBe(true);
  });

  it('draws every reply at the end', () => {
    // Prepare
    const { live, writes } = screen(10);
    const t = new Transcript();
    t.add(card('1.0', 'status'));
    for (let n = 1; n <= 12; n++)
      t.add({ ...card(`${n + 1}.0`, `reply ${n}`), threadTs: '1.0' } as TranscriptItem);
    live.show(t.items);
    // Act
    live.finish(t.items);
    // Assess
    expect(writes[0]).toContain('earlier replies');
    expect(writes[0]).not.toContain('reply 1\n');
    expect(writes[1]).toContain('reply 1\n');
    expect(live.height).toBe(2 + 1 + 12);
  });
});
