import { LifeboatError } from '../../../orchestrator/domain/errors.ts';
import { GateDecisionSchema } from '../../../orchestrator/domain/execution.ts';
import { runOfGateId } from '../../../orchestrator/domain/gates.ts';
import { isIncidentId } from '../../../orchestrator/domain/incident.ts';
import { checkAccess } from '../../access.ts';
import { GATE_ACTION } from '../../blocks/prompts.ts';
import type { BotDeps } from '../../deps.ts';
import { nameCaller } from '../../display-names.ts';
import { describeErrorForSlack } from '../../sanitize.ts';
import { escapeKeepingMentions } from '../../slack-text.ts';
import { ButtonPayloadSchema, describeMismatch } from '../payloads.ts';
import { answerIncidentGate } from './gate-incident.ts';
import { type ButtonArgs, loadGateRun, privately } from './gate-run.ts';

/**
 * Approve, Reject, and the answers to a failed step or a pause. The button carries only the
 * gate id; who may answer is decided here and again by the gate itself (its principals, the
 * two-person rule), and two clicks at once give one decision (a conditional write). The
 * requester's own Reject withdraws the request: the run is aborted in her name.
 */
export function gateButton(deps: BotDeps) {
  return async ({ ack, action, body, client, respond, logger }: ButtonArgs) => {
    await ack();
    const say = privately(respond, logger);
    const payload = ButtonPayloadSchema.safeParse({ action, body });
    if (!payload.success) return void (await say(describeMismatch(payload.error, 'click')));
    const decision = GateDecisionSchema.safeParse(
      GATE_ACTION.exec(payload.data.action.action_id)?.[1],
    );
    if (!decision.success)
      return void (await say('This button is none of Lifeboat’s; nothing changed.'));
    // Looked up beside the reads and checks below, not after them.
    const named = nameCaller(deps, client, payload.data.body.user);
    // An incident's approval is the incident's own gate, under the region-wide roles.
    const owner = runOfGateId(payload.data.action.value);
    if (owner && isIncidentId(owner)) {
      const answer = await answerIncidentGate(deps, {
        incidentId: owner,
        gateId: payload.data.action.value,
        decision: decision.data,
        user: payload.data.body.user,
        channelId: payload.data.body.channel?.id ?? '',
        client,
        userName: named,
      });
      if (answer) await say(answer);
      return;
    }
    const found = await loadGateRun(deps, payload.data.action.value);
    if (!found.ok) return void (await say(found.reason));
    const { execution, plan, gate } = found;
    const userId = payload.data.body.user.id;
    const approval = gate.kind === 'approval';
    // The requester may withdraw their own request; approving needs a second person.
    const withdrawing = approval && decision.data === 'reject' && userId === execution.requestedBy;
    const auth = await checkAccess(deps, client, {
      plan,
      userId,
      channelId: payload.data.body.channel?.id ?? '',
      action: withdrawing ? 'abort' : approval ? 'approve' : 'decide',
      requester: execution.requestedBy,
      executionId: execution.executionId,
    });
    if (!auth.ok) return void (await say(auth.reason));
    const userName = await named;
    try {
      if (withdrawing) {
        if (!execution.abortRequested)
          await deps.runs.requestAbort(execution.executionId, userId, userName);
        return void (await say(
          `You withdrew your request: run \`${execution.executionId}\` is aborted, whatever approvals came in.`,
        ));
      }
      const result = await deps.runs.answer(execution.executionId, gate.gateId, {
        user: userId,
        ...(userName ? { userName } : {}),
        groups: auth.groups,
        decision: decision.data,
      });
      if (!result.decided)
        await say(
          `Recorded your ${decision.data}: ${result.gate.answers.filter((a) => a.decision === 'approve').length} of ${result.gate.required} approvals so far.`,
        );
    } catch (error) {
      if (!(error instanceof LifeboatError)) throw error;
      await say(escapeKeepingMentions(describeErrorForSlack(error)));
    }
  };
}
