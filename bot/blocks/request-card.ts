import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import { formatDuration } from '../../orchestrator/domain/duration.ts';
import type { Operation, Plan } from '../../orchestrator/domain/plan.ts';
import { CUSTOMER_NAME_SHOWN_MAX } from '../../orchestrator/domain/plan-text-fit.ts';
import type { Region } from '../../orchestrator/domain/regions.ts';
import type { PreflightCheck, PreflightResult } from '../../orchestrator/domain/runbook.ts';
import { redactForSlack } from '../sanitize.ts';
import {
  cutPlainText,
  cutSlackText,
  escapeAndCut,
  escapeSlackText,
  formatSlackDate,
  mentionUser,
  namePerson,
} from '../slack-text.ts';
import { operationTitle } from './labels.ts';

/** Action ids of the card's buttons: the listeners register on these. */
export const GATE_APPROVE_ACTION = 'gate_approve';
export const GATE_REJECT_ACTION = 'gate_reject';

export type { PreflightResult };

export interface RequestCardInput {
  plan: Pick<Plan, 'customer' | 'targets' | 'waves'>;
  operation: Operation;
  /** The region the operation makes active (and runs in). */
  activeRegion: Region;
  planRevision: string;
  requestedBy: string;
  reason?: string;
  /** When the disruption began, for a real failover (epoch ms). */
  disruptionAt?: number;
  /** Opaque id of the approval gate; the only thing the buttons carry. Never a task token. */
  gateId: string;
  /** Undefined while the checks are still running. */
  preflight?: readonly PreflightResult[];
  /** Approvals needed and those given so far (two for some failovers). */
  approvals?: { required: number; by: readonly string[] };
  /** Once decided: the card shows who and when, and no buttons. */
  decision?: {
    /** `withdrawn`: the requester took the request back (rejected or aborted it herself). */
    outcome: 'approved' | 'rejected' | 'withdrawn' | 'expired';
    /** Who decided: every approver of an M-of-N approval. */
    by?: string | readonly string[];
    at: number;
  };
  /** The names people acted under, by user id (from the journal): `Bob Builder (U02BOB)`. */
  names?: Readonly<Record<string, string>>;
}

export interface SlackMessage {
  /** Plain-text fallback for notifications and clients without blocks. */
  text: string;
  blocks: KnownBlock[];
}

const OPERATION_LABEL: Readonly<Record<Operation, string>> = {
  drill: 'Drill (failover, sign-off, failback)',
  'bubble-drill': 'Bubble drill (isolated, nothing touches production)',
  failover: 'FAILOVER (real incident)',
  failback: 'Failback to the primary region',
};

const CHECK_LABEL: Readonly<Record<PreflightCheck, string>> = {
  'primary-reachable': 'Primary region reachable',
  'replication-healthy': 'Replication healthy',
  'replication-lag': 'Replication lag within RPO',
  'recovery-instances': 'Recovery instances present',
  'original-instances': 'Original instances present',
  'reverse-replication': 'Replication back to primary',
  'dns-zones': 'DNS zones present',
  'routing-controls': 'ARC routing controls reachable and set',
  'failover-records': 'Failover records present',
  'dns-control-plane': 'DNS flip independent of us-east-1',
  'drs-quota': 'DRS quota headroom',
  'isolated-network': 'Isolated network present',
  'no-active-operation': 'No other operation running',
  'plan-tags': 'Instances tagged for this plan (lifeboat:plan)',
};

/**
 * Slack's limits (Block Kit reference): section text 3,000 characters, header 150, a confirm
 * dialog's text 300; these leave room for the labels. Texts are escaped, then cut.
 */
const REASON_MAX = 1000;
const CHECKS_TEXT_MAX = 2900;
const WAVES_SHOWN = 20;

/** The approval card: what will happen, whether it is safe now, and Approve / Reject. */
export function renderRequestCard(input: RequestCardInput): SlackMessage {
  const { plan, operation, decision } = input;
  const name = escapeAndCut(plan.customer.name, CUSTOMER_NAME_SHOWN_MAX);
  const id = escapeSlackText(plan.customer.id);
  const serverCount = plan.waves.reduce((n, w) => n + w.servers.length, 0);
  const blocking = (input.preflight ?? []).filter((r) => !r.ok && !r.advisory);

  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        // plain_text: the customer's name as it is, not escaped.
        text: cutPlainText(`${operationTitle(operation)} requested: ${plan.customer.name}`, 150),
      },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Customer*\n${name} (\`${id}\`)` },
        { type: 'mrkdwn', text: `*Operation*\n${OPERATION_LABEL[operation]}` },
        { type: 'mrkdwn', text: `*Becomes active*\n${escapeSlackText(input.activeRegion)}` },
        {
          type: 'mrkdwn',
          text: `*Targets*\nRPO ${formatDuration(plan.targets.rpo)} · RTO ${formatDuration(plan.targets.rto)}`,
        },
        { type: 'mrkdwn', text: `*Requested by*\n${mentionUser(input.requestedBy)}` },
        { type: 'mrkdwn', text: `*Plan revision*\n\`${escapeSlackText(input.planRevision)}\`` },
      ],
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Reason*\n${input.reason ? escapeAndCut(input.reason, REASON_MAX) : '_none given_'}${
          input.disruptionAt !== undefined
            ? `\n*Disruption began* ${formatSlackDate(input.disruptionAt)}`
            : ''
        }`,
        verbatim: true,
      },
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: wavesText(plan.waves, serverCount) },
    },
    { type: 'section', text: { type: 'mrkdwn', text: preflightText(input.preflight) } },
  ];

  if (input.approvals && input.approvals.required > 1) {
    const by = input.approvals.by.map(mentionUser).join(', ') || 'none yet';
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Approvals ${input.approvals.by.length}/${input.approvals.required}: ${by}`,
        },
      ],
    });
  }

  if (decision) {
    blocks.push({ type: 'divider' }, decisionBlock(decision, input.names));
  } else {
    blocks.push(actionsBlock(input, operation, name, blocking.length > 0));
  }

  return { text: fallbackText(input, serverCount, blocking.length), blocks };
}

