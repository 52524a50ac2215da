import { LifeboatError } from '../../../orchestrator/domain/errors.ts';
import { GateDecisionSchema } from '../../../orchestrator/domain/execution.ts';
import { checkAccess } from '../../access.ts';
import { GATE_ACTION } from '../../blocks/prompts.ts';
import type { BotDeps } from '../../deps.ts';
import { escapeSlackText } from '../../slack-text.ts';
import { type ButtonArgs, loadGateRun, privately } from './gate-run.ts';

/**
 * Approve, Reject, and the answers to a failed step or a pause. The button carries only the
 * gate id; who may answer is decided here and again by the gate itself (its principals, the
 * two-person rule), and two clicks at once give one decision (a conditional write).
 */
export function gateButton(deps: BotDeps) {
  return async ({ ack, action, body, client, respond }: ButtonArgs) => {
    await ack();
    const say = privately(respond);
    const decision = GateDecisionSchema.parse(GATE_ACTION.exec(action.action_id)?.[1]);
    const found = await loadGateRun(deps, action.value ?? '');
    if (!found.ok) return void (await say(found.reason));
    const { execution, plan, gate } = found;
    const userId = body.user.id;
    const approval = gate.kind === 'approval';
    // The requester may withdraw their own request; approving needs a second person.
    const withdrawing = approval && decision === 'reject' && userId === execution.requestedBy;
    const auth = await checkAccess(deps, client, {
      plan,
      userId,
      channelId: body.channel?.id ?? '',
      action: withdrawing ? 'request' : approval ? 'approve' : 'decide',
      requester: execution.requestedBy,
      executionId: execution.executionId,
    });
    if (!auth.ok) return void (await say(auth.reason));
    try {
      const result = await deps.runs.answer(execution.executionId, gate.gateId, {
        user: withdrawing ? (gate.principals[0] ?? userId) : userId,
        groups: withdrawing ? [] : auth.groups,
        decision,
      });
      if (!result.decided)
        await say(
          `Recorded your ${decision}: ${result.gate.answers.filter((a) => a.decision === 'approve').length} of ${result.gate.required} approvals so far.`,
        );
    } catch (error) {
      if (!(error instanceof LifeboatError)) throw error;
      await say(escapeSlackText(error.message));
    }
  };
}
