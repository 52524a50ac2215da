import { beforeAll, describe, expect, it } from 'vitest';
import { signOffSubmit } from '../../../../bot/listeners/views/sign-off-submit.ts';
import { GateAnswerError } from '../../../../orchestrator/domain/errors.ts';
import type { Execution, Gate } from '../../../../orchestrator/domain/execution.ts';
import type { LoadedPlan } from '../../../../orchestrator/ports/plan-source.ts';
import type { GateAnswered } from '../../../../orchestrator/ports/run-control.ts';
import { viewArgs } from '../../../support/bolt.ts';
import { bcbsazAtSignOff, fakeBotDeps, fakeRuns } from '../../../support/runs.ts';

const CAROL = { userId: 'U03CAROL' };

let bcbsaz: LoadedPlan;
let execution: Execution;
let signOff: Gate;
beforeAll(async () => {
  ({ bcbsaz, execution, signOff } = await bcbsazAtSignOff());
});

const runsWithGate = (answer?: () => Promise<GateAnswered>) =>
  fakeRuns({
    getExecution: async () => execution,
    loadPlan: async () => bcbsaz,
    getGate: async () => signOff,
    audit: async () => {},
    answer: answer ?? (async () => ({ decided: 'approve', gate: signOff })),
  });

describe('signOffSubmit', () => {
  it.each([
    ['approve', 'All systems checked', 'Dana Diaz, CISO: All systems checked'],
    ['reject', '', 'Dana Diaz, CISO'],
  ] as const)(
    'records the customer’s %s on the gate with who gave it, then closes the modal',
    async (decision, notes, note) => {
      // Prepare
      const { runs, calls: runCalls } = runsWithGate();
      const { args, calls } = viewArgs(
        signOff.gateId,
        { contact: '  Dana Diaz, CISO ', notes, decision },
        CAROL,
      );
      // Act
      await signOffSubmit(fakeBotDeps(runs).deps)(args);
      // Assess
      expect(runCalls.filter(([method]) => method === 'answer')).toEqual([
        [
          'answer',
          execution.executionId,
          signOff.gateId,
          { user: 'U03CAROL', userName: 'carol', groups: [], decision, note },
        ],
      ]);
      expect(calls.acks).toEqual([undefined]);
    },
  );

  it('keeps the modal open until the contact is named, asking the runs nothing', async () => {
    // Prepare
    const { runs, calls: runCalls } = fakeRuns({});
    const { args, calls } = viewArgs(signOff.gateId, { contact: ' ', decision: 'approve' }, CAROL);
    // Act
    await signOffSubmit(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(calls.acks).toEqual([
      {
        response_action: 'errors',
        errors: { contact: 'Name the customer contact who gave the answer.' },
      },
    ]);
    expect(runCalls).toEqual([]);
  });

  it.each([
    ['without its private metadata', { private_metadata: undefined }, /view\.private_metadata/],
    ['without its state', { state: undefined }, /view\.state/],
    ['with a gate id over 512 characters', { private_metadata: 'x'.repeat(2000) }, /at most 512/],
  ])('refuses a form %s on the modal, asking the runs nothing', async (_, change, where) => {
    // Prepare
    const { runs, calls: runCalls } = fakeRuns({});
    const { args, calls } = viewArgs(signOff.gateId, { contact: 'Dana Diaz' }, CAROL);
    const odd = { ...args, view: { ...args.view, ...change } } as unknown as typeof args;
    // Act
    await signOffSubmit(fakeBotDeps(runs).deps)(odd);
    // Assess
    expect(calls.acks).toEqual([
      { response_action: 'errors', errors: { contact: expect.stringMatching(where) } },
    ]);
    expect(runCalls).toEqual([]);
  });

  it.each([
    [
      'someone not on the sign-off list',
      'U02BOB',
      undefined,
      /^Only the people on the sign-off list/,
    ],
    [
      'an answer the gate refuses',
      'U03CAROL',
      async () => {
        throw new GateAnswerError('This sign-off has expired.');
      },
      /^This sign-off has expired\.$/,
    ],
  ])('shows why on the modal for %s', async (_, userId, answer, reason) => {
    // Prepare
    const { runs, calls: runCalls } = runsWithGate(answer);
    const { args, calls } = viewArgs(signOff.gateId, { contact: 'Dana Diaz' }, { userId });
    // Act
    await signOffSubmit(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(calls.acks).toEqual([
      { response_action: 'errors', errors: { contact: expect.stringMatching(reason) } },
    ]);
    expect(runCalls.filter(([method]) => method === 'answer')).toHaveLength(answer ? 1 : 0);
  });
});
