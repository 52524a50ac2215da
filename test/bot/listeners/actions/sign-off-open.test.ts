import { beforeAll, describe, expect, it } from 'vitest';
import { SIGN_OFF_OPEN_ACTION, SIGN_OFF_VIEW } from '../../../../bot/blocks/prompts.ts';
import { signOffOpen } from '../../../../bot/listeners/actions/sign-off-open.ts';
import type { Execution, Gate } from '../../../../orchestrator/domain/execution.ts';
import type { LoadedPlan } from '../../../../orchestrator/ports/plan-source.ts';
import { buttonArgs } from '../../../support/bolt.ts';
import { bcbsazAtSignOff, fakeBotDeps, fakeRuns } from '../../../support/runs.ts';

const CHANNEL = 'C0BCBSAZDR';

let bcbsaz: LoadedPlan;
let execution: Execution;
let signOff: Gate;
beforeAll(async () => {
  ({ bcbsaz, execution, signOff } = await bcbsazAtSignOff());
});

const runsWithGate = () =>
  fakeRuns({
    getExecution: async () => execution,
    loadPlan: async () => bcbsaz,
    getGate: async () => signOff,
    audit: async () => {},
  });

describe('signOffOpen', () => {
  it('opens the sign-off modal for someone on the sign-off list, for this gate', async () => {
    // Prepare
    const { runs, calls: runCalls } = runsWithGate();
    const { args, calls } = buttonArgs(SIGN_OFF_OPEN_ACTION, signOff.gateId, {
      userId: 'U03CAROL',
      channelId: CHANNEL,
    });
    // Act
    await signOffOpen(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(calls.acks).toEqual([undefined]);
    expect(calls.opened).toEqual([
      {
        trigger_id: 'trigger-U03CAROL',
        view: expect.objectContaining({
          callback_id: SIGN_OFF_VIEW,
          private_metadata: signOff.gateId,
        }),
      },
    ]);
    expect(calls.responses).toEqual([]);
    expect(runCalls.find(([method]) => method === 'audit')?.[2]).toMatchObject({
      user: 'U03CAROL',
      action: 'sign-off',
      allowed: true,
    });
  });

  it('tells anyone else privately that only the sign-off list may, and opens nothing', async () => {
    // Prepare
    const { runs } = runsWithGate();
    const { args, calls } = buttonArgs(SIGN_OFF_OPEN_ACTION, signOff.gateId, {
      userId: 'U02BOB',
      channelId: CHANNEL,
    });
    // Act
    await signOffOpen(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(calls.opened).toEqual([]);
    expect(calls.responses).toEqual([
      {
        response_type: 'ephemeral',
        replace_original: false,
        text: expect.stringMatching(/^Only the people on the sign-off list of/),
      },
    ]);
  });

  it('opens nothing for a gate that was already decided', async () => {
    // Prepare
    const { runs } = fakeRuns({
      getExecution: async () => execution,
      loadPlan: async () => bcbsaz,
      getGate: async () => ({ ...signOff, status: 'closed' }),
    });
    const { args, calls } = buttonArgs(SIGN_OFF_OPEN_ACTION, signOff.gateId, {
      userId: 'U03CAROL',
      channelId: CHANNEL,
    });
    // Act
    await signOffOpen(fakeBotDeps(runs).deps)(args);
    // Assess
    expect(calls.opened).toEqual([]);
    expect(calls.responses).toEqual([
      expect.objectContaining({ text: 'This sign-off was already decided; nothing changed.' }),
    ]);
  });
});
