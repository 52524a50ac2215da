import { describe, expect, it } from 'vitest';
import {
  type CommandError,
  type DrCommand,
  editDistance,
  parseDrCommand,
  renderHelp,
} from '../../../bot/commands/parse-command.ts';
import { escapeSlackText } from '../../../bot/slack-text.ts';

function error(text: string): CommandError {
  const result = parseDrCommand(text);
  if (result.name !== 'error') throw new Error(`expected an error for "${text}"`);
  return result;
}

describe('parseDrCommand', () => {
  it.each<[string, DrCommand]>([
    ['', { name: 'help' }],
    ['help', { name: 'help' }],
    ['help drill', { name: 'help', topic: 'drill' }],
    ['drill bcbsaz', { name: 'drill', customer: 'bcbsaz', bubble: false }],
    ['  Drill   bcbsaz  --bubble ', { name: 'drill', customer: 'bcbsaz', bubble: true }],
    ['drill --bubble nwhealth', { name: 'drill', customer: 'nwhealth', bubble: true }],
    ['failover dmnt', { name: 'failover', customer: 'dmnt' }],
    [
      'failover dmnt --since 2025-03-01T09:30:00Z --reason "us-west-2 is down"',
      {
        name: 'failover',
        customer: 'dmnt',
        since: Date.parse('2025-03-01T09:30:00Z'),
        reason: 'us-west-2 is down',
      },
    ],
    [
      'failover dmnt --reason “smart quotes” --since 2025-03-01T02:30:00-07:00',
      {
        name: 'failover',
        customer: 'dmnt',
        since: Date.parse('2025-03-01T09:30:00Z'),
        reason: 'smart quotes',
      },
    ],
    [
      "failover bcbsaz --reason the primary's storage array failed --since ignored",
      {
        name: 'failover',
        customer: 'bcbsaz',
        reason: "the primary's storage array failed --since ignored",
      },
    ],
    ['failback bcbsaz', { name: 'failback', customer: 'bcbsaz' }],
    ['status', { name: 'status' }],
    ['status bcbsaz', { name: 'status', target: 'bcbsaz' }],
    ['status bcbsaz-drill-20250301T0930', { name: 'status', target: 'bcbsaz-drill-20250301T0930' }],
    ['pause run-1', { name: 'pause', run: 'run-1' }],
    ['resume run-1', { name: 'resume', run: 'run-1' }],
    ['abort run-1', { name: 'abort', run: 'run-1' }],
    ['plan dmnt', { name: 'plan', customer: 'dmnt' }],
    ['readiness dmnt', { name: 'readiness', customer: 'dmnt' }],
    ['history dmnt', { name: 'history', customer: 'dmnt' }],
    ['report run-1', { name: 'report', run: 'run-1' }],
  ])('parses %j', (text, expected) => {
    // Act
    const result = parseDrCommand(text);
    // Assess
    expect(result).toEqual(expected);
  });

  it.each<[string, RegExp, string]>([
    ['dril bcbsaz', /Unknown command "dril"/, '/dr drill <customer> [--bubble]'],
    [
      'failovr dmnt',
      /Unknown command/,
      '/dr failover <customer> [--since <ISO time>] [--reason <text…>]',
    ],
    ['stauts', /Unknown command/, '/dr status [customer|run]'],
    ['drill', /Missing &lt;customer&gt;/, '/dr drill <customer> [--bubble]'],
    ['pause', /Missing &lt;run&gt;/, '/dr pause <run>'],
    ['drill BCBSAZ', /lower case, like "bcbsaz"/, '/dr drill <customer> [--bubble]'],
    [
      'drill bcbsaz --bubbel',
      /has no option --bubbel \(it takes --bubble\)/,
      '/dr drill <customer> [--bubble]',
    ],
    ['failback bcbsaz --bubble', /has no option --bubble/, '/dr failback <customer>'],
    ['drill bcbsaz dmnt', /Unexpected "dmnt"/, '/dr drill <customer> [--bubble]'],
    [
      'failover dmnt --since yesterday',
      /"yesterday" is not an ISO time/,
      '/dr failover <customer> [--since <ISO time>] [--reason <text…>]',
    ],
    [
      'failover dmnt --since 2025-03-01T09:30:00',
      /not an ISO time with a zone/,
      '/dr failover <customer> [--since <ISO time>] [--reason <text…>]',
    ],
    [
      'failover dmnt --since',
      /Missing &lt;ISO time&gt; after --since/,
      '/dr failover <customer> [--since <ISO time>] [--reason <text…>]',
    ],
    [
      'failover dmnt --reason',
      /Missing &lt;text&gt; after --reason/,
      '/dr failover <customer> [--since <ISO time>] [--reason <text…>]',
    ],
    [
      'failover dmnt --reason ""',
      /The reason is empty/,
      '/dr failover <customer> [--since <ISO time>] [--reason <text…>]',
    ],
    [
      'failover dmnt --reason "unclosed',
      /not closed/,
      '/dr failover <customer> [--since <ISO time>] [--reason <text…>]',
    ],
    ['help dril', /no command "dril"/, '/dr drill <customer> [--bubble]'],
  ])('refuses %j with a message and the nearest usage', (text, message, usage) => {
    // Act
    const result = error(text);
    // Assess
    expect(result.message).toMatch(message);
    expect(result.usage).toBe(usage);
    expect(result.message).toContain(escapeSlackText(usage));
    expect(result.message).not.toContain('<');
  });

  it.each([
    '<!channel> bcbsaz',
    'drill <!here>',
    'drill <@U123ABC|bob>',
    'status <!subteam^S0HRPOPS>',
    'pause run-1 <!everyone>',
    'failover dmnt --since <!channel>',
  ])('never echoes a mention raw: %j', (text) => {
    // Act
    const result = error(text);
    // Assess
    expect(result.message).not.toMatch(/<[!@#]/);
    expect(result.message).toContain('&lt;');
  });

  it('keeps a mention in a reason as text, for the cards to escape', () => {
    const result = parseDrCommand('failover dmnt --reason <!channel> primary down');
    expect(result).toMatchObject({ name: 'failover', reason: '<!channel> primary down' });
  });

  it('refuses a reason longer than 500 characters', () => {
    expect(error(`failover dmnt --reason ${'x'.repeat(501)}`).message).toMatch(/longer than 500/);
  });
});

describe('parseDrCommand, region-wide', () => {
  it.each<[string, DrCommand]>([
    ['failover region us-east-1', { name: 'failover-region', region: 'us-east-1' }],
    ['FAILOVER Region US-EAST-1', { name: 'failover-region', region: 'us-east-1' }],
    [
      'failover region us-east-1 the whole region is down',
      { name: 'failover-region', region: 'us-east-1', reason: 'the whole region is down' },
    ],
    [
      'failover region us-east-1 "AWS health: us-east-1 outage"',
      { name: 'failover-region', region: 'us-east-1', reason: 'AWS health: us-east-1 outage' },
    ],
    [
      'failover region us-east-1 --reason “smart quotes”',
      { name: 'failover-region', region: 'us-east-1', reason: 'smart quotes' },
    ],
    [
      'failover region us-west-2 --reason EC2 API errors everywhere',
      { name: 'failover-region', region: 'us-west-2', reason: 'EC2 API errors everywhere' },
    ],
    ['status region us-east-1', { name: 'status-region', region: 'us-east-1' }],
    // A quoted "region" is a customer id, as typed.
    ['failover "region"', { name: 'failover', customer: 'region' }],
    [
      'abort incident-us-east-1-20261206-120000-k3f9',
      { name: 'abort', run: 'incident-us-east-1-20261206-120000-k3f9' },
    ],
  ])('parses %j', (text, expected) => {
    expect(parseDrCommand(text)).toEqual(expected);
  });

  it.each<[string, RegExp, string]>([
    ['failover region', /Missing &lt;region&gt;/, '/dr failover region <region> [reason…]'],
    [
      'failover region us-east-9',
      /"us-east-9" is not a region Lifeboat knows; use one of us-east-1/,
      '/dr failover region <region> [reason…]',
    ],
    [
      'failover region us-east-1 --since 2025-03-01T09:30:00Z',
      /has no option --since \(it takes --reason\)/,
      '/dr failover region <region> [reason…]',
    ],
    [
      'failover region us-east-1 --reason ""',
      /The reason is empty/,
      '/dr failover region <region> [reason…]',
    ],
    [
      `failover region us-east-1 ${'x'.repeat(501)}`,
      /longer than 500/,
      '/dr failover region <region> [reason…]',
    ],
    ['status region', /Missing &lt;region&gt;/, '/dr status region <region>'],
    ['status region us-east-1 now', /Unexpected "now"/, '/dr status region <region>'],
    ['status region <!channel>', /not a region Lifeboat knows/, '/dr status region <region>'],
  ])('refuses %j with a message and the region-wide usage', (text, message, usage) => {
    // Act
    const result = error(text);
    // Assess
    expect(result.message).toMatch(message);
    expect(result.usage).toBe(usage);
    expect(result.message).not.toMatch(/<[!@#]/);
  });
});

describe('editDistance', () => {
  it.each([
    ['drill', 'drill', 0],
    ['dril', 'drill', 1],
    ['dirll', 'drill', 1],
    ['', 'abc', 3],
    ['failback', 'failover', 4],
  ])('%s -> %s is %i', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
  });
});

describe('renderHelp', () => {
  it('lists every command with escaped usages', () => {
    const help = renderHelp();
    // Twelve commands, two of them with a region-wide form.
    expect(help.split('\n')).toHaveLength(14);
    expect(help).toContain('`/dr drill &lt;customer&gt; [--bubble]`');
    expect(help).toContain('`/dr failover region &lt;region&gt; [reason…]`');
    expect(help).toContain('`/dr status region &lt;region&gt;`');
    expect(help).toContain('`/dr abort &lt;run|incident&gt;`');
    expect(help).not.toContain('<');
  });
});
