import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackSandbox } from '../../sandbox/slack-sandbox.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../helpers.ts';
import { buttonValue, runIdOf, waitFor } from '../support/slack.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** People decide in Slack: a failed wave, and an operation that needs two approvals. */
describe('decisions in Slack', () => {
  let sandbox: SlackSandbox;

  beforeAll(async () => {
    sandbox = await SlackSandbox.start({
      plansDir: SAMPLE_PLANS,
      settingsFile: SAMPLE_SETTINGS,
      faults: ['launch-fail:dmnt-ora-01'],
      slackSpeed: 10,
    });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('a failed wave asks what to do; only an operator decides, and "continue" goes on without the server', async () => {
    // Prepare
    const channel = 'C0DMNTDR';
    const executionId = runIdOf(
      (await sandbox.command('U01ALICE', channel, 'drill dmnt')).body.text,
    );
    const card = await waitFor('the request card', () =>
      sandbox.slack.messages(channel).find((m) => buttonValue(m, 'gate_approve')),
    );
    await sandbox.click(
      'U02BOB',
      { channel, ts: card.ts },
      'gate_approve',
      buttonValue(card, 'gate_approve') ?? '',
    );
    const prompt = await waitFor('the decision prompt', () =>
      sandbox.slack.messages(channel).find((m) => buttonValue(m, 'gate_continue')),
    );
    const gateId = buttonValue(prompt, 'gate_continue') ?? '';
    const at = { channel, ts: prompt.ts };
    // Act
    await sandbox.click('U04DAVE', at, 'gate_continue', gateId);
    await sandbox.click('U01ALICE', at, 'gate_continue', gateId);
    // Assess
    expect(JSON.stringify(prompt.blocks)).toMatch(/A step failed.*dmnt-ora-01/);
    const denial = await waitFor('the denial', () =>
      sandbox.slack.responses.find((r) => JSON.stringify(r.body).includes('decide on failed runs')),
    );
    expect(JSON.stringify(denial.body)).toMatch(/you are a viewer/);
    await waitFor('the answered prompt', () => {
      const now = sandbox.slack.messages(channel).find((m) => m.ts === prompt.ts);
      return now && !buttonValue(now, 'gate_continue') ? now : undefined;
    });
    const signOff = await waitFor('the sign-off prompt', () =>
      sandbox.slack.messages(channel).find((m) => buttonValue(m, 'sign_off_open')),
    );
    expect(signOff.threadTs).toBeDefined();
    const journal = await sandbox.runs.journal(executionId);
    expect(journal.find((e) => e.type === 'servers-excluded')?.data).toMatchObject({
      servers: ['dmnt-ora-01'],
    });
    await sandbox.command('U01ALICE', channel, `abort ${executionId}`);
    await sandbox.orchestrator.settled(executionId);
    await sandbox.bot.shown(executionId);
    const report = sandbox.slack.messages(channel).at(-1);
    expect(report?.text).toMatch(/Drill of DMNT.* aborted/);
    // An aborted run's report is written at its end, and the last message says where.
    expect(JSON.stringify(report?.blocks)).toMatch(/HTML: `[^`]+\.html`/);
  }, 120_000);

  it('a failover of nwhealth needs two approvers: the card counts them, the second decides', async () => {
    // Prepare
    const channel = 'C0NWHEALTHDR';
    const answer = await sandbox.command(
      'U05ERIN',
      channel,
      'failover nwhealth --since 2026-11-22T03:00:00Z --reason "storage array lost"',
    );
    const executionId = runIdOf(answer.body.text);
    const card = await waitFor('the request card', () =>
      sandbox.slack.messages(channel).find((m) => buttonValue(m, 'gate_approve')),
    );
    const gateId = buttonValue(card, 'gate_approve') ?? '';
    const at = { channel, ts: card.ts };
    // Act
    await sandbox.click('U06FRANK', at, 'gate_approve', gateId);
    const first = await waitFor('the first approval', () =>
      sandbox.slack.responses.find((r) => JSON.stringify(r.body).includes('1 of 2 approvals')),
    );
    await waitFor('the card counting one approval', () => {
      const now = sandbox.slack.messages(channel).find((m) => m.ts === card.ts);
      return JSON.stringify(now?.blocks).includes('Approvals 1/2') ? now : undefined;
    });
    await sandbox.click('U07GRACE', at, 'gate_approve', gateId);
    // Assess
    expect(first.body).toMatchObject({ response_type: 'ephemeral' });
    const decided = await waitFor('the decided card', () => {
      const now = sandbox.slack.messages(channel).find((m) => m.ts === card.ts);
      return JSON.stringify(now?.blocks).includes('Approved by') ? now : undefined;
    });
    expect(JSON.stringify(decided.blocks)).toMatch(
      /Approved by Frank Fischer \(U06FRANK\), Grace Garcia \(U07GRACE\)/,
    );
    expect(JSON.stringify(decided.blocks)).toMatch(/FAILOVER \(real incident\)/);
    expect(JSON.stringify(decided.blocks)).toMatch(/storage array lost/);
    await sandbox.command('U05ERIN', channel, `abort ${executionId}`);
    await sandbox.orchestrator.settled(executionId);
    expect(sandbox.errors).toEqual([]);
  }, 120_000);
});
