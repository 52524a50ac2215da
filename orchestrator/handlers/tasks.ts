import { HandlerEnvSchema } from './env.ts';
import { createTaskHandlers } from './task-handlers.ts';

/**
 * The task Lambdas' entry: the handlers, built once per cold start from this function's
 * environment. Infra names one exported handler per function (`tasks.prepare`, ...).
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
} = createTaskHandlers(HandlerEnvSchema.parse(process.env));
