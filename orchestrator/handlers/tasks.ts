import { z } from 'zod';
import { GateDecisionSchema, GateKindSchema } from '../domain/execution.ts';
import { OperationSchema } from '../domain/plan.ts';
import { RegionSchema } from '../domain/regions.ts';
import { engine, taskTokens } from './wiring.ts';

/**
 * The task Lambdas of the runbook state machine, one exported handler each: parse the input
 * with its schema, call the engine once, return what the state machine routes on.
 */
const Ids = z.object({ executionId: z.string().min(1), stepId: z.string().min(1) });

const PrepareInput = z.object({
  request: z.object({
    customerId: z.string().min(1),
    operation: OperationSchema,
    requestedBy: z.string().min(1),
    channel: z.string().optional(),
    reason: z.string().optional(),
    disruptionAt: z.number().optional(),
  }),
  executionName: z.string().min(1),
});

export const prepare = async (event: unknown) => {
  const { request, executionName } = PrepareInput.parse(event);
  return (await engine()).prepare({ ...request, executionId: executionName });
};

export const next = async (event: unknown) =>
  (await engine()).next(z.object({ executionId: z.string() }).parse(event).executionId);

export const startStep = async (event: unknown) => {
  const { executionId, stepId } = Ids.parse(event);
  return (await engine()).startStep(executionId, stepId);
};

export const pollStep = async (event: unknown) => {
  const { executionId, stepId } = Ids.parse(event);
  return (await engine()).pollStep(executionId, stepId);
};

export const failStep = async (event: unknown) => {
  const { executionId, stepId, error } = Ids.extend({
    error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).passthrough(),
  }).parse(event);
  return (await engine()).failStep(
    executionId,
    stepId,
    [error.Error, error.Cause].filter(Boolean).join(': ') || 'unknown error',
  );
};

export const openGate = async (event: unknown) => {
  const { executionId, stepId, kind, taskToken } = Ids.extend({
    kind: z.enum(['step', 'decision', 'pause']),
    taskToken: z.string().min(1),
  }).parse(event);
  const gate = await (await engine()).openGate(executionId, stepId, kind, taskToken);
  return { gateId: gate.gateId };
};

export const applyDecision = async (event: unknown) => {
  const { executionId, stepId, decision } = Ids.extend({
    decision: z.object({
      kind: z.union([GateKindSchema, z.literal('expired')]),
      decision: z.union([GateDecisionSchema, z.literal('expired')]),
    }),
  }).parse(event);
  const kind = decision.kind === 'expired' ? 'decision' : decision.kind;
  await (await engine()).applyDecision(executionId, stepId, kind, decision.decision);
  return {};
};

export const finish = async (event: unknown) => {
  const { executionId, outcome } = z
    .object({ executionId: z.string(), outcome: z.enum(['succeeded', 'aborted']) })
    .parse(event);
  return (await engine()).finish(executionId, outcome);
};

/** Scheduled every minute: gates nobody answered in time end their runs. */
export const expireGates = async () => {
  const expired = await (await engine()).expireDueGates(
    RegionSchema.parse(process.env.AWS_REGION ?? 'us-east-1'),
  );
  for (const gate of expired)
    await taskTokens().succeed(gate.region, gate.taskToken, {
      kind: gate.kind,
      decision: 'expired',
    });
  return { expired: expired.length };
};
