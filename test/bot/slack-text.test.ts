import { describe, expect, it } from 'vitest';
import {
  cutPlainText,
  cutSlackText,
  escapeAndCut,
  escapeSlackText,
  formatSlackDate,
  mentionUser,
  namePerson,
  splitSlackText,
} from '../../bot/slack-text.ts';

describe('escapeSlackText', () => {
  it.each([
    ['<!channel> now', '&lt;!channel&gt; now'],
    ['<@U123> & <!here>', '&lt;@U123&gt; &amp; &lt;!here&gt;'],
    ['a &lt; b already escaped by Slack', 'a &lt; b already escaped by Slack'],
    ['R&D', 'R&amp;D'],
    ['plain', 'plain'],
  ])('%j -> %j', (text, expected) => {
    expect(escapeSlackText(text)).toBe(expected);
  });

  it('is idempotent', () => {
    const once = escapeSlackText('<!channel> & <b>');
    expect(escapeSlackText(once)).toBe(once);
  });
});

describe('formatSlackDate', () => {
  it('gives the Slack date token with a UTC fallback', () => {
    expect(formatSlackDate(Date.parse('2025-03-01T09:30:42Z'))).toBe(
      '<!date^1740821442^{date_short_pretty} {time}|2025-03-01 09:30 UTC>',
    );
  });
});

describe('mentionUser', () => {
  it('mentions user ids and escapes anything else', () => {
    expect(mentionUser('U02BOB')).toBe('<@U02BOB>');
    expect(mentionUser('<!channel>')).toBe('&lt;!channel&gt;');
  });
});

describe('cutSlackText and escapeAndCut', () => {
  it.each([
    ['leaves text that fits', 'a &amp; b', 9, 'a &amp; b'],
    ['cuts before an entity it would split', 'abcd &amp; efgh', 8, 'abcd …'],
    ['cuts before a mention it would split', 'ping <@U01ALICE> now', 10, 'ping …'],
    ['cuts before a date it would split', 'at <!date^1^{time}|01:00> ok', 12, 'at …'],
    ['keeps a whole entity', 'ab&lt;cdefgh', 7, 'ab&lt;…'],
    ['splits no surrogate pair', 'ab😀cd', 4, 'ab…'],
  ])('%s', (_, text, max, expected) => {
    const cut = cutSlackText(text, max);
    expect(cut).toBe(expected);
    expect(cut.length).toBeLessThanOrEqual(max);
  });

  it('escapes first, so markup-heavy text stays within the limit once escaped', () => {
    // Prepare
    const markup = '<&>'.repeat(2000);
    // Act
    const cut = escapeAndCut(markup, 3000);
    // Assess
    expect(cut.length).toBeLessThanOrEqual(3000);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut.slice(0, -1)).toMatch(/^(?:&lt;|&amp;|&gt;)+$/);
  });
});

describe('splitSlackText', () => {
  it('splits at line breaks and spaces, each part within the limit, nothing lost', () => {
    // Prepare
    const words = Array.from({ length: 800 }, (_, i) =>
      i % 7 === 0 ? `step ${i} &amp;\n` : `word${i}`,
    );
    const text = words.join(' ');
    // Act
    const parts = splitSlackText(text, 500);
    // Assess
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(500);
    expect(parts.join(' ').replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' '));
    expect(parts.some((p) => /&(?!amp;)/.test(p))).toBe(false);
  });

  it('cuts through a token longer than a part instead of looping', () => {
    const parts = splitSlackText('x'.repeat(1200), 500);
    expect(parts.map((p) => p.length)).toEqual([500, 500, 200]);
  });
});

describe('cutPlainText', () => {
  it.each([
    ['leaves plain text unescaped', 'A&B <Ltd>', 150, 'A&B <Ltd>'],
    ['cuts with an ending', 'abcdefghij', 5, 'abcd…'],
    ['never through a surrogate pair', `abc${'😀'}def`, 5, 'abc…'],
  ])('%s', (_, text, max, expected) => {
    expect(cutPlainText(text, max)).toBe(expected);
  });
});

describe('namePerson', () => {
  it.each([
    ['a name beside the id, escaped', 'U02BOB', 'Bob <Builder>', 'Bob &lt;Builder&gt; (U02BOB)'],
    ['the mention when no name is known', 'U02BOB', undefined, '<@U02BOB>'],
    ['the mention when the name is the id', 'U02BOB', 'U02BOB', '<@U02BOB>'],
  ])('%s', (_, id, name, expected) => {
    expect(namePerson(id, name)).toBe(expected);
  });
});
