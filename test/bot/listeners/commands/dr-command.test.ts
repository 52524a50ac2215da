import { beforeAll, describe, expect, it } from 'vitest';
import { drCommand } from '../../../../bot/listeners/commands/dr-command.ts';
import {
  GateAnswerError,
  OperationInProgressError,
} from '../../../../orchestrator/domain/errors.ts';
import type { Plan } from '../../../../orchestrator/domain/plan.ts';
import { planRunbook } from '../../../../orchestrator/domain/plan-runbook.ts';
import type { LoadedPlan } from '../../../../orchestrator/ports/plan-source.ts';
import { readSample } from '../../../helpers.ts';
import { commandArgs } from '../../../support/bolt.ts';
import { fakeBotDeps, fakeExecution, fakeRuns } from '../../../support/runs.ts';

const CHANNEL = 'C0BCBSAZDR';
const ALICE = { userId: 'U01ALICE', channelId: CHANNEL };

let bcbsaz: LoadedPlan;
beforeAll(async () => {
  const plan: Plan = await readSample('bcbsaz');
  bcbsaz = { plan, source: 'bcbsaz.yaml', revision: 'fake' };
});

/** The run control's reads and audit log for the sample customer. */
const reads = () => ({
  loadPlan: async () => bcbsaz,
  audit: async () => {},
});

