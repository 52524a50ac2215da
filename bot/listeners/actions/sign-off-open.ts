import { checkAccess } from '../../access.ts';
import { renderSignOffModal } from '../../blocks/prompts.ts';
import type { BotDeps } from '../../deps.ts';
import { ButtonPayloadSchema, describeMismatch } from '../payloads.ts';
import { type ButtonArgs, loadGateRun, privately } from './gate-run.ts';

/** "Record sign-off": only the customer's sign-off list may open the modal. */
export function signOffOpen(deps: BotDeps) {
  return async ({ ack, action, body, client, respond, logger }: ButtonArgs) => {
    await ack();
    const say = privately(respond, logger);
    const payload = ButtonPayloadSchema.safeParse({ action, body });
    if (!payload.success) return void (await say(describeMismatch(payload.error, 'click')));
    const found = await loadGateRun(deps, payload.data.action.value);
    if (!found.ok) return void (await say(found.reason));
    const { execution, plan, gate } = found;
    const auth = await checkAccess(deps, client, {
      plan,
      userId: payload.data.body.user.id,
      channelId: payload.data.body.channel?.id ?? '',
      action: 'sign-off',
      executionId: execution.executionId,
    });
    if (!auth.ok) return void (await say(auth.reason));
    await client.views.open({
      trigger_id: payload.data.body.trigger_id ?? '',
      view: renderSignOffModal({
        gateId: gate.gateId,
        customerName: plan.customer.name,
        operation: execution.operation,
      }),
    });
  };
}
