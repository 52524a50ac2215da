import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { LifeboatError } from '../../../orchestrator/domain/errors.ts';
import { checkAccess } from '../../access.ts';
import type { BotDeps } from '../../deps.ts';
import { nameCaller } from '../../display-names.ts';
import { loadGateRun } from '../actions/gate-run.ts';
import { describeMismatch, SignOffSubmissionSchema } from '../payloads.ts';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** The sign-off modal submitted: the customer's answer, with who gave it and the notes, on the gate. */
export function signOffSubmit(deps: BotDeps) {
  return async ({ ack, view, body, client }: Args) => {
    const fail = (text: string) => ack({ response_action: 'errors', errors: { contact: text } });
    const payload = SignOffSubmissionSchema.safeParse({ view, body });
    if (!payload.success) return void (await fail(describeMismatch(payload.error, 'form')));
    const { values } = payload.data.view.state;
    const contact = values.contact?.value?.value?.trim() ?? '';
    const notes = values.notes?.value?.value?.trim() ?? '';
    const decision =
      values.decision?.value?.selected_option?.value === 'reject' ? 'reject' : 'approve';
    if (!contact) return void (await fail('Name the customer contact who gave the answer.'));
    // Looked up beside the reads and checks below, not after them.
    const named = nameCaller(deps, client, payload.data.body.user);
    const found = await loadGateRun(deps, payload.data.view.private_metadata);
    if (!found.ok) return void (await fail(found.reason));
    const { execution, plan, gate } = found;
    const userId = payload.data.body.user.id;
    const auth = await checkAccess(deps, client, {
      plan,
      userId,
      // A modal has no channel: the run's own channel is where the sign-off was asked.
      channelId: execution.channel ?? '',
      action: 'sign-off',
      executionId: execution.executionId,
    });
    if (!auth.ok) return void (await fail(auth.reason));
    const userName = await named;
    try {
      await deps.runs.answer(execution.executionId, gate.gateId, {
        user: userId,
        ...(userName ? { userName } : {}),
        groups: auth.groups,
        decision,
        note: `${contact}${notes ? `: ${notes}` : ''}`.slice(0, 2000),
      });
    } catch (error) {
      if (!(error instanceof LifeboatError)) throw error;
      return void (await fail(error.message));
    }
    await ack();
  };
}