describe('drCommand', () => {
  it('answers a command it cannot parse with its usage, and asks nothing of the runs', async () => {
    // Prepare
    const { runs, calls: runCalls } = fakeRuns({});
    const { args, calls } = commandArgs('drill BCBSAZ', ALICE);
    // Act
    await drCommand(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(calls.acks).toEqual([
      {
        response_type: 'ephemeral',
        text: expect.stringMatching(/customer ids are lower case, like "bcbsaz"[\s\S]*Usage: `/),
      },
    ]);
    expect(runCalls).toEqual([]);
  });

  it.each([
    ['without its text', { text: undefined }, /\(text: /],
    ['without its user', { user_id: undefined }, /\(user_id: /],
    ['whose text is not a string', { text: ['drill', 'bcbsaz'] }, /\(text: /],
  ])('refuses a command %s privately, and asks nothing of the runs', async (_, change, where) => {
    // Prepare
    const { runs, calls: runCalls } = fakeRuns({});
    const { args, calls } = commandArgs('drill bcbsaz', ALICE);
    const odd = { ...args, command: { ...args.command, ...change } } as unknown as typeof args;
    // Act
    await drCommand(fakeBotDeps(runs).deps)(odd);
    // Assess
    expect(calls.acks).toEqual([
      {
        response_type: 'ephemeral',
        text: expect.stringMatching(/^Lifeboat could not read this command/),
      },
    ]);
    expect(String((calls.acks[0] as { text: string }).text)).toMatch(where);
    expect(runCalls).toEqual([]);
  });

  it('journals the requester under the name Slack shows, and looks up no name for a command that journals none', async () => {
    // Prepare
    const { runs, calls: runCalls } = fakeRuns({
      ...reads(),
      start: async () => ({ executionId: 'bcbsaz-drill-1', region: 'us-east-2' }),
    });
    const looked: string[] = [];
    const deps = {
      ...fakeBotDeps(runs).deps,
      displayNameOf: async (_client: unknown, userId: string) => {
        looked.push(userId);
        return 'Alice Archer';
      },
    };
    // Act
    await drCommand(deps)(commandArgs('help', ALICE).args);
    await drCommand(deps)(commandArgs('drill bcbsaz', ALICE).args);
    // Assess
    expect(looked).toEqual(['U01ALICE']);
    expect(runCalls.find(([method]) => method === 'start')?.[1]).toMatchObject({
      requestedBy: 'U01ALICE',
      requestedByName: 'Alice Archer',
    });
  });

  it('starts the drill a requester asks for in the customer’s channel, and names the run', async () => {
    // Prepare
    const { runs, calls: runCalls } = fakeRuns({
      ...reads(),
      start: async () => ({ executionId: 'bcbsaz-drill-1', region: 'us-east-2' }),
    });
    const { args, calls } = commandArgs('drill bcbsaz', ALICE);
    // Act
    await drCommand(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(runCalls.filter(([method]) => method === 'start')).toEqual([
      [
        'start',
        {
          customerId: 'bcbsaz',
          operation: 'drill',
          requestedBy: 'U01ALICE',
          requestedByName: 'alice',
          channel: CHANNEL,
        },
      ],
    ]);
    expect(runCalls.find(([method]) => method === 'audit')?.[2]).toMatchObject({
      user: 'U01ALICE',
      action: 'request',
      allowed: true,
    });
    expect(calls.acks).toEqual([
      {
        response_type: 'ephemeral',
        text: expect.stringContaining('run `bcbsaz-drill-1`'),
      },
    ]);
  });

  it.each([
    [
      'someone without the requester role',
      { userId: 'U03CAROL', channelId: CHANNEL },
      /you need the operator role/,
    ],
    [
      'the wrong channel',
      { userId: 'U01ALICE', channelId: 'C0ELSEWHERE' },
      /run only in <#C0BCBSAZDR>/,
    ],
  ])(
    'refuses a drill asked by %s, starts nothing, and audits the refusal',
    async (_, who, reason) => {
      // Prepare
      const { runs, calls: runCalls } = fakeRuns(reads());
      const { args, calls } = commandArgs('drill bcbsaz', who);
      // Act
      await drCommand(fakeBotDeps(runs).deps)(args);
      // Assess
      expect(calls.acks).toEqual([
        { response_type: 'ephemeral', text: expect.stringMatching(reason) },
      ]);
      expect(runCalls.map(([method]) => method)).toEqual(['loadPlan', 'audit']);
      expect(runCalls[1]?.[2]).toMatchObject({ user: who.userId, allowed: false });
    },
  );

  it('says so when another operation holds the customer', async () => {
    // Prepare
    const { runs } = fakeRuns({
      ...reads(),
      start: async () => {
        throw new OperationInProgressError('bcbsaz', 'bcbsaz-failover-7');
      },
    });
    const { args, calls } = commandArgs('drill bcbsaz', ALICE);
    // Act
    await drCommand(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(calls.acks).toEqual([
      { response_type: 'ephemeral', text: expect.stringContaining('bcbsaz-failover-7') },
    ]);
  });

  it('hands the readiness check off, to answer within Slack’s 3 seconds', async () => {
    // Prepare
    const { runs, calls: runCalls } = fakeRuns({ loadPlan: async () => bcbsaz });
    const { deps, deferred } = fakeBotDeps(runs);
    const { args, calls } = commandArgs('readiness bcbsaz', ALICE);
    // Act
    await drCommand(deps)(args);
    // Assess
    expect(deferred).toEqual([
      {
        kind: 'readiness',
        customerId: 'bcbsaz',
        operation: 'drill',
        responseUrl: args.command.response_url,
        userId: 'U01ALICE',
      },
    ]);
    expect(runCalls.map(([method]) => method)).toEqual(['loadPlan']);
    expect(calls.acks).toEqual([
      { response_type: 'ephemeral', text: expect.stringMatching(/^Checking the readiness of/) },
    ]);
  });

  it('asks the run to pause at its next step', async () => {
    // Prepare
    const execution = fakeExecution(planRunbook(bcbsaz.plan, 'drill'), {
      executionId: 'bcbsaz-drill-2',
    });
    const { runs, calls: runCalls } = fakeRuns({
      ...reads(),
      getExecution: async () => execution,
      requestPause: async () => {},
    });
    const { args, calls } = commandArgs('pause bcbsaz-drill-2', ALICE);
    // Act
    await drCommand(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(runCalls.filter(([method]) => method === 'requestPause')).toEqual([
      ['requestPause', 'bcbsaz-drill-2', 'U01ALICE', 'alice'],
    ]);
    expect(calls.acks).toEqual([
      { response_type: 'ephemeral', text: expect.stringMatching(/pauses before its next step/) },
    ]);
  });

  it('keeps a mention in a refusal the runs give, and escapes the rest', async () => {
    // Prepare
    const execution = fakeExecution(planRunbook(bcbsaz.plan, 'drill'), {
      executionId: 'bcbsaz-drill-2',
    });
    const { runs } = fakeRuns({
      ...reads(),
      getExecution: async () => execution,
      resume: async () => {
        throw new GateAnswerError('<@U01ALICE> may not answer this pause <!here>.');
      },
    });
    const { args, calls } = commandArgs('resume bcbsaz-drill-2', ALICE);
    // Act
    await drCommand(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(calls.acks).toEqual([
      { response_type: 'ephemeral', text: '<@U01ALICE> may not answer this pause &lt;!here&gt;.' },
    ]);
  });
});
