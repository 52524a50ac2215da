import { describe, expect, it } from 'vitest';
import { parseDotEnv } from '../../cli/dotenv.ts';

describe('parseDotEnv', () => {
  it.each([
    ['SLACK_BOT_TOKEN=xoxb-1', { SLACK_BOT_TOKEN: 'xoxb-1' }],
    ['export SLACK_APP_TOKEN=xapp-1', { SLACK_APP_TOKEN: 'xapp-1' }],
    ['  KEY = spaced value  ', { KEY: 'spaced value' }],
    ['KEY=value # a comment', { KEY: 'value' }],
    ['KEY=value#not-a-comment', { KEY: 'value#not-a-comment' }],
    ["KEY='single # kept \\n as is'", { KEY: 'single # kept \\n as is' }],
    ['KEY="double \\"quoted\\"\\nnext"', { KEY: 'double "quoted"\nnext' }],
    ['KEY=', { KEY: '' }],
    ['# SLACK_BOT_TOKEN=commented', {}],
    ['not a line\n=novalue\n1BAD=x', {}],
    ['KEY="unterminated', {}],
    ['A=1\r\nB=2\n\nA=3', { A: '3', B: '2' }],
  ])('%j', (text, expected) => {
    expect(parseDotEnv(text)).toEqual(expected);
  });
});
