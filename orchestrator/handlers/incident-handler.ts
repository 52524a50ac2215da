import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { IncidentRequestSchema } from '../domain/incident.ts';
import type { ExecutionStarter } from '../ports/run-control.ts';
import type { HandlerEnv } from './env.ts';
import type { Orchestrator } from './wiring.ts';

/** What the incident state machine asks, one action per state. */
export const IncidentTaskSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('prepare'), request: IncidentRequestSchema }),
  z.strictObject({
    action: z.literal('open-approval'),
    incidentId: z.string().min(1),
    taskToken: z.string().min(1),
  }),
  z.strictObject({
    action: z.literal('apply-approval'),
    incidentId: z.string().min(1),
    decision: z.object({ decision: z.string() }).passthrough(),
  }),
  z.strictObject({
    action: z.literal('advance'),
    incidentId: z.string().min(1),
    /** The Wait before this look (the local runner passes the virtual clock by it). */
    waitSeconds: z.number().min(0),
  }),
]);
export type IncidentTask = z.infer<typeof IncidentTaskSchema>;

/**
 * The incident state machine's one task Lambda: parses the action, calls the coordinator once,
 * returns what the machine routes on. Children start through `executions` (the runbook machine).
 */
export function createIncidentHandler(
  env: HandlerEnv,
  orchestrator: Orchestrator,
  executions: ExecutionStarter,
) {
  const logger = new Logger({
    serviceName: 'lifeboat-incident',
    logLevel: env.POWERTOOLS_LOG_LEVEL,
  });
  return async (event: unknown, context?: Context): Promise<unknown> => {
    if (context) logger.addContext(context);
    const parsed = IncidentTaskSchema.safeParse(event);
    if (!parsed.success) {
      // Paths and expected types only, never the values (a task token among them).
      logger.error('incident: malformed input', { problems: parsed.error.issues });
      throw parsed.error;
    }
    const task = parsed.data;
    const incidentId = task.action === 'prepare' ? task.request.incidentId : task.incidentId;
    const log = logger.createChild({ persistentKeys: { incidentId } });
    const runs = await orchestrator.runControl({ executions, logger: log });
    const coordinator = await orchestrator.incidents({ runs, logger: log });
    try {
      switch (task.action) {
        case 'prepare': {
          const incident = await coordinator.prepare(task.request);
          return { incidentId: incident.incidentId, plans: incident.plans.length };
        }
        case 'open-approval': {
          const gate = await coordinator.openApproval(task.incidentId, task.taskToken);
          return { gateId: gate.gateId };
        }
        case 'apply-approval':
          return await coordinator.applyApproval(task.incidentId, task.decision.decision);
        case 'advance':
          return await coordinator.advance(task.incidentId);
      }
    } catch (error) {
      // Thrown on to the state machine, whose Retry matches the error's name.
      log.error(`incident ${task.action} failed`, { error: error as Error });
      throw error;
    }
  };
}
