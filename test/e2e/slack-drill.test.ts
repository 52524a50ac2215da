import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../orchestrator/report/render-markdown.ts';
import type { FakeSlackMessage } from '../../sandbox/slack/fake-slack.ts';
import { SlackSandbox } from '../../sandbox/slack-sandbox.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../helpers.ts';
import { buttonValue, waitFor } from '../support/slack.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const CHANNEL = 'C0BCBSAZDR';
const WRITES = new Set([
  'chat.postMessage',
  'chat.update',
  'chat.postEphemeral',
  'views.open',
  'views.update',
]);

const textOf = (m: FakeSlackMessage) => `${m.text ?? ''} ${JSON.stringify(m.blocks ?? [])}`;

describe('the bcbsaz drill, only through signed Slack requests', () => {
  let sandbox: SlackSandbox;
  let executionId: string;
  let requestCard: FakeSlackMessage;
  let signOffPrompt: FakeSlackMessage;

  beforeAll(async () => {
    // Slack's clock runs 10x: the notifier's pacing and the fake Slack's limits both follow it.
    sandbox = await SlackSandbox.start({
      plansDir: SAMPLE_PLANS,
      settingsFile: SAMPLE_SETTINGS,
      slackSpeed: 10,
    });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('alice requests the drill and gets a private answer naming the run', async () => {
    // Act
    const answer = await sandbox.command('U01ALICE', CHANNEL, 'drill bcbsaz');
    // Assess
    expect(answer.statusCode).toBe(200);
    expect(answer.body.text).toMatch(/Requested the drill of BCBS of Arizona/);
    executionId = /run `([^`]+)`/.exec(answer.body.text ?? '')?.[1] ?? '';
    expect(executionId).toMatch(/^drill-bcbsaz-\d{8}-\d{6}-[0-9a-f]{4}$/);
  });

  it('shows the request card with the pre-flight result; alice cannot approve her own request', async () => {
    // Prepare
    requestCard = await waitFor('the request card', () =>
      sandbox.slack.messages(CHANNEL).find((m) => buttonValue(m, 'gate_approve')),
    );
    const gateId = buttonValue(requestCard, 'gate_approve') ?? '';
    expect(textOf(requestCard)).toMatch(/Pre-flight\* \(\d+\/\d+ pass\)/);
    expect(gateId.startsWith(`${executionId}/`)).toBe(true);
    // Act
    await sandbox.click(
      'U01ALICE',
      { channel: CHANNEL, ts: requestCard.ts },
      'gate_approve',
      gateId,
    );
    // Assess
    const denial = await waitFor('the denial', () =>
      sandbox.slack.responses.find((r) => JSON.stringify(r.body).includes('approver role')),
    );
    expect(JSON.stringify(denial.body)).toMatch(/you are an operator/);
    expect(denial.body).toMatchObject({ response_type: 'ephemeral' });
  });

  it('bob approves; the card shows who and when, and the drill runs to the customer sign-off', async () => {
    // Act
    const gateId = buttonValue(requestCard, 'gate_approve') ?? '';
    const click = await sandbox.click(
      'U02BOB',
      { channel: CHANNEL, ts: requestCard.ts },
      'gate_approve',
      gateId,
    );
    // Assess
    expect(click.statusCode).toBe(200);
    signOffPrompt = await waitFor(
      'the sign-off prompt',
      () => sandbox.slack.messages(CHANNEL).find((m) => buttonValue(m, 'sign_off_open')),
      120_000,
    );
    const card = sandbox.slack.messages(CHANNEL).find((m) => m.ts === requestCard.ts);
    // The name bob shows in Slack (users.info), not the handle the click carried.
    expect(textOf(card as FakeSlackMessage)).toMatch(
      /Approved by Bob Builder \(U02BOB\) <!date\^\d+/,
    );
    expect(buttonValue(card, 'gate_approve')).toBeUndefined();
    expect(textOf(signOffPrompt)).toContain('<@U03CAROL>');
  }, 150_000);

  it('bob cannot record the sign-off; carol does, through the modal', async () => {
    // Prepare
    const gateId = buttonValue(signOffPrompt, 'sign_off_open') ?? '';
    const message = { channel: CHANNEL, ts: signOffPrompt.ts };
    await sandbox.click('U02BOB', message, 'sign_off_open', gateId);
    expect(sandbox.slack.views.size).toBe(0);
    // Act
    await sandbox.click('U03CAROL', message, 'sign_off_open', gateId);
    const [viewId] = [...sandbox.slack.views.keys()];
    const submitted = await sandbox.submitView('U03CAROL', viewId ?? '', {
      contact: 'Pat Doe, BCBSAZ IT director',
      notes: 'Claims portal and SFTP checked <!channel>',
      decision: 'approve',
    });
    // Assess
    expect(submitted.statusCode).toBe(200);
    expect(submitted.body.response_action).toBeUndefined();
    await sandbox.orchestrator.settled(executionId);
    await sandbox.bot.shown(executionId);
    expect(sandbox.errors).toEqual([]);
  }, 150_000);

  it('kept one status card and a thread in wave order, and broadcast the report with RTO and RPO', async () => {
    const messages = sandbox.slack.messages(CHANNEL);
    const status = messages.find((m) => !m.threadTs && /Run `drill-bcbsaz/.test(textOf(m)));
    expect(status).toBeDefined();
    expect(status?.edits).toBeGreaterThan(3);
    expect(textOf(status as FakeSlackMessage)).toContain('Succeeded');
    const thread = sandbox.slack.thread(CHANNEL, status?.ts ?? '');
    const waves = thread
      .flatMap((m) => [...(m.text ?? '').matchAll(/Wave (\d)\/5 (\w[\w-]*): recover/g)])
      .map((w) => `${w[1]} ${w[2]}`);
    expect(waves).toEqual([
      '1 database',
      '2 application',
      '3 web',
      '4 file-transfer',
      '5 monitoring',
      '1 database',
      '2 application',
      '3 web',
      '4 file-transfer',
      '5 monitoring',
    ]);
    const prompt = thread.find((m) => m.ts === signOffPrompt.ts);
    expect(textOf(prompt as FakeSlackMessage)).toMatch(/Signed off by <@U03CAROL>/);
    const report = thread.at(-1) as FakeSlackMessage;
    expect(textOf(report)).toMatch(/Drill of BCBS of Arizona succeeded/);
    expect(textOf(report)).toMatch(/RTO .*target 4h.*RPO .*target 15m/);
    const broadcast = sandbox.slack.calls.find(
      (c) => c.method === 'chat.postMessage' && String(c.args.reply_broadcast) === 'true',
    );
    expect(broadcast).toBeDefined();
    expect(JSON.stringify(sandbox.slack.calls)).not.toContain('<!channel>');
  });

  it('names people in the report by their Slack display name, beside their id', async () => {
    // Act
    const report = await sandbox.runs.report(executionId);
    const markdown = renderMarkdown(report);
    // Assess: looked up with users.info when they acted, not the handles the requests carried
    expect(report).toMatchObject({ requestedBy: 'U01ALICE', requestedByName: 'Alice Archer' });
    expect(report.approvals[0]?.answers).toEqual([
      expect.objectContaining({ user: 'U02BOB', name: 'Bob Builder', decision: 'approve' }),
    ]);
    expect(markdown).toContain('Alice Archer (U01ALICE)');
    expect(markdown).toMatch(/\| Bob Builder \(U02BOB\) \| approve \|/);
    expect(markdown).toMatch(/\| Carol Chen \(U03CAROL\) \| approve \|/);
    expect(
      sandbox.slack.calls.filter((c) => c.method === 'users.info' && c.args.user === 'U02BOB'),
    ).toHaveLength(1);
  });

  it('stayed within 40 Slack writes and never hit a rate limit', () => {
    const writes = sandbox.slack.calls.filter((c) => WRITES.has(c.method));
    console.info(`bcbsaz drill through Slack: ${writes.length} Slack writes`);
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.length).toBeLessThanOrEqual(40);
    expect(sandbox.slack.rateLimited).toEqual([]);
    expect(writes.every((c) => c.ok)).toBe(true);
  });
});
