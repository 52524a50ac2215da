import { describe, expect, it } from 'vitest';
import { StepSchema } from '../../orchestrator/domain/runbook.ts';
import { LAMBDA_CRASH_ERROR } from '../../sandbox/stepfunctions/local-runner.ts';
import { synthesizeRunbook } from '../../sandbox/stepfunctions/synth.ts';

const { definition, handlers } = synthesizeRunbook();
const states = definition.States as Record<string, Record<string, unknown>>;
const text = JSON.stringify(definition);

describe('RunbookStateMachine', () => {
  it('uses JSONPath only: nothing the local runner would silently ignore', () => {
    // Assess
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const field of ['"Assign"', '"ItemBatcher"', '"Arguments"', '"Output"', 'JSONata', '{%'])
      expect(text).not.toContain(field);
  });

  it('routes every step kind of the runbook to a sub-chain, and the rest to a failure', () => {
    const route = states.Route as {
      Choices: { StringEquals: string; Next: string }[];
      Default: string;
    };
    const routed = new Set(route.Choices.map((c) => c.StringEquals));
    const kinds = StepSchema.options.map((o) => o.shape.kind.value);
    for (const kind of kinds) expect(routed.has(kind), kind).toBe(true);
    expect(states[route.Default]?.Type).toBe('Fail');
  });

  it('gives every polled kind a Start, a Check, a Wait on the executor’s seconds and a Poll', () => {
    const route = states.Route as { Choices: { StringEquals: string; Next: string }[] };
    const polled = route.Choices.filter(
      (c) => !['finish', 'gate', 'pause'].includes(c.StringEquals),
    );
    expect(polled.length).toBeGreaterThan(0);
    for (const { StringEquals: kind, Next } of polled) {
      expect(Next).toBe(`Start ${kind}`);
      expect(states[`Wait ${kind}`]).toMatchObject({
        Type: 'Wait',
        SecondsPath: '$.progress.waitSeconds',
        Next: `Poll ${kind}`,
      });
      expect(states[`Poll ${kind}`]?.Next).toBe(`Check ${kind}`);
    }
  });

  it('retries throttling with backoff and full jitter, and catches the rest into the decision gate', () => {
    for (const [name, state] of Object.entries(states)) {
      if (!/^(Start|Poll) /.test(name)) continue;
      const retry = (
        state.Retry as { ErrorEquals: string[]; BackoffRate: number; JitterStrategy?: string }[]
      ).find((r) => r.ErrorEquals.includes('ThrottledError'));
      expect(retry, name).toMatchObject({ BackoffRate: 2, JitterStrategy: 'FULL' });
      expect((state.Catch as { ErrorEquals: string[]; Next: string }[])[0]).toMatchObject({
        ErrorEquals: ['States.ALL'],
        Next: 'Record failure',
      });
    }
    expect(states['Record failure']?.Next).toBe('Decide');
  });

  it('runs a task that died (Lambda.Unknown, Sandbox.Timedout) again, on every task that is not a gate', () => {
    const tasks = Object.entries(states).filter(
      ([, state]) => state.Type === 'Task' && !String(state.Resource).endsWith('.waitForTaskToken'),
    );
    expect(tasks.length).toBeGreaterThan(20);
    for (const [name, state] of tasks) {
      const retry = (state.Retry as { ErrorEquals: string[]; MaxAttempts: number }[]).find((r) =>
        r.ErrorEquals.includes(LAMBDA_CRASH_ERROR),
      );
      expect(retry?.ErrorEquals, name).toEqual(['Lambda.Unknown', 'Sandbox.Timedout']);
      expect(retry?.MaxAttempts, name).toBeGreaterThanOrEqual(2);
    }
  });

  it('waits for people with task tokens, and sends every task to its own handler', () => {
    for (const gate of ['Gate', 'Decide', 'Paused']) {
      expect(states[gate]).toMatchObject({
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { Payload: { 'taskToken.$': '$$.Task.Token' } },
      });
      expect(states[gate]?.TimeoutSeconds).toBeGreaterThan(0);
    }
    const called = new Set(
      Object.values(states)
        .filter((state) => state.Type === 'Task')
        .map((state) =>
          handlers.get(
            String(
              (state.Parameters as { FunctionName?: string } | undefined)?.FunctionName ??
                state.Resource,
            ),
          ),
        ),
    );
    expect(called).toEqual(
      new Set([
        'prepare',
        'next',
        'startStep',
        'pollStep',
        'failStep',
        'openGate',
        'applyDecision',
        'finish',
      ]),
    );
    // the gate sweeper is deployed beside the machine, not in it
    expect([...handlers.values()]).toContain('expireGates');
  });
});
