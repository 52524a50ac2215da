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
        { user: 'U02BOB', groups: [], decision: 'approve' },
      ],
    ]);
    expect(calls.responses).toEqual([]);
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

  it('lets the requester withdraw their own request, answered for the gate', async () => {
    // Prepare
    const { runs, calls: runCalls } = runsWith({
      answer: async () => ({ decided: 'reject', gate: approval }),
    });
    const { args } = buttonArgs(gateAction('reject'), approval.gateId, ALICE);
    // Act
    await gateButton(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(runCalls.filter(([method]) => method === 'answer')).toEqual([
      [
        'answer',
        execution.executionId,
        approval.gateId,
        { user: approval.principals[0], groups: [], decision: 'reject' },
      ],
    ]);
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
