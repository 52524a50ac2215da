import { describe, expect, it } from 'vitest';
import { GateAnswerError } from '../../../orchestrator/domain/errors.ts';
import { answerGate, type Gate } from '../../../orchestrator/domain/execution.ts';

const gate = (patch: Partial<Gate> = {}): Gate => ({
  gateId: 'g',
  executionId: 'e',
  stepId: 'approval',
  kind: 'approval',
  prompt: 'Approve?',
  principals: ['U02BOB', 'U07GRACE', 'S0LEADS'],
  required: 1,
  excludeRequester: true,
  requestedBy: 'U01ALICE',
  taskToken: 't',
  openedAt: 0,
  expiresAt: 1000,
  answers: [],
  status: 'open',
  ...patch,
});

describe('answerGate', () => {
  it.each([
    [
      'the requester approving their own request',
      gate({ principals: ['U01ALICE', 'U02BOB'] }),
      'U01ALICE',
      [],
      'approve',
      /a second person must/,
    ],
    ['someone who is not a principal', gate(), 'U05ERIN', [], 'approve', /may not answer/],
    ['an answer after expiry', gate({ expiresAt: 1 }), 'U02BOB', [], 'approve', /expired/],
    [
      'an answer to a closed gate',
      gate({ status: 'closed' }),
      'U02BOB',
      [],
      'approve',
      /already decided/,
    ],
    [
      'a decision the gate does not take',
      gate(),
      'U02BOB',
      [],
      'retry',
      /not an answer to a approval/,
    ],
  ] as const)('refuses %s', (_, g, user, groups, decision, message) => {
    expect(() => answerGate(g, { user, groups, decision, at: 10 })).toThrow(GateAnswerError);
    expect(() => answerGate(g, { user, groups, decision, at: 10 })).toThrow(message);
  });

  it('accepts a member of a principal group', () => {
    expect(
      answerGate(gate(), { user: 'U09DAVE', groups: ['S0LEADS'], decision: 'approve', at: 1 })
        .decided,
    ).toBe('approve');
  });

  it('waits for M of N approvals, from different people', () => {
    const first = answerGate(gate({ required: 2 }), {
      user: 'U02BOB',
      groups: [],
      decision: 'approve',
      at: 1,
    });
    expect(first.decided).toBeUndefined();
    expect(() =>
      answerGate(first.gate, { user: 'U02BOB', groups: [], decision: 'approve', at: 2 }),
    ).toThrow(/already answered/);
    const second = answerGate(first.gate, {
      user: 'U07GRACE',
      groups: [],
      decision: 'approve',
      at: 2,
    });
    expect(second.decided).toBe('approve');
    expect(second.gate.status).toBe('closed');
  });

  it('closes on one rejection', () => {
    expect(
      answerGate(gate({ required: 2 }), { user: 'U02BOB', groups: [], decision: 'reject', at: 1 })
        .decided,
    ).toBe('reject');
  });
});
