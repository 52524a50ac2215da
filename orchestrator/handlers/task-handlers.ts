import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { GateDecisionSchema, GateKindSchema } from '../domain/execution.ts';
import { PrepareInputSchema } from '../domain/messages.ts';
import { RegionSchema } from '../domain/regions.ts';
import type { Engine } from '../run/engine.ts';
import type { HandlerEnv } from './env.ts';
import { wireOrchestrator } from './wiring.ts';

const Ids = z.object({ executionId: z.string().min(1), stepId: z.string().min(1) });

/** Every input carries its run's id: the state machine's first input names it `executionName`. */
const PrepareInput = PrepareInputSchema.transform(({ request, executionName }) => ({
  ...request,
  executionId: executionName,
}));

const FailStepInput = Ids.extend({
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).passthrough(),
});

const OpenGateInput = Ids.extend({
  kind: z.enum(['step', 'decision', 'pause']),
  taskToken: z.string().min(1),
});

const ApplyDecisionInput = Ids.extend({
  decision: z.object({
    kind: z.union([GateKindSchema, z.literal('expired')]),
    decision: z.union([GateDecisionSchema, z.literal('expired')]),
  }),
});

const FinishInput = z.object({
  executionId: z.string().min(1),
  outcome: z.enum(['succeeded', 'aborted']),
});

/**
 * The task Lambdas of the runbook state machine, built from one environment: each parses its
 * input with its schema, calls the engine once and returns what the state machine routes on.
 * One logger for them all; each invocation's lines carry its run's `executionId`. The sandbox
 * passes the orchestrator it also answers gates with.
 */
export function createTaskHandlers(env: HandlerEnv, orchestrator = wireOrchestrator(env)) {
  const logger = new Logger({ serviceName: 'lifeboat-tasks', logLevel: env.POWERTOOLS_LOG_LEVEL });

  /** One invocation about one run: logged under the run's id, a failure logged and thrown on. */
  const task =
    <S extends z.ZodType<{ executionId: string; stepId?: string }>, T>(
      name: string,
      schema: S,
      work: (engine: Engine, input: z.output<S>, log: Logger) => Promise<T>,
    ) =>
    async (event: unknown, context?: Context): Promise<T> => {
      if (context) logger.addContext(context);
      const parsed = schema.safeParse(event);
      if (!parsed.success) {
        // The issues name paths and expected types, never the values (a task token among them).
        logger.error(`${name}: malformed input`, { task: name, problems: parsed.error.issues });
        throw parsed.error;
      }
      const input = parsed.data;
      const log = logger.createChild({ persistentKeys: { executionId: input.executionId } });
      const step = input.stepId ? { stepId: input.stepId } : {};
      try {
        const run = { executionId: input.executionId };
        const result = await work(await orchestrator.engine(log, run), input, log);
        log.info(`${name} done`, { task: name, ...step });
        return result;
      } catch (error) {
        // Thrown on to the state machine, whose Retry and Catch match the error's name.
        log.error(`${name} failed`, { task: name, ...step, error: error as Error });
        throw error;
      }
    };

  return {
    prepare: task('prepare', PrepareInput, (engine, request) => engine.prepare(request)),

    next: task('next', z.object({ executionId: z.string().min(1) }), (engine, { executionId }) =>
      engine.next(executionId),
    ),

    startStep: task('startStep', Ids, (engine, { executionId, stepId }) =>
      engine.startStep(executionId, stepId),
    ),

    pollStep: task('pollStep', Ids, (engine, { executionId, stepId }) =>
      engine.pollStep(executionId, stepId),
    ),

    failStep: task('failStep', FailStepInput, (engine, { executionId, stepId, error }, log) => {
      const cause = [error.Error, error.Cause].filter(Boolean).join(': ') || 'unknown error';
      log.warn('step failed', { stepId, cause });
      return engine.failStep(executionId, stepId, cause);
    }),

    openGate: task('openGate', OpenGateInput, async (engine, input, log) => {
      const { executionId, stepId, kind, taskToken } = input;
      const gate = await engine.openGate(executionId, stepId, kind, taskToken);
      log.info('gate opened', { stepId, gateId: gate.gateId, kind: gate.kind });
      return { gateId: gate.gateId };
    }),

    applyDecision: task('applyDecision', ApplyDecisionInput, async (engine, input, log) => {
      const { executionId, stepId, decision } = input;
      const kind = decision.kind === 'expired' ? 'decision' : decision.kind;
      log.info('gate decided', { stepId, kind, decision: decision.decision });
      await engine.applyDecision(executionId, stepId, kind, decision.decision);
      return {};
    }),

    finish: task('finish', FinishInput, (engine, { executionId, outcome }) =>
      engine.finish(executionId, outcome),
    ),

    /** Scheduled every minute: gates nobody answered in time end their runs. */
    expireGates: async (_event?: unknown, context?: Context) => {
      if (context) logger.addContext(context);
      const engine = await orchestrator.engine(logger);
      const expired = await engine.expireDueGates(RegionSchema.parse(env.AWS_REGION));
      for (const gate of expired) {
        const run = { executionId: gate.executionId, kind: gate.kind, region: gate.region };
        try {
          await orchestrator.taskTokens.succeed(gate.region, gate.taskToken, {
            kind: gate.kind,
            decision: 'expired',
          });
          logger.info('gate expired', run);
        } catch (error) {
          logger.error('an expired gate could not resume its run', {
            ...run,
            error: error as Error,
          });
          throw error;
        }
      }
      return { expired: expired.length };
    },
  };
}

export type TaskHandlers = ReturnType<typeof createTaskHandlers>;
