import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { checkMessage, checkModal } from '../../../sandbox/slack/block-kit.ts';
import { FakeSlack } from '../../../sandbox/slack/fake-slack.ts';

const text = (n: number, char = 'x') => char.repeat(n);
const plain = (t: string) => ({ type: 'plain_text', text: t });
const mrkdwn = (t: string) => ({ type: 'mrkdwn', text: t });
const section = (t: string) => ({ type: 'section', text: mrkdwn(t) });
const button = (patch: Record<string, unknown> = {}) => ({
  type: 'button',
  action_id: 'go',
  text: plain('Go'),
  value: 'v',
  ...patch,
});
const confirm = (patch: Record<string, unknown> = {}) => ({
  title: plain('Sure?'),
  text: mrkdwn('Really.'),
  confirm: plain('Yes'),
  deny: plain('No'),
  ...patch,
});
const radio = (optionText: string) => ({
  type: 'input',
  block_id: 'pick',
  label: plain('Pick'),
  element: {
    type: 'radio_buttons',
    action_id: 'value',
    options: [{ text: plain(optionText), value: 'a' }],
  },
});

describe('checkMessage', () => {
  it.each([
    ['51 blocks', Array.from({ length: 51 }, () => section('a')), '/blocks', 'no more than 50'],
    ['a section of 3,001 characters', [section(text(3001))], '/blocks/0/text/text', '3001'],
    ['an empty section text', [section('')], '/blocks/0/text/text', 'more than 0'],
    [
      '11 fields',
      [{ type: 'section', fields: Array.from({ length: 11 }, () => mrkdwn('f')) }],
      '/blocks/0/fields',
      'no more than 10',
    ],
    [
      'a field of 2,001 characters',
      [{ type: 'section', fields: [mrkdwn(text(2001))] }],
      '/blocks/0/fields/0/text',
      '2001',
    ],
    [
      'a header of 151 characters',
      [{ type: 'header', text: plain(text(151)) }],
      '/blocks/0/text/text',
      '151',
    ],
    [
      'a mrkdwn header',
      [{ type: 'header', text: mrkdwn('h') }],
      '/blocks/0/text/type',
      'plain_text',
    ],
    [
      '11 context elements',
      [{ type: 'context', elements: Array.from({ length: 11 }, () => mrkdwn('c')) }],
      '/blocks/0/elements',
      'no more than 10',
    ],
    [
      'a button text of 76 characters',
      [{ type: 'actions', elements: [button({ text: plain(text(76)) })] }],
      '/blocks/0/elements/0/text/text',
      '76',
    ],
    [
      'a button value of 2,001 characters',
      [{ type: 'actions', elements: [button({ value: text(2001) })] }],
      '/blocks/0/elements/0/value',
      '2001',
    ],
    [
      'an action_id of 256 characters',
      [{ type: 'actions', elements: [button({ action_id: text(256) })] }],
      '/blocks/0/elements/0/action_id',
      '256',
    ],
    [
      'one action_id twice in a block',
      [{ type: 'actions', elements: [button(), button()] }],
      '/blocks/0/elements/1/action_id',
      'duplicate action_id',
    ],
    [
      'a block_id of 256 characters',
      [{ ...section('a'), block_id: text(256) }],
      '/blocks/0/block_id',
      '256',
    ],
    [
      'one block_id twice',
      [
        { ...section('a'), block_id: 'b' },
        { ...section('b'), block_id: 'b' },
      ],
      '/blocks/1/block_id',
      'duplicate block_id',
    ],
    [
      'a confirm title of 101 characters',
      [{ type: 'actions', elements: [button({ confirm: confirm({ title: plain(text(101)) }) })] }],
      '/blocks/0/elements/0/confirm/title/text',
      '101',
    ],
    [
      'a confirm text of 301 characters',
      [{ type: 'actions', elements: [button({ confirm: confirm({ text: mrkdwn(text(301)) }) })] }],
      '/blocks/0/elements/0/confirm/text/text',
      '301',
    ],
    [
      'a confirm button of 31 characters',
      [{ type: 'actions', elements: [button({ confirm: confirm({ deny: plain(text(31)) }) })] }],
      '/blocks/0/elements/0/confirm/deny/text',
      '31',
    ],
    [
      'an option text of 76 characters',
      [radio(text(76))],
      '/blocks/0/element/options/0/text/text',
      '76',
    ],
    [
      '26 buttons',
      [
        {
          type: 'actions',
          elements: Array.from({ length: 26 }, (_, i) => button({ action_id: `b${i}` })),
        },
      ],
      '/blocks/0/elements',
      'no more than 25',
    ],
  ])('refuses %s as invalid_blocks, naming where', (_, blocks, pointer, words) => {
    // Act
    const refusal = checkMessage({ text: 'fallback', blocks });
    // Assess
    expect(refusal?.error).toBe('invalid_blocks');
    expect(refusal?.messages).toHaveLength(1);
    expect(refusal?.messages[0]).toContain(`[json-pointer:${pointer}]`);
    expect(refusal?.messages[0]).toContain(words);
  });

  it.each([
    ['50 blocks', Array.from({ length: 50 }, () => section('a'))],
    ['a section of 3,000 characters', [section(text(3000))]],
    [
      '10 fields, one of 2,000',
      [
        {
          type: 'section',
          fields: [mrkdwn(text(2000)), ...Array.from({ length: 9 }, () => mrkdwn('f'))],
        },
      ],
    ],
    ['a header of 150', [{ type: 'header', text: plain(text(150)) }]],
    [
      'one action_id in two blocks',
      [
        { type: 'actions', elements: [button()] },
        { type: 'actions', elements: [button()] },
      ],
    ],
    [
      'a confirm at its limits',
      [
        {
          type: 'actions',
          elements: [
            button({
              text: plain(text(75)),
              confirm: confirm({
                title: plain(text(100)),
                text: mrkdwn(text(300)),
                confirm: plain(text(30)),
              }),
            }),
          ],
        },
      ],
    ],
  ])('takes %s', (_, blocks) => {
    expect(checkMessage({ text: 'fallback', blocks })).toBeUndefined();
  });

  it('answers msg_blocks_too_long past 12,000 characters of text in all the blocks', () => {
    const blocks = (n: number) => Array.from({ length: n }, () => section(text(3000)));
    expect(checkMessage({ text: 't', blocks: blocks(5) })?.error).toBe('msg_blocks_too_long');
    expect(checkMessage({ text: 't', blocks: blocks(4) })).toBeUndefined();
  });

  it('answers msg_too_long past 40,000 characters of text', () => {
    expect(checkMessage({ text: text(40_001) })?.error).toBe('msg_too_long');
    expect(checkMessage({ text: text(40_000) })).toBeUndefined();
  });
});

