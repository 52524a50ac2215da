import { beforeAll, describe, expect, it } from 'vitest';
import { gateAction } from '../../../../bot/blocks/prompts.ts';
import { gateButton } from '../../../../bot/listeners/actions/gate-button.ts';
import { GateAnswerError } from '../../../../orchestrator/domain/errors.ts';
import type { Execution, Gate } from '../../../../orchestrator/domain/execution.ts';
import { planRunbook } from '../../../../orchestrator/domain/plan-runbook.ts';
import type { LoadedPlan } from '../../../../orchestrator/ports/plan-source.ts';
import type { GateAnswered } from '../../../../orchestrator/ports/run-control.ts';
import { readSample } from '../../../helpers.ts';
import { buttonArgs } from '../../../support/bolt.ts';
import { fakeBotDeps, fakeExecution, fakeGate, fakeRuns } from '../../../support/runs.ts';

const CHANNEL = 'C0BCBSAZDR';
const BOB = { userId: 'U02BOB', channelId: CHANNEL };
const ALICE = { userId: 'U01ALICE', channelId: CHANNEL };

let bcbsaz: LoadedPlan;
let execution: Execution;
let approval: Gate;
beforeAll(async () => {
  const plan = await readSample('bcbsaz');
  bcbsaz = { plan, source: 'bcbsaz.yaml', revision: 'fake' };
  execution = fakeExecution(planRunbook(plan, 'drill'));
  approval = fakeGate(execution, 'approval', 'approval');
});

/** A run control that knows the run and its gate, and answers with `answered`. */
function runsWith(options: { execution?: Execution; answer?: () => Promise<GateAnswered> } = {}) {
  return fakeRuns({
    getExecution: async () => options.execution ?? execution,
    loadPlan: async () => bcbsaz,
    getGate: async () => approval,
    audit: async () => {},
    answer: options.answer ?? (async () => ({ decided: 'approve', gate: approval })),
  });
}

