import { bundledPlanConfig } from '../adapters/bundled-plans.ts';
import { HandlerEnvSchema } from './env.ts';
import { createTaskHandlers } from './task-handlers.ts';
import { wireOrchestrator } from './wiring.ts';

const env = HandlerEnvSchema.parse(process.env);

/**
 * The task Lambdas' entry: the handlers, built once per cold start from this function's
 * environment, on the plans the bundle carries (validated at synth; from source, their files).
 * Infra names one exported handler per function (`tasks.prepare`, ...).
 */
export const {
  prepare,
  next,
  startStep,
  pollStep,
  failStep,
  openGate,
  applyDecision,
  finish,
  expireGates,
} = createTaskHandlers(env, wireOrchestrator(env, bundledPlanConfig()));