describe('checkModal', () => {
  const modal = (patch: Record<string, unknown> = {}) => ({
    type: 'modal',
    title: plain('Customer sign-off'),
    submit: plain('Record'),
    blocks: [section('a')],
    ...patch,
  });

  it.each([
    ['a title of 25 characters', { title: plain(text(25)) }, '/view/title/text'],
    ['a submit of 25 characters', { submit: plain(text(25)) }, '/view/submit/text'],
    ['101 blocks', { blocks: Array.from({ length: 101 }, () => section('a')) }, '/view/blocks'],
    ['private_metadata of 3,001', { private_metadata: text(3001) }, '/view/private_metadata'],
    [
      'an option text of 76',
      { blocks: [radio(text(76))] },
      '/view/blocks/0/element/options/0/text/text',
    ],
  ])('refuses %s as invalid_arguments', (_, patch, pointer) => {
    const refusal = checkModal(modal(patch));
    expect(refusal?.error).toBe('invalid_arguments');
    expect(refusal?.messages[0]).toContain(`[json-pointer:${pointer}]`);
  });

  it('takes 100 blocks and a title of 24', () => {
    const blocks = Array.from({ length: 100 }, () => section('a'));
    expect(checkModal(modal({ blocks, title: plain(text(24)) }))).toBeUndefined();
  });
});