describe('gateButton', () => {
  it('acknowledges at once, and records a second person’s approval on the gate', async () => {
    // Prepare
    const { runs, calls: runCalls } = runsWith();
    const { args, calls } = buttonArgs(gateAction('approve'), approval.gateId, BOB);
    // Act
    await gateButton(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(calls.acks).toEqual([undefined]);
    expect(runCalls.filter(([method]) => method === 'answer')).toEqual([
      [
        'answer',
        execution.executionId,
        approval.gateId,
        { user: 'U02BOB', userName: 'bob', groups: [], decision: 'approve' },
      ],
    ]);
    expect(calls.responses).toEqual([]);
  });

  it.each([
    ['the name Slack shows, looked up', async () => 'Bob Builder', 'Bob Builder'],
    ['the payload name when the lookup fails', async () => undefined, 'bob'],
    ['the payload name when the lookup throws', () => Promise.reject(new Error('boom')), 'bob'],
  ])('records the approval under %s', async (_, displayNameOf, expected) => {
    // Prepare
    const { runs, calls: runCalls } = runsWith();
    const { args, calls } = buttonArgs(gateAction('approve'), approval.gateId, BOB);
    const { deps } = fakeBotDeps(runs);
    // Act
    await gateButton({ ...deps, displayNameOf })(args);
    // Assess
    expect(calls.acks).toEqual([undefined]);
    expect(runCalls.filter(([method]) => method === 'answer')).toEqual([
      [
        'answer',
        execution.executionId,
        approval.gateId,
        { user: 'U02BOB', userName: expected, groups: [], decision: 'approve' },
      ],
    ]);
  });

  it('tells the approver how many approvals are still missing when theirs does not decide', async () => {
    // Prepare
    const gate = {
      ...approval,
      required: 2,
      answers: [{ user: 'U02BOB', decision: 'approve' as const, at: 0 }],
    };
    const { runs } = runsWith({ answer: async () => ({ gate }) });
    const { args, calls } = buttonArgs(gateAction('approve'), approval.gateId, BOB);
    // Act
    await gateButton(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(calls.responses).toEqual([
      {
        response_type: 'ephemeral',
        replace_original: false,
        text: 'Recorded your approve: 1 of 2 approvals so far.',
      },
    ]);
  });

  it('never lets the requester approve their own request, approver though they are', async () => {
    // Prepare: bob requested this one
    const { runs, calls: runCalls } = runsWith({
      execution: { ...execution, requestedBy: 'U02BOB' },
    });
    const { args, calls } = buttonArgs(gateAction('approve'), approval.gateId, BOB);
    // Act
    await gateButton(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(calls.responses).toEqual([
      expect.objectContaining({ text: expect.stringMatching(/a second person must/) }),
    ]);
    expect(runCalls.map(([method]) => method)).not.toContain('answer');
  });

  it.each([
    ['before anyone approved', []],
    [
      'after one of two approvers approved',
      [{ user: 'U02BOB', decision: 'approve' as const, at: 0 }],
    ],
  ])(
    'lets the requester withdraw her own request %s, as an abort in her name',
    async (_, answers) => {
      // Prepare
      const gate = { ...approval, required: 2, answers };
      const { runs, calls: runCalls } = fakeRuns({
        getExecution: async () => execution,
        loadPlan: async () => bcbsaz,
        getGate: async () => gate,
        audit: async () => {},
        requestAbort: async () => {},
      });
      const { args, calls } = buttonArgs(gateAction('reject'), approval.gateId, ALICE);
      // Act
      await gateButton(fakeBotDeps(runs).deps)(args);
      // Assess
      expect(
        runCalls.filter(([method]) => method === 'requestAbort' || method === 'answer'),
      ).toEqual([['requestAbort', execution.executionId, 'U01ALICE', 'alice']]);
      expect(runCalls).toContainEqual([
        'audit',
        'bcbsaz',
        expect.objectContaining({ user: 'U01ALICE', action: 'abort', allowed: true }),
      ]);
      expect(calls.responses).toEqual([
        expect.objectContaining({ text: expect.stringMatching(/^You withdrew your request/) }),
      ]);
    },
  );

  it('keeps a mention in a refusal a mention, and escapes the rest', async () => {
    // Prepare
    const { runs } = runsWith({
      answer: async () => {
        throw new GateAnswerError('<@U02BOB> already answered this approval <!channel> & more.');
      },
    });
    const { args, calls } = buttonArgs(gateAction('approve'), approval.gateId, BOB);
    // Act
    await gateButton(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(calls.responses).toEqual([
      expect.objectContaining({
        text: '<@U02BOB> already answered this approval &lt;!channel&gt; &amp; more.',
      }),
    ]);
  });

  it('acknowledges a recorded answer as recorded when the response_url fails, and logs it', async () => {
    // Prepare
    const gate = { ...approval, required: 2, answers: [] };
    const { runs, calls: runCalls } = runsWith({ answer: async () => ({ gate }) });
    const { args, calls } = buttonArgs(gateAction('approve'), approval.gateId, BOB);
    const failing = {
      ...args,
      respond: async () => {
        throw new Error('An HTTP protocol error occurred: statusCode = 404');
      },
    };
    // Act
    await gateButton(fakeBotDeps(runs).deps)(failing);
    // Assess
    expect(calls.acks).toEqual([undefined]);
    expect(runCalls.map(([method]) => method)).toContain('answer');
    expect(calls.warnings).toEqual([
      expect.stringMatching(/statusCode = 404.*Recorded your approve/),
    ]);
  });

  it.each([
    [
      'a button value that is not a string',
      { value: 42 },
      /could not read this click \(action\.value/,
    ],
    ['a click without its user', { user: undefined }, /could not read this click \(body\.user/],
    [
      'a gate id over 512 characters',
      { value: `${'r'.repeat(600)}/approval#1` },
      /a gate id is at most 512 characters/,
    ],
  ])('refuses %s privately before asking the runs', async (_, change, reason) => {
    // Prepare
    const { runs, calls: runCalls } = runsWith();
    const { args, calls } = buttonArgs(gateAction('approve'), approval.gateId, BOB);
    const { user, value } = { user: args.body.user, value: args.action.value, ...change };
    const odd = {
      ...args,
      action: { ...args.action, value },
      body: { ...args.body, user },
    } as unknown as typeof args;
    // Act
    await gateButton(fakeBotDeps(runs).deps)(odd);
    // Assess
    expect(calls.acks).toEqual([undefined]);
    expect(calls.responses).toEqual([
      expect.objectContaining({ text: expect.stringMatching(reason) }),
    ]);
    expect(runCalls).toEqual([]);
  });

  it.each([
    ['a value that names no run', 'not a gate', /names no Lifeboat run/, []],
    [
      'a run that has ended',
      null,
      /has ended \(succeeded\); this button does nothing now/,
      ['getExecution'],
    ],
  ])('answers a click on %s privately, and changes nothing', async (_, value, reason, reads) => {
    // Prepare
    const { runs, calls: runCalls } = runsWith({
      execution: { ...execution, status: 'succeeded' },
    });
    const { args, calls } = buttonArgs(gateAction('approve'), value ?? approval.gateId, BOB);
    // Act
    await gateButton(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(calls.acks).toEqual([undefined]);
    expect(calls.responses).toEqual([
      expect.objectContaining({ text: expect.stringMatching(reason) }),
    ]);
    expect(runCalls.map(([method]) => method)).toEqual(reads);
  });

  it('passes on why the gate refused an answer', async () => {
    // Prepare
    const { runs } = runsWith({
      answer: async () => {
        throw new GateAnswerError('U02BOB already answered this approval.');
      },
    });
    const { args, calls } = buttonArgs(gateAction('approve'), approval.gateId, BOB);
    // Act
    await gateButton(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(calls.responses).toEqual([
      expect.objectContaining({ text: 'U02BOB already answered this approval.' }),
    ]);
  });
});
