import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interactionBody, slashCommandBody } from '../../sandbox/slack/signer.ts';
import { SANDBOX_TEAM, SlackSandbox } from '../../sandbox/slack-sandbox.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../helpers.ts';
import { buttonValue, runIdOf, waitFor } from '../support/slack.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const BCBSAZ = 'C0BCBSAZDR';
const DMNT = 'C0DMNTDR';

describe('the ingress, through signed requests', () => {
  let sandbox: SlackSandbox;

  beforeAll(async () => {
    sandbox = await SlackSandbox.start({
      plansDir: SAMPLE_PLANS,
      settingsFile: SAMPLE_SETTINGS,
      postEveryMs: 0,
    });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  /** Requests an operation and waits for its request card; returns the run and the card. */
  async function requested(user: string, channel: string, text: string) {
    const answer = await sandbox.command(user, channel, text);
    const executionId = runIdOf(answer.body.text);
    expect(executionId, answer.body.text).not.toBe('');
    const card = await waitFor('the request card', () =>
      sandbox.slack
        .messages(channel)
        .find((m) => buttonValue(m, 'gate_approve')?.startsWith(`${executionId}/`)),
    );
    return { executionId, card, gateId: buttonValue(card, 'gate_approve') ?? '' };
  }

  /** Aborts a run and waits for its end, so the customer's lock is free again. */
  async function ended(user: string, channel: string, executionId: string) {
    await sandbox.command(user, channel, `abort ${executionId}`);
    await sandbox.orchestrator.settled(executionId);
  }

  const responseFor = (fragment: string) =>
    waitFor(`a private answer with "${fragment}"`, () =>
      sandbox.slack.responses.find((r) => JSON.stringify(r.body).includes(fragment)),
    );

  it('answers 401 to a forged or stale signature, before anything runs', async () => {
    // Prepare
    const calls = sandbox.slack.calls.length;
    // Act
    const forged = await sandbox.command('U01ALICE', DMNT, 'drill dmnt', {
      secret: 'not-the-secret',
    });
    const stale = await sandbox.command('U01ALICE', DMNT, 'drill dmnt', {
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    // Assess
    expect(forged.statusCode).toBe(401);
    expect(stale.statusCode).toBe(401);
    expect(await sandbox.runs.activeRun('dmnt')).toBeUndefined();
    expect(sandbox.slack.calls.length).toBe(calls);
  });

  it.each([
    ['an unfinished payload', 'payload=%7B', undefined],
    ['a null payload', 'payload=null', undefined],
    ['a text body', 'drill dmnt', 'text/plain'],
    [
      'a form body that names its charset',
      'text=drill+dmnt',
      'application/x-www-form-urlencoded; charset=utf-8',
    ],
    ['JSON that does not parse', '{"type":', 'application/json'],
    ['no body', '', undefined],
  ])(
    'answers 401 to an unsigned request with %s, before anything reads it',
    async (_, body, contentType) => {
      // Prepare
      const calls = sandbox.slack.calls.length;
      // Act
      const answer = await sandbox.send(body, {
        unsigned: true,
        ...(contentType ? { contentType } : {}),
      });
      // Assess
      expect(answer.statusCode).toBe(401);
      expect(answer.body.text).toMatch(/not signed by Slack/);
      expect(sandbox.slack.calls.length).toBe(calls);
    },
  );

  it.each([
    ['an unfinished payload', 'payload=%7B', undefined, /`payload` is not a JSON object/],
    ['a null payload', 'payload=null', undefined, /`payload` is not a JSON object/],
    ['a text body', 'drill dmnt', 'text/plain', /content type "text\/plain" is none Slack sends/],
  ])('answers 400 to a signed request with %s, saying why', async (_, body, contentType, why) => {
    // Act
    const answer = await sandbox.send(body, contentType ? { contentType } : {});
    // Assess
    expect(answer.statusCode).toBe(400);
    expect(answer.body.text).toMatch(why);
  });

  it('reads a signed form whose content type names its charset', async () => {
    // Prepare
    const body = slashCommandBody({
      command: '/dr',
      text: 'status dmnt',
      userId: 'U01ALICE',
      channelId: DMNT,
      teamId: SANDBOX_TEAM,
      responseUrl: sandbox.slack.responseUrl('charset'),
      triggerId: sandbox.slack.triggerId(),
    });
    // Act
    const answer = await sandbox.send(body, {
      contentType: 'application/x-www-form-urlencoded; charset=utf-8',
    });
    // Assess
    expect(answer.statusCode).toBe(200);
    expect(answer.body.text).toMatch(/No operation is running for DMNT/i);
  });

  it('records a withdrawal under the requester who clicked, after one of two approvals', async () => {
    // Prepare: a failover of nwhealth needs two approvers; frank approves, then erin withdraws
    const GC = 'C0NWHEALTHDR';
    const { executionId, card, gateId } = await requested(
      'U05ERIN',
      GC,
      'failover nwhealth --reason "primary down"',
    );
    const at = { channel: GC, ts: card.ts };
    await sandbox.click('U06FRANK', at, 'gate_approve', gateId);
    // Act
    const click = await sandbox.click('U05ERIN', at, 'gate_reject', gateId);
    await sandbox.orchestrator.settled(executionId);
    // Assess
    expect(click.statusCode).toBe(200);
    expect((await sandbox.runs.getExecution(executionId)).status).toBe('aborted');
    const closed = (await sandbox.runs.journal(executionId)).filter(
      (e) => e.type === 'gate-closed',
    );
    expect(closed.map((e) => e.data)).toEqual([
      expect.objectContaining({
        gateId,
        decision: 'abort',
        users: ['U05ERIN'],
        names: { U05ERIN: 'Erin Evans' },
      }),
    ]);
    expect(JSON.stringify(closed)).not.toContain('U07GRACE');
    const shown = await waitFor('the card naming erin', () =>
      sandbox.slack
        .messages(GC)
        .find((m) => m.ts === card.ts && JSON.stringify(m.blocks).includes('(U05ERIN)')),
    );
    expect(JSON.stringify(shown.blocks)).not.toMatch(/Rejected by/);
    expect(JSON.stringify(shown.blocks)).toContain('Withdrawn by Erin Evans (U05ERIN)');
    expect((await sandbox.runs.report(executionId)).approvals[0]?.answers).toEqual([
      expect.objectContaining({ user: 'U06FRANK', name: 'Frank Fischer', decision: 'approve' }),
    ]);
  });

  it.each([
    [
      'a misspelt command',
      'U01ALICE',
      DMNT,
      'drlil dmnt',
      /Did you mean `\/dr drill &lt;customer&gt; \[--bubble\]`/,
    ],
    [
      'an unknown customer',
      'U01ALICE',
      DMNT,
      'drill nosuch',
      /No plan for customer "nosuch"\. Known customers: bcbsaz, dmnt, nwhealth/,
    ],
    [
      'the wrong channel',
      'U01ALICE',
      'C0NWHEALTHDR',
      'drill dmnt',
      /run only in <#C0DMNTDR> or <#C0HRPDROPS>/,
    ],
    [
      'a user with no role',
      'U09MALLORY',
      DMNT,
      'drill dmnt',
      /you need the operator role, and you have no role on it/,
    ],
    [
      'a viewer asking for a drill',
      'U10SUPPORT',
      BCBSAZ,
      'drill bcbsaz',
      /you need the operator role, and you are a viewer/,
    ],
  ])('refuses %s privately and starts nothing', async (_case, user, channel, text, reason) => {
    // Act
    const answer = await sandbox.command(user, channel, text);
    // Assess
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toMatchObject({ response_type: 'ephemeral' });
    expect(answer.body.text).toMatch(reason);
    expect(await sandbox.runs.activeRun('dmnt')).toBeUndefined();
    expect(await sandbox.runs.activeRun('bcbsaz')).toBeUndefined();
  });

  it('journals each denial in the customer audit log', async () => {
    // Act
    await sandbox.command('U09MALLORY', DMNT, 'abort drill-dmnt-20261122-000000-abcd');
    await sandbox.command('U09MALLORY', DMNT, 'history dmnt');
    // Assess
    const audit = await sandbox.runs.auditLog('dmnt');
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          user: 'U09MALLORY',
          action: 'request',
          allowed: false,
          channel: DMNT,
        }),
        expect.objectContaining({ user: 'U09MALLORY', action: 'view', allowed: false }),
      ]),
    );
  });

  it('ignores requests from another workspace', async () => {
    // Prepare
    const body = slashCommandBody({
      command: '/dr',
      text: 'drill dmnt',
      userId: 'U01ALICE',
      channelId: DMNT,
      teamId: 'T0ELSEWHERE',
      responseUrl: sandbox.slack.responseUrl('elsewhere'),
      triggerId: sandbox.slack.triggerId(),
    });
    // Act
    const answer = await sandbox.send(body);
    // Assess
    expect(answer.body.text).toMatch(/only the workspace it was installed in/);
    expect(await sandbox.runs.activeRun('dmnt')).toBeUndefined();
  });

  it('never lets the requester approve, refuses a second run, and takes no answer from an operator', async () => {
    // Prepare: bob, an approver, requests the drill himself
    const { executionId, card, gateId } = await requested('U02BOB', DMNT, 'drill dmnt');
    const at = { channel: DMNT, ts: card.ts };
    // Act
    await sandbox.click('U02BOB', at, 'gate_approve', gateId);
    const second = await sandbox.command('U01ALICE', DMNT, 'drill dmnt');
    const clicks = await Promise.all([
      sandbox.click('U01ALICE', at, 'gate_abort', gateId),
      sandbox.click('U01ALICE', at, 'gate_reject', gateId),
    ]);
    // Assess
    expect(JSON.stringify((await responseFor('a second person must')).body)).toMatch(
      /You requested this operation, so you cannot approve it/,
    );
    expect(second.body.text).toMatch(/already has an operation running \(drill-dmnt-/);
    expect(clicks.map((c) => c.statusCode)).toEqual([200, 200]);
    const journal = await sandbox.runs.journal(executionId);
    expect(journal.filter((e) => e.type === 'gate-closed' || e.type === 'gate-answered')).toEqual(
      [],
    );
    await ended('U01ALICE', DMNT, executionId);
  });

  it('a double click on Approve gives exactly one decision', async () => {
    // Prepare
    const { executionId, card, gateId } = await requested('U01ALICE', DMNT, 'drill dmnt');
    const at = { channel: DMNT, ts: card.ts };
    // Act
    await Promise.all([
      sandbox.click('U02BOB', at, 'gate_approve', gateId),
      sandbox.click('U02BOB', at, 'gate_approve', gateId),
    ]);
    // Assess
    const closed = await waitFor('the approval', async () => {
      const journal = await sandbox.runs.journal(executionId);
      const found = journal.filter((e) => e.type === 'gate-closed');
      return found.length > 0 ? found : undefined;
    });
    expect(closed).toHaveLength(1);
    const answered = (await sandbox.runs.journal(executionId)).filter(
      (e) => e.type === 'gate-answered',
    );
    expect(answered).toHaveLength(1);
    expect((await responseFor('nothing')).body).toMatchObject({ response_type: 'ephemeral' });
    await ended('U01ALICE', DMNT, executionId);
  });

  it('a button of a run that has ended says so and changes nothing', async () => {
    // Prepare
    const { executionId, card, gateId } = await requested('U01ALICE', DMNT, 'drill dmnt');
    await ended('U01ALICE', DMNT, executionId);
    const before = (await sandbox.runs.journal(executionId)).length;
    // Act
    await sandbox.click('U02BOB', { channel: DMNT, ts: card.ts }, 'gate_approve', gateId);
    // Assess
    expect(JSON.stringify((await responseFor('has ended (aborted)')).body)).toMatch(
      /this button does nothing now/,
    );
    expect((await sandbox.runs.journal(executionId)).length).toBe(before);
    expect((await sandbox.runs.getExecution(executionId)).status).toBe('aborted');
  });

  it('a forged button value names no run and changes nothing', async () => {
    // Act
    await sandbox.click('U02BOB', { channel: DMNT, ts: '1.0' }, 'gate_approve', '../../etc/passwd');
    // Assess
    expect(JSON.stringify((await responseFor('names no Lifeboat run')).body)).toMatch(
      /nothing changed/,
    );
  });

  it('refuses a gate id over 512 characters and a command without text with 200 and a private reason', async () => {
    // Prepare
    const noText = new URLSearchParams({
      command: '/dr',
      team_id: SANDBOX_TEAM,
      user_id: 'U01ALICE',
      channel_id: DMNT,
      response_url: sandbox.slack.responseUrl('no-text'),
    }).toString();
    // Act
    const click = await sandbox.click(
      'U02BOB',
      { channel: DMNT, ts: '1.0' },
      'gate_approve',
      `drill-dmnt-20261122-000000-abcd/approval#${'1'.repeat(2000)}`,
    );
    const command = await sandbox.send(noText);
    // Assess
    expect(click.statusCode).toBe(200);
    expect(JSON.stringify((await responseFor('at most 512 characters')).body)).toMatch(
      /nothing changed/,
    );
    expect(command.statusCode).toBe(200);
    expect(command.body.text).toMatch(/could not read this command \(text: /);
  });

  it('escapes <!channel> in a failover reason: the card never pings the channel', async () => {
    // Act
    const { executionId, card } = await requested(
      'U01ALICE',
      DMNT,
      'failover dmnt --reason "<!channel> primary down <@U02BOB>"',
    );
    // Assess
    const text = JSON.stringify(card.blocks);
    expect(text).toContain('&lt;!channel&gt; primary down');
    expect(text).not.toContain('<!channel>');
    expect(JSON.stringify(sandbox.slack.calls.map((c) => c.args))).not.toContain('<!channel>');
    await ended('U01ALICE', DMNT, executionId);
  });

  it('answers status, history, plan, report and readiness', async () => {
    // Act
    const status = await sandbox.command('U01ALICE', DMNT, 'status dmnt');
    const history = await sandbox.command('U01ALICE', DMNT, 'history dmnt');
    const plan = await sandbox.command('U01ALICE', DMNT, 'plan dmnt');
    const runId =
      /`(drill-dmnt-[^`]+|failover-dmnt-[^`]+)`/.exec(history.body.text ?? '')?.[1] ?? '';
    const report = await sandbox.command('U01ALICE', DMNT, `report ${runId}`);
    const readiness = await sandbox.command('U01ALICE', DMNT, 'readiness dmnt');
    const ready = await responseFor('Readiness of');
    // Assess
    expect(status.body.text).toMatch(/No operation is running for DMNT/i);
    expect(history.body.text).toMatch(/Recent runs of .*aborted/s);
    expect(plan.body.text).toMatch(/Plan of DMNT.*us-west-2 → us-west-1, 10 servers/s);
    expect(report.body.text).toMatch(/aborted: RTO .*RPO/);
    expect(readiness.body.text).toMatch(/Checking the readiness/);
    expect(JSON.stringify(ready.body)).toMatch(/Replication healthy/);
  });

  it('pauses and resumes a run by its id, and refuses to resume one that is not paused', async () => {
    // Prepare
    const { executionId } = await requested('U01ALICE', DMNT, 'drill dmnt');
    // Act
    const notPaused = await sandbox.command('U01ALICE', DMNT, `resume ${executionId}`);
    const pause = await sandbox.command('U01ALICE', DMNT, `pause ${executionId}`);
    const again = await sandbox.command('U01ALICE', DMNT, `pause ${executionId}`);
    const resume = await sandbox.command('U01ALICE', DMNT, `resume ${executionId}`);
    // Assess
    expect(notPaused.body.text).toMatch(/is not paused and no pause is pending/);
    expect(pause.body.text).toMatch(/pauses before its next step/);
    expect(again.body.text).toMatch(/already pausing/);
    expect(resume.body.text).toMatch(/had not paused yet; the pause is withdrawn|resumes/);
    await ended('U01ALICE', DMNT, executionId);
  });

  it('refuses to sign off for anyone not on the sign-off list, and a modal from another user', async () => {
    // Prepare
    const body = interactionBody({
      type: 'block_actions',
      team: { id: SANDBOX_TEAM },
      user: { id: 'U02BOB', team_id: SANDBOX_TEAM },
      trigger_id: sandbox.slack.triggerId(),
      response_url: sandbox.slack.responseUrl('bob-signoff'),
      channel: { id: DMNT },
      actions: [
        { type: 'button', action_id: 'sign_off_open', block_id: 'x', value: 'nope/sign-off#1' },
      ],
    });
    // Act
    await sandbox.send(body);
    // Assess
    expect(JSON.stringify((await responseFor('does not know')).body)).toMatch(/nothing changed/);
    expect(sandbox.errors).toEqual([]);
  });
});