describe('FakeSlack and Block Kit', () => {
  const running: FakeSlack[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((fake) => fake.close()));
  });
  const startFake = async () => {
    const fake = await new FakeSlack({ users: { U01ALICE: { name: 'alice' } } }).start();
    running.push(fake);
    const client = new WebClient('xoxb-fake', {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    });
    return { fake, client };
  };
  const failure = async (call: Promise<unknown>) =>
    call.then(
      () => {
        throw new Error('expected Slack to refuse');
      },
      (error: { data: { error: string; response_metadata?: { messages?: string[] } } }) =>
        error.data,
    );

  it.each([
    [
      'chat.postMessage',
      (c: WebClient) =>
        c.chat.postMessage({ channel: 'C1', text: 't', blocks: [section(text(3001))] as never }),
    ],
    [
      'chat.postEphemeral',
      (c: WebClient) =>
        c.chat.postEphemeral({
          channel: 'C1',
          user: 'U01ALICE',
          text: 't',
          blocks: [section(text(3001))] as never,
        }),
    ],
  ])('answers %s with a section over 3,000 characters as Slack does', async (_, send) => {
    // Prepare
    const { fake, client } = await startFake();
    // Act
    const data = await failure(send(client));
    // Assess
    expect(data.error).toBe('invalid_blocks');
    expect(data.response_metadata?.messages).toEqual([
      '[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
    ]);
    expect(fake.calls.at(-1)).toMatchObject({ ok: false, error: 'invalid_blocks' });
  });

  it('keeps the message as it was when chat.update is refused', async () => {
    // Prepare
    const { fake, client } = await startFake();
    const posted = await client.chat.postMessage({
      channel: 'C1',
      text: 'first',
      blocks: [section('first')] as never,
    });
    // Act
    const data = await failure(
      client.chat.update({
        channel: 'C1',
        ts: String(posted.ts),
        text: 'second',
        blocks: [{ type: 'header', text: plain(text(151)) }] as never,
      }),
    );
    // Assess
    expect(data.error).toBe('invalid_blocks');
    expect(fake.messages('C1')[0]?.text).toBe('first');
  });

  it('refuses a modal whose title is over 24 characters, and keeps the trigger unused', async () => {
    // Prepare
    const { fake, client } = await startFake();
    const triggerId = fake.triggerId();
    const view = { type: 'modal', title: plain(text(25)), blocks: [section('a')] };
    // Act
    const data = await failure(client.views.open({ trigger_id: triggerId, view: view as never }));
    const retry = await client.views.open({
      trigger_id: triggerId,
      view: { ...view, title: plain('Sign-off') } as never,
    });
    // Assess
    expect(data.error).toBe('invalid_arguments');
    expect(data.response_metadata?.messages?.[0]).toContain('/view/title/text');
    expect(retry.ok).toBe(true);
  });

  it('refuses a response_url post Slack would refuse and does not show it', async () => {
    // Prepare
    const { fake } = await startFake();
    // Act
    const answer = await fetch(fake.responseUrl('r1'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 't', blocks: Array.from({ length: 51 }, () => section('a')) }),
    });
    // Assess
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(fake.responses).toHaveLength(0);
    expect(fake.refusedResponses[0]?.messages[0]).toContain('no more than 50 items');
  });

  it('notes blocks sent without a text fallback, which Slack takes', async () => {
    // Prepare
    const { fake, client } = await startFake();
    // Act
    await client.chat.postMessage({ channel: 'C1', blocks: [section('a')] as never });
    // Assess
    expect(fake.calls.at(-1)).toMatchObject({ ok: true, warning: 'missing_text' });
  });

  it('refuses what a test chooses, with the error it names', async () => {
    // Prepare
    const { fake, client } = await startFake();
    fake.refuse = ({ args }) => (args.text === 'bad' ? 'invalid_blocks' : undefined);
    // Act
    const data = await failure(client.chat.postMessage({ channel: 'C1', text: 'bad' }));
    await client.chat.postMessage({ channel: 'C1', text: 'good' });
    // Assess
    expect(data.error).toBe('invalid_blocks');
    expect(fake.messages('C1').map((m) => m.text)).toEqual(['good']);
  });
});