function wavesText(waves: Pick<Plan, 'waves'>['waves'], serverCount: number): string {
  const lines = waves
    .slice(0, WAVES_SHOWN)
    .map(
      (w, i) =>
        `${i + 1}. ${escapeAndCut(w.name, 100)}: ${w.servers.length} server${w.servers.length === 1 ? '' : 's'}`,
    );
  if (waves.length > WAVES_SHOWN) lines.push(`…and ${waves.length - WAVES_SHOWN} more waves`);
  return `*Waves* (${waves.length}, ${serverCount} servers)\n${lines.join('\n')}`;
}

/** The pre-flight results as mrkdwn lines: the card's section, and `/dr readiness`. */
export function preflightText(results: readonly PreflightResult[] | undefined): string {
  if (!results) return '*Pre-flight*\n:hourglass_flowing_sand: checks running…';
  if (results.length === 0) return '*Pre-flight*\nno checks';
  const passed = results.filter((r) => r.ok).length;
  const lines = results.map(
    (r) =>
      `${r.ok ? '✅' : '❌'} ${CHECK_LABEL[r.check]}${r.advisory ? ' _(advisory)_' : ''}: ${escapeAndCut(redactForSlack(r.detail), 200)}`,
  );
  return cutSlackText(
    `*Pre-flight* (${passed}/${results.length} pass)\n${lines.join('\n')}`,
    CHECKS_TEXT_MAX,
  );
}

function actionsBlock(
  input: RequestCardInput,
  operation: Operation,
  customerName: string,
  blocked: boolean,
): KnownBlock {
  const reject = gateButton(input.gateId, 'reject', {
    title: 'Reject this request?',
    text: cutSlackText(`The ${operation} of ${customerName} will not run.`, 300),
  });
  const approve = gateButton(input.gateId, 'approve', {
    title: `Approve the ${operation}?`,
    text: cutSlackText(
      `${customerName} will run in ${escapeSlackText(input.activeRegion)}. This changes production.`,
      300,
    ),
    danger: operation === 'failover',
  });
  // A blocking pre-flight failure stops the run before approval, so there is nothing to approve.
  const block: ActionsBlock = {
    type: 'actions',
    block_id: 'gate_actions',
    elements: blocked ? [reject] : [approve, reject],
  };
  return block;
}

function decisionBlock(
  decision: NonNullable<RequestCardInput['decision']>,
  names: Readonly<Record<string, string>> = {},
): KnownBlock {
  const when = formatSlackDate(decision.at);
  const who = decision.by === undefined ? [] : [decision.by].flat();
  const by = who.length ? ` by ${who.map((id) => namePerson(id, names[id])).join(', ')}` : '';
  const text =
    decision.outcome === 'approved'
      ? `✅ Approved${by} ${when}`
      : decision.outcome === 'rejected'
        ? `❌ Rejected${by} ${when}`
        : decision.outcome === 'withdrawn'
          ? `↩️ Withdrawn${by} ${when}`
          : `⌛ Expired ${when} without enough approvals`;
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}

function fallbackText(input: RequestCardInput, serverCount: number, blocking: number): string {
  const { plan, operation, decision } = input;
  const head = `${operationTitle(operation)} of ${escapeAndCut(plan.customer.name, CUSTOMER_NAME_SHOWN_MAX)} (${escapeSlackText(plan.customer.id)}) to ${escapeSlackText(input.activeRegion)}, ${serverCount} servers, requested by ${mentionUser(input.requestedBy)}`;
  if (decision) return `${head}: ${decision.outcome}`;
  return blocking > 0 ? `${head}: pre-flight failed` : `${head}: waiting for approval`;
}

/**
 * An Approve or Reject button of a request card, carrying only the gate id, confirmed in a dialog
 * (`text` is mrkdwn, already escaped). A rejection's dialog, and an approval's that moves
 * production for real (`danger`), are red.
 */
export function gateButton(
  gateId: string,
  answer: 'approve' | 'reject',
  confirm: { title: string; text: string; danger?: boolean },
): Button {
  const approving = answer === 'approve';
  const label = approving ? 'Approve' : 'Reject';
  return {
    type: 'button',
    action_id: approving ? GATE_APPROVE_ACTION : GATE_REJECT_ACTION,
    text: { type: 'plain_text', text: label },
    style: approving ? 'primary' : 'danger',
    value: gateId,
    confirm: {
      title: { type: 'plain_text', text: confirm.title },
      text: { type: 'mrkdwn', text: confirm.text },
      confirm: { type: 'plain_text', text: label },
      deny: { type: 'plain_text', text: 'Cancel' },
      style: !approving || confirm.danger ? 'danger' : 'primary',
    },
  };
}
