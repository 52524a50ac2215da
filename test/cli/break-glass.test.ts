import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breakGlass, parseApprover } from '../../cli/break-glass.ts';
import { UsageError } from '../../cli/errors.ts';
import { main } from '../../cli/main.ts';
import { GateAnswerError } from '../../orchestrator/domain/errors.ts';
import type { RunControl } from '../../orchestrator/ports/run-control.ts';
import { SlackSandbox } from '../../sandbox/slack-sandbox.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../helpers.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const REASON = 'Slack is down across the workspace (status.slack.com incident)';

describe('parseApprover', () => {
  it.each([
    ['U06FRANK', { user: 'U06FRANK', groups: [] }],
    ['U07GRACE:S0GCDRLEADS', { user: 'U07GRACE', groups: ['S0GCDRLEADS'] }],
    ['U07GRACE:S0GCDRLEADS,S0OPS', { user: 'U07GRACE', groups: ['S0GCDRLEADS', 'S0OPS'] }],
  ])('reads %s', (text, approver) => {
    expect(parseApprover(text)).toEqual(approver);
  });

  it.each(['frank', 'U07GRACE:leads', 'S0GCDRLEADS', ''])('refuses %j, naming it', (text) => {
    expect(() => parseApprover(text)).toThrow(UsageError);
    expect(() => parseApprover(text)).toThrow(`"${text}"`);
  });
});

describe('break-glass: a two-person-approved operation without Slack', () => {
  let sandbox: SlackSandbox;
  let runs: RunControl;

  beforeAll(async () => {
    sandbox = await SlackSandbox.start({ plansDir: SAMPLE_PLANS, settingsFile: SAMPLE_SETTINGS });
    runs = sandbox.runs;
  }, 60_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it.each<[string, Parameters<typeof breakGlass>[1], RegExp]>([
    [
      'one approver',
      {
        operation: 'failover',
        customerId: 'nwhealth',
        requestedBy: 'U05ERIN',
        approvers: [{ user: 'U06FRANK', groups: [] }],
        reason: REASON,
      },
      /two different approvers/,
    ],
    [
      'the same approver twice',
      {
        operation: 'failover',
        customerId: 'nwhealth',
        requestedBy: 'U05ERIN',
        approvers: [
          { user: 'U06FRANK', groups: [] },
          { user: 'U06FRANK', groups: [] },
        ],
        reason: REASON,
      },
      /two different approvers/,
    ],
    [
      'the requester as an approver',
      {
        operation: 'failover',
        customerId: 'nwhealth',
        requestedBy: 'U06FRANK',
        approvers: [
          { user: 'U06FRANK', groups: [] },
          { user: 'U07GRACE', groups: [] },
        ],
        reason: REASON,
      },
      /cannot approve it too/,
    ],
    [
      'no reason',
      {
        operation: 'failover',
        customerId: 'nwhealth',
        requestedBy: 'U05ERIN',
        approvers: [
          { user: 'U06FRANK', groups: [] },
          { user: 'U07GRACE', groups: [] },
        ],
        reason: '',
      },
      /--reason/,
    ],
  ])('refuses %s before starting anything', async (_, request, message) => {
    // Act
    const refused = breakGlass(runs, request);
    // Assess
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow(message);
    expect(await runs.activeRun(request.customerId)).toBeUndefined();
  });

  it("starts the run and answers its approval as the two approvers, with the plan's rules", async () => {
    // Act
    const result = await breakGlass(
      runs,
      {
        operation: 'failover',
        customerId: 'nwhealth',
        requestedBy: 'U05ERIN',
        approvers: [
          { user: 'U06FRANK', groups: [] },
          { user: 'U07GRACE', groups: ['S0GCDRLEADS'] },
        ],
        reason: REASON,
        caller: 'arn:aws:sts::111122223333:assumed-role/LifeboatBreakGlass/alice',
      },
      { pollMs: 50, waitMs: 30_000 },
    );
    // Assess
    expect(result.approvedBy).toEqual(['U06FRANK', 'U07GRACE']);
    const execution = await runs.getExecution(result.executionId);
    expect(execution.requestedBy).toBe('U05ERIN');
    expect(execution.reason).toBe(
      `[break-glass by arn:aws:sts::111122223333:assumed-role/LifeboatBreakGlass/alice] ${REASON}`,
    );
    const journal = await runs.journal(result.executionId);
    const closed = journal.find((e) => e.type === 'gate-closed' && e.data.kind === 'approval');
    expect(closed?.type === 'gate-closed' && closed.data).toMatchObject({
      decision: 'approve',
      users: ['U06FRANK', 'U07GRACE'],
    });
    await runs.requestAbort(result.executionId, 'U05ERIN');
  }, 60_000);

  it('cannot approve as someone the plan does not name: the gate refuses, as in Slack', async () => {
    // Act
    const refused = breakGlass(
      runs,
      {
        operation: 'drill',
        customerId: 'dmnt',
        requestedBy: 'U01ALICE',
        approvers: [
          { user: 'U09MALLORY', groups: [] },
          { user: 'U02BOB', groups: [] },
        ],
        reason: REASON,
      },
      { pollMs: 50, waitMs: 30_000 },
    );
    // Assess
    await expect(refused).rejects.toThrow(GateAnswerError);
    const active = await runs.activeRun('dmnt');
    expect(active).toBeDefined();
    if (active) await runs.requestAbort(active, 'U01ALICE');
  }, 60_000);
});

describe('lifeboat break-glass', () => {
  it('says what it needs to reach the deployed Lifeboat, with the usage, and exits 2', async () => {
    // Prepare
    const said: string[] = [];
    const io = { out: (text: string) => said.push(text), err: (text: string) => said.push(text) };
    const pattern = process.env.LIFEBOAT_STATE_MACHINE_ARN_PATTERN;
    delete process.env.LIFEBOAT_STATE_MACHINE_ARN_PATTERN;
    try {
      // Act
      const code = await main(
        ['break-glass', 'failover', 'nwhealth', '--requested-by', 'U05ERIN', '--reason', REASON],
        io,
      );
      // Assess
      expect(code).toBe(2);
      expect(said.join('\n')).toMatch(/set AWS_REGION and LIFEBOAT_STATE_MACHINE_ARN_PATTERN/);
      expect(said.join('\n')).toContain(
        'lifeboat break-glass <failover|failback|drill|bubble-drill>',
      );
    } finally {
      if (pattern !== undefined) process.env.LIFEBOAT_STATE_MACHINE_ARN_PATTERN = pattern;
    }
  });
});
