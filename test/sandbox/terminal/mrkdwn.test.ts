import { describe, expect, it } from 'vitest';
import { replaceEmoji } from '../../../sandbox/terminal/emoji.ts';
import { renderMrkdwn, renderPlainText } from '../../../sandbox/terminal/mrkdwn.ts';
import { ANSI_PAINT, PLAIN_PAINT } from '../../../sandbox/terminal/paint.ts';

const names = {
  users: { U01ALICE: 'alice', U02BOB: 'bob' },
  groups: { S0HRPDRLEADS: 'hrp-dr-leads' },
  channels: { C0BCBSAZDR: 'bcbsaz-dr' },
};
const plain = { paint: PLAIN_PAINT, names };

describe('renderMrkdwn', () => {
  it.each([
    ['*Customer*\nBCBS of Arizona', 'Customer\nBCBS of Arizona'],
    ['*Status:* running', 'Status: running'],
    ['_none given_', 'none given'],
    ['~old~ new', 'old new'],
    ['run `drill-bcbsaz-1`', 'run drill-bcbsaz-1'],
    ['```\nline one\n*not bold*\n```', 'line one\n*not bold*'],
    ['`a *b* <@U02BOB>` stays code', 'a *b* <@U02BOB> stays code'],
    ['*Recent runs of DMNT (`dmnt`)*:', 'Recent runs of DMNT (dmnt):'],
    ['sign_off_open and 2*3*4 are not formatting', 'sign_off_open and 2*3*4 are not formatting'],
    ['Approved by <@U02BOB>', 'Approved by @bob'],
    ['<@U09NOBODY> and <@U09NOBODY|mallory>', '@U09NOBODY and @mallory'],
    ['*Approved by <@U02BOB>*', 'Approved by @bob'],
    ['<!subteam^S0HRPDRLEADS> and <!subteam^S0X|@dr-team>', '@hrp-dr-leads and @dr-team'],
    ['in <#C0BCBSAZDR> or <#C0OTHER|ops>', 'in #bcbsaz-dr or #ops'],
    ['<!here> <!channel>', '@here @channel'],
    [
      'at <!date^1795324631^{date_short_pretty} {time}|2026-11-22 05:17 UTC>',
      'at 2026-11-22 05:17 UTC',
    ],
    ['<https://example.com/r.html|HTML report>', 'HTML report (https://example.com/r.html)'],
    ['<https://example.com/a?b=1&amp;c=2>', 'https://example.com/a?b=1&c=2'],
    ['<mailto:ops@example.com|ops>', 'ops'],
    ['&lt;!channel&gt; typed by a person', '<!channel> typed by a person'],
    ['R&amp;D &amp;lt;b&amp;gt;', 'R&D &lt;b&gt;'],
    [':white_check_mark: done :x: failed :tada:', '✅ done ❌ failed 🎉'],
    [':shipit: stays, as does 12:05:30', ':shipit: stays, as does 12:05:30'],
    ['12:05:white_check_mark:', '12:05✅'],
  ])('%j -> %j', (text, expected) => {
    // Act
    const shown = renderMrkdwn(text, plain);
    // Assess
    expect(shown).toBe(expected);
  });

  it.each([
    ['*bold*', '\x1b[1mbold\x1b[22m'],
    ['_it_', '\x1b[3mit\x1b[23m'],
    ['`code`', '\x1b[36mcode\x1b[39m'],
    ['<@U01ALICE>', '\x1b[34m@alice\x1b[39m'],
  ])('styles %j on a TTY', (text, expected) => {
    expect(renderMrkdwn(text, { paint: ANSI_PAINT, names })).toBe(expected);
  });

  it('writes no escape code without a TTY', () => {
    // Act
    const shown = renderMrkdwn('*a* _b_ ~c~ `d` <@U02BOB> <https://x.example|x>', plain);
    // Assess
    expect(shown).not.toContain('\x1b');
    expect(shown).toBe('a b c d @bob x (https://x.example)');
  });
});

describe('renderPlainText', () => {
  it.each([
    ['Drill requested: R&amp;D', true, 'Drill requested: R&D'],
    ['Go :rocket:', true, 'Go 🚀'],
    ['Go :rocket:', false, 'Go :rocket:'],
    ['*not bold*', true, '*not bold*'],
  ])('%j (emoji %j) -> %j', (text, emoji, expected) => {
    expect(renderPlainText(text, emoji)).toBe(expected);
  });
});

describe('replaceEmoji', () => {
  it.each([
    [':warning: :hourglass_flowing_sand:', '⚠️ ⏳'],
    [':arrows_counterclockwise: Running', '🔄 Running'],
    ['::', '::'],
    [':unknown::clipboard:', ':unknown:📋'],
  ])('%j -> %j', (text, expected) => {
    expect(replaceEmoji(text)).toBe(expected);
  });
});
