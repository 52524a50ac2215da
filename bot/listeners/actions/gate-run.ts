import type {
  AllMiddlewareArgs,
  BlockAction,
  ButtonAction,
  SlackActionMiddlewareArgs,
} from '@slack/bolt';
import { NotFoundError } from '../../../orchestrator/domain/errors.ts';
import { type Execution, type Gate, hasEnded } from '../../../orchestrator/domain/execution.ts';
import { runOfGateId } from '../../../orchestrator/domain/gates.ts';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import { RunIdSchema } from '../../commands/parse-command.ts';
import type { BotDeps } from '../../deps.ts';
import { GateIdSchema } from '../payloads.ts';

/** What Bolt hands a button's listener. */
export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/**
 * An answer only the person who clicked sees, beside the message rather than replacing it. The
 * click was acknowledged already and what it did is recorded: a `response_url` Slack refuses (or
 * a payload without one) is logged, and the click is still answered 200.
 */
export function privately(
  respond: ButtonArgs['respond'] | undefined,
  logger: ButtonArgs['logger'],
) {
  return async (text: string): Promise<void> => {
    try {
      if (!respond) throw new Error('the payload carries no response_url');
      await respond({ response_type: 'ephemeral', replace_original: false, text });
    } catch (error) {
      logger.warn(`A private answer did not reach Slack (${(error as Error).message}): ${text}`);
    }
  };
}

/**
 * The run, plan and gate a button names by its opaque gate id (`<run>/<step>#<attempt>`), or a
 * clear reason when the gate is unknown, closed, or its run has ended.
 */
export async function loadGateRun(
  deps: BotDeps,
  gateId: string,
): Promise<
  { ok: true; execution: Execution; plan: Plan; gate: Gate } | { ok: false; reason: string }
> {
  if (!GateIdSchema.safeParse(gateId).success)
    return {
      ok: false,
      reason: `This names a gate id of ${gateId.length} characters, longer than any Lifeboat gives; nothing changed.`,
    };
  const executionId = runOfGateId(gateId) ?? '';
  if (!RunIdSchema.safeParse(executionId).success)
    return { ok: false, reason: 'This button names no Lifeboat run; nothing changed.' };
  try {
    const execution = await deps.runs.getExecution(executionId);
    if (hasEnded(execution.status))
      return {
        ok: false,
        reason: `Run \`${executionId}\` has ended (${execution.status}); this button does nothing now.`,
      };
    const [{ plan }, gate] = await Promise.all([
      deps.runs.loadPlan(execution.customerId),
      deps.runs.getGate(executionId, gateId),
    ]);
    if (gate.status !== 'open')
      return {
        ok: false,
        reason: `This ${gate.kind} was already ${gate.status === 'expired' ? 'expired' : 'decided'}; nothing changed.`,
      };
    return { ok: true, execution, plan, gate };
  } catch (error) {
    if (error instanceof NotFoundError)
      return {
        ok: false,
        reason: 'This button belongs to a run or gate Lifeboat does not know; nothing changed.',
      };
    throw error;
  }
}
