import { SfnExecutionStarter } from '../adapters/sfn-executions.ts';
import { InvalidSettingError } from '../domain/errors.ts';
import { HandlerEnvSchema } from './env.ts';
import { createIncidentHandler } from './incident-handler.ts';
import { createTaskHandlers } from './task-handlers.ts';
import { wireOrchestrator } from './wiring.ts';

const env = HandlerEnvSchema.parse(process.env);
const orchestrator = wireOrchestrator(env);

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
} = createTaskHandlers(env, orchestrator);

/** The incident state machine's task: it starts child runs on the runbook machine. */
export const incident = createIncidentHandler(
  env,
  orchestrator,
  env.STATE_MACHINE_ARN_PATTERN
    ? new SfnExecutionStarter(env.STATE_MACHINE_ARN_PATTERN)
    : {
        start: async () => {
          throw new InvalidSettingError(
            'STATE_MACHINE_ARN_PATTERN',
            '(unset)',
            'the incident function starts child runs through it; infra sets it on that function.',
          );
        },
      },
);
