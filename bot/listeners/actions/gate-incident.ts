import { LifeboatError, NotFoundError } from '../../../orchestrator/domain/errors.ts';
import type { GateDecision } from '../../../orchestrator/domain/execution.ts';
import { type Incident, incidentEnded } from '../../../orchestrator/domain/incident.ts';
import { checkRegionAccess } from '../../access.ts';
import type { BotDeps } from '../../deps.ts';
import { describeErrorForSlack } from '../../sanitize.ts';
import { escapeKeepingMentions, escapeSlackText } from '../../slack-text.ts';
import type { ButtonArgs } from './gate-run.ts';

export interface IncidentClick {
  incidentId: string;
  gateId: string;
  decision: GateDecision;
  user: { id: string; name?: string | undefined };
  channelId: string;
  client: ButtonArgs['client'];
  /** The caller's name, looked up beside the reads and checks. */
  userName: Promise<string | undefined>;
}

/**
 * Approve or Reject on an incident's request card: authorized by `regionWide` (approvers
 * approve; the requester's own Reject withdraws the request, aborting the incident), then
 * answered on the incident's gate, whose principals and two-person rule decide again. Returns
 * the private answer, if any.
 */
export async function answerIncidentGate(
  deps: BotDeps,
  click: IncidentClick,
): Promise<string | undefined> {
  const { incidentId, gateId, decision, user } = click;
  let incident: Incident;
  try {
    incident = await deps.incidents.getIncident(incidentId);
  } catch (error) {
    if (error instanceof NotFoundError)
      return 'This button belongs to an incident Lifeboat does not know; nothing changed.';
    throw error;
  }
  const id = escapeSlackText(incidentId);
  if (incidentEnded(incident.status))
    return `Incident \`${id}\` has ended (${incident.status}); this button does nothing now.`;
  const withdrawing = decision === 'reject' && user.id === incident.requestedBy;
  const auth = await checkRegionAccess(deps, click.client, {
    region: incident.region,
    userId: user.id,
    channelId: click.channelId,
    action: withdrawing ? 'abort' : 'approve',
    requester: incident.requestedBy,
    incidentId,
  });
  if (!auth.ok) return auth.reason;
  const userName = await click.userName;
  try {
    if (withdrawing) {
      if (!incident.abortRequested)
        await deps.incidents.abortIncident(incidentId, user.id, userName);
      return `You withdrew your request: incident \`${id}\` is aborted, whatever approvals came in.`;
    }
    const result = await deps.incidents.answerIncident(incidentId, gateId, {
      user: user.id,
      ...(userName ? { userName } : {}),
      groups: auth.groups,
      decision,
    });
    if (result.decided) return undefined;
    return `Recorded your ${decision}: ${result.gate.answers.filter((a) => a.decision === 'approve').length} of ${result.gate.required} approvals so far.`;
  } catch (error) {
    if (!(error instanceof LifeboatError)) throw error;
    return escapeKeepingMentions(describeErrorForSlack(error));
  }
}
