import { describe, expect, it } from 'vitest';
import { escapeSlackText, formatSlackDate, mentionUser } from '../../bot/slack-text.ts';

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
