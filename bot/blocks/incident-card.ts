import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../orchestrator/domain/duration.ts';
import {
  accountLoads,
  type ExistingRun,
  type Incident,
  type IncidentPlan,
  type IncidentPlanState,
  type IncidentStatus,
  incidentEnded,
} from '../../orchestrator/domain/incident.ts';
import {
  cutPlainText,
  cutSlackText,
  escapeAndCut,
  escapeSlackText,
  formatSlackDate,
  mentionUser,
  namePerson,
} from '../slack-text.ts';
import { gateButton, type SlackMessage } from './request-card.ts';

/**
 * The messages of a region-wide incident in the operations channel: the request card (every
 * plan in recovery order with its pre-flight, the runs already going, each recovery account's
 * load against its DRS budget, M-of-N Approve / Reject), the incident card that follows it (one
 * line per plan), and the final message. Thirty plans and more fit Slack's limits (50 blocks,
 * 3,000 characters a section, about 12,000 in all): plans are compact lines, several to a
 * section, and what does not fit is counted in a "… and N more" line.
 */

export interface IncidentRequestCardInput {
  incident: Incident;
  /** Opaque id of the incident's approval gate; the only thing the buttons carry. */
  gateId: string;
  /** Approvals needed and those given so far. */
  approvals: { required: number; by: readonly string[] };
  /** How many approvers are listed (the N of M-of-N). */
  approvers?: number;
  /** The DRS budget each recovery account's runs share (jobs, servers in active jobs). */
  limits: { jobs: number; servers: number };
  /** Source servers DRS replicates per account and region. */
  replicatingLimit: number;
  /** Once decided: who and when, and no buttons. */
  decision?: {
    outcome: 'approved' | 'rejected' | 'withdrawn' | 'expired' | 'aborted';
    by?: readonly string[];
    at: number;
  };
  /** The names people acted under, by user id (from the journal). */
  names?: Readonly<Record<string, string>>;
}

/** Characters of plan lines a card holds in all, and per section (Slack's limit is 3,000). */
const PLANS_TEXT_MAX = 6500;
const SECTION_MAX = 2900;
const EXISTING_TEXT_MAX = 1500;
const ACCOUNTS_TEXT_MAX = 1500;
const REASON_MAX = 500;
const NAME_MAX = 40;
const NOTE_MAX = 140;

const STATE_MARK: Readonly<Record<IncidentPlanState, string>> = {
  waiting: ':hourglass_flowing_sand:',
  running: ':arrows_counterclockwise:',
  succeeded: '✅',
  failed: '❌',
  aborted: ':octagonal_sign:',
  held: ':raised_hand:',
};

const STATUS_LABEL: Readonly<Record<IncidentStatus, string>> = {
  preparing: ':hourglass_flowing_sand: Preparing',
  'awaiting-approval': ':hourglass_flowing_sand: Awaiting approval',
  running: ':arrows_counterclockwise: Running',
  succeeded: '✅ Succeeded',
  failed: '❌ Failed',
  aborted: ':octagonal_sign: Aborted',
  rejected: '❌ Rejected',
  expired: '⌛ Expired',
};

const HANDLING: Readonly<Record<ExistingRun['handling'], string>> = {
  'continue-as-failover':
    'continues as the failover: its sign-off and failback are cancelled, the incident follows it',
  follow: 'is followed by the incident (it is a failover already)',
  'abort-then-failover': 'is aborted; the failover starts once it has ended',
  'abort-and-hold': 'is aborted, and the plan is held for a person to look at',
};

/** The request card: what fails over, in what order, whether it is ready, and the M-of-N approval. */
export function renderIncidentRequestCard(input: IncidentRequestCardInput): SlackMessage {
  const { incident, decision } = input;
  const servers = incident.plans.reduce((n, p) => n + p.servers, 0);
  const recovery = [...new Set(incident.plans.map((p) => p.recoveryRegion))].sort();
  const notReady = incident.plans.filter((p) => p.readiness && !p.readiness.ok).length;
  const of = input.approvers ? ` of ${input.approvers}` : '';
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: cutPlainText(`Region-wide failover requested: ${incident.region}`, 150),
      },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Lost region*\n${escapeSlackText(incident.region)}` },
        {
          type: 'mrkdwn',
          text: `*Becomes active*\n${recovery.map(escapeSlackText).join(', ') || '—'}`,
        },
        {
          type: 'mrkdwn',
          text: `*Requested by*\n${namePerson(incident.requestedBy, incident.requestedByName)}`,
        },
        {
          type: 'mrkdwn',
          text: `*Approvals needed*\n${input.approvals.required}${of} approvers, not the requester`,
        },
        {
          type: 'mrkdwn',
          text: `*Plans*\n${incident.plans.length} plans, ${servers} servers`,
        },
        { type: 'mrkdwn', text: `*Requested*\n${formatSlackDate(incident.createdAt)}` },
      ],
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Reason*\n${incident.reason ? escapeAndCut(incident.reason, REASON_MAX) : '_none given_'}`,
        verbatim: true,
      },
    },
    ...packLines(
      `*Plans in recovery order* (${incident.plans.length})`,
      incident.plans.map((plan, i) => requestLine(plan, i)),
      (left) =>
        `… and ${left.length} more plans (${left.reduce((n, i) => n + (incident.plans[i]?.servers ?? 0), 0)} servers)`,
    ),
  ];
  const existing = existingText(incident);
  if (existing) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: existing } });
  blocks.push({
    type: 'section',
    text: { type: 'mrkdwn', text: accountsText(incident, input.limits, input.replicatingLimit) },
  });
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `Totals: ${incident.plans.length} plans · ${servers} servers · ${new Set(incident.plans.map((p) => p.account)).size} recovery accounts · ${notReady ? `${notReady} not ready` : 'every plan ready'} · incident \`${escapeSlackText(incident.incidentId)}\``,
      },
    ],
  });
  const by = input.approvals.by.map((id) => namePerson(id, input.names?.[id])).join(', ');
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `Approvals ${input.approvals.by.length}/${input.approvals.required}: ${by || 'none yet'}`,
      },
    ],
  });
  if (decision) blocks.push({ type: 'divider' }, decisionBlock(decision, input.names));
  else blocks.push(actionsBlock(input.gateId, incident, servers));
  const head = `Region-wide failover of ${incident.region}: ${incident.plans.length} plans, ${servers} servers, requested by ${mentionUser(incident.requestedBy)}`;
  return {
    text: decision ? `${head}: ${decision.outcome}` : `${head}: waiting for approval`,
    blocks,
  };
}

/** The incident card: one line per plan, updated on milestones. `now`: the incident's clock. */
export function renderIncidentCard(incident: Incident, now: number): SlackMessage {
  const servers = incident.plans.reduce((n, p) => n + p.servers, 0);
  const recovered = incident.plans.reduce((n, p) => n + (p.progress?.serversRecovered ?? 0), 0);
  const count = (state: IncidentPlanState) => incident.plans.filter((p) => p.state === state);
  const elapsed = short(((incident.endedAt ?? now) - incident.createdAt) / 1000);
  const approvedBy = incident.approvedBy
    .map((id) => namePerson(id, incident.approvedByNames[id]))
    .join(', ');
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: cutPlainText(`Region-wide failover: ${incident.region}`, 150),
      },
    },
    {
      type: 'section',
      fields: [
        {
          type: 'mrkdwn',
          text: `*Status*\n${STATUS_LABEL[incident.status]}${incident.abortRequested && !incidentEnded(incident.status) ? ' (aborting)' : ''}`,
        },
        {
          type: 'mrkdwn',
          text: `*Plans recovered*\n${count('succeeded').length}/${incident.plans.length}`,
        },
        { type: 'mrkdwn', text: `*Servers recovered*\n${recovered}/${servers}` },
        { type: 'mrkdwn', text: `*Elapsed*\n${elapsed}` },
        {
          type: 'mrkdwn',
          text: `*Requested by*\n${namePerson(incident.requestedBy, incident.requestedByName)}`,
        },
        { type: 'mrkdwn', text: `*Approved by*\n${approvedBy || '—'}` },
      ],
    },
    ...packLines(
      '*Plans*',
      incident.plans.map((plan) => planLine(incident, plan, now)),
      (left) => {
        const done = left.filter((i) => incident.plans[i]?.state === 'succeeded').length;
        return `… and ${left.length} more plans: ${done} recovered`;
      },
    ),
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${totalsText(incident)} · incident \`${escapeSlackText(incident.incidentId)}\``,
        },
      ],
    },
  ];
  return {
    text: `Region-wide failover of ${incident.region}: ${incident.status}, ${count('succeeded').length}/${incident.plans.length} plans and ${recovered}/${servers} servers recovered, ${elapsed} elapsed`,
    blocks,
  };
}

/** The incident's end: its outcome, who missed, and where the report is. */
export function renderIncidentFinal(
  incident: Incident,
  reportLinks: Readonly<Record<string, string>>,
): SlackMessage {
  const recovered = incident.plans.filter((p) => p.state === 'succeeded').length;
  const elapsed = short(((incident.endedAt ?? incident.createdAt) - incident.createdAt) / 1000);
  const head = `${STATUS_LABEL[incident.status]}: the region-wide failover of ${escapeSlackText(incident.region)} ended, ${recovered} of ${incident.plans.length} plans recovered in ${elapsed}.`;
  const missed = incident.plans
    .filter((p) => p.state !== 'succeeded')
    .map(
      (p) =>
        `• ${planName(p)}: ${p.state}${p.channel ? ` (<#${escapeSlackText(p.channel)}>)` : ''}${p.note ? ` — ${escapeAndCut(p.note, NOTE_MAX)}` : ''}`,
    );
  const links = Object.entries(reportLinks).map(([kind, where]) =>
    /^https?:\/\//.test(where)
      ? `<${where}|${escapeSlackText(kind)}>`
      : `${escapeSlackText(kind)}: \`${escapeSlackText(where)}\``,
  );
  const text = cutSlackText(
    [
      head,
      ...(missed.length ? ['*Not recovered*', ...missed] : []),
      links.length ? `*Report*: ${links.join(' · ')}` : '',
    ]
      .filter(Boolean)
      .join('\n'),
    SECTION_MAX,
  );
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** `/dr status region`: the incident's summary as one private message. */
export function incidentSummaryText(incident: Incident, now: number): string {
  const head = `*Region-wide failover of ${escapeSlackText(incident.region)}* \`${escapeSlackText(incident.incidentId)}\`: ${STATUS_LABEL[incident.status]}${incident.abortRequested && !incidentEnded(incident.status) ? ' (aborting)' : ''}, requested by ${mentionUser(incident.requestedBy)} ${formatSlackDate(incident.createdAt)}`;
  // The runs' ids, for `/dr status <run>`, `/dr abort <run>` and `/dr report <run>`.
  const lines = incident.plans.map(
    (plan) =>
      `${planLine(incident, plan, now)}${plan.executionId ? ` · run \`${escapeSlackText(plan.executionId)}\`` : ''}`,
  );
  const [section] = packLines(head, lines, (left) => `… and ${left.length} more plans`, 1);
  const body = section?.type === 'section' ? (section.text?.text ?? head) : head;
  return `${body}\n${totalsText(incident)}`;
}

/** One plan on the incident card: state, wave k/n, servers recovered, RTO so far against target. */
function planLine(incident: Incident, plan: IncidentPlan, now: number): string {
  const progress = plan.progress;
  const wave = progress ? ` wave ${progress.wavesDone}/${progress.waveCount}` : ` ${plan.state}`;
  const recovered = progress?.serversRecovered ?? 0;
  // RTO counts from the request: every customer of the lost region is down from then on.
  const rto =
    ((plan.state === 'succeeded' && plan.endedAt ? plan.endedAt : (incident.endedAt ?? now)) -
      incident.createdAt) /
    1000;
  const late = rto > plan.targets.rtoSeconds ? ' ⚠️' : '';
  const note =
    plan.note && plan.state !== 'succeeded' ? ` — _${escapeAndCut(plan.note, NOTE_MAX)}_` : '';
  // Its failures and decisions are in the customer's own channel: the card points there.
  const where =
    plan.channel && (plan.state === 'failed' || plan.state === 'held')
      ? ` (<#${escapeSlackText(plan.channel)}>)`
      : '';
  return `${STATE_MARK[plan.state]} ${planName(plan)}${wave} · ${recovered}/${plan.servers} srv · RTO ${short(rto)}/${short(plan.targets.rtoSeconds)}${late}${where}${note}`;
}

/** One plan on the request card: priority, after, state, pre-flight, expected RPO, servers. */
function requestLine(plan: IncidentPlan, index: number): string {
  const after = plan.waitsFor.length
    ? ` · after ${escapeAndCut(plan.waitsFor.map((w) => (w.wave ? `${w.plan}@${w.wave}` : w.plan)).join(', '), 80)}`
    : '';
  const state = plan.state === 'waiting' ? '' : ` · ${STATE_MARK[plan.state]} ${plan.state}`;
  const shared = plan.kind === 'shared-services' ? ' _shared_' : '';
  const readiness = plan.readiness;
  const rpo =
    readiness?.expectedRpoSeconds === null || readiness === undefined
      ? 'RPO ?'
      : `RPO ~${short(readiness.expectedRpoSeconds)}${readiness.expectedRpoSeconds > plan.targets.rpoSeconds ? ' ⚠️' : ''}`;
  const failing = (readiness?.results ?? [])
    .filter((r) => !r.ok && !r.advisory)
    .map((r) => r.check);
  const ready = !readiness
    ? '❔ readiness unknown'
    : readiness.ok
      ? '✅ ready'
      : `❌ ${escapeAndCut(failing.join(', ') || 'not ready', 100)}`;
  const existing = plan.existing ? ` · ↪️ ${plan.existing.operation} under way` : '';
  return `${index + 1}. ${planName(plan)}${shared} P${plan.priority}${after}${state} · ${plan.servers} srv · ${rpo} · ${ready}${existing}`;
}

function planName(plan: IncidentPlan): string {
  return `*${escapeAndCut(plan.name, NAME_MAX)}* (\`${escapeSlackText(plan.customerId)}\`)`;
}

/** The runs already going for the region's customers, and what the incident does with each. */
function existingText(incident: Incident): string | undefined {
  const going = incident.plans.filter((p) => p.existing);
  if (going.length === 0) return undefined;
  const lines = going.map((p) => {
    const run = p.existing as ExistingRun;
    return `• ${planName(p)}: ${run.operation} \`${escapeSlackText(run.executionId)}\`${run.failedOver ? ' (already failed over)' : ''} ${HANDLING[run.handling]}`;
  });
  return fitLines(
    `*Runs already going* (${going.length})`,
    lines,
    EXISTING_TEXT_MAX,
    (n) => `… and ${n} more runs`,
  );
}

/** Each recovery account's share against the DRS budget its runs share. */
function accountsText(
  incident: Incident,
  limits: { jobs: number; servers: number },
  replicatingLimit: number,
): string {
  const loads = accountLoads(incident.plans, limits, replicatingLimit);
  const lines = loads.map((load) => {
    const over = load.servers > load.replicatingLimit ? ' ⚠️ over' : '';
    return `• \`${escapeSlackText(load.account)}\` in ${escapeSlackText(load.region)}: ${load.plans} plan${load.plans === 1 ? '' : 's'}, ${load.servers} servers (largest wave ${load.largestWave}) against ${load.limits.jobs} jobs and ${load.limits.servers} servers in jobs at once: ${load.rounds} round${load.rounds === 1 ? '' : 's'} at least; replicating ${load.servers}/${load.replicatingLimit}${over}`;
  });
  return fitLines(
    `*DRS quota per recovery account* (${loads.length})`,
    lines,
    ACCOUNTS_TEXT_MAX,
    (n) => `… and ${n} more accounts`,
  );
}

function totalsText(incident: Incident): string {
  const by = (state: IncidentPlanState) => incident.plans.filter((p) => p.state === state).length;
  const parts = (['succeeded', 'running', 'waiting', 'failed', 'held', 'aborted'] as const)
    .filter((s) => by(s) > 0)
    .map((s) => `${by(s)} ${s}`);
  return `${incident.plans.length} plans: ${parts.join(', ') || 'none'}`;
}

/**
 * Lines packed into sections of at most SECTION_MAX characters, PLANS_TEXT_MAX in all (at most
 * `maxSections`), the first under `title`; the lines left out are counted by `more`.
 */
function packLines(
  title: string,
  lines: readonly string[],
  more: (left: number[]) => string,
  maxSections = Math.ceil(PLANS_TEXT_MAX / SECTION_MAX),
): KnownBlock[] {
  const sections: string[][] = [[title]];
  const size = (parts: readonly string[]) => parts.reduce((n, l) => n + l.length + 1, 0);
  const reserve = 80; // room for the "… and N more" line
  let total = title.length;
  let shown = 0;
  for (const line of lines) {
    const cut = cutSlackText(line, SECTION_MAX - reserve - title.length - 1);
    const current = sections.at(-1) as string[];
    if (total + cut.length + reserve > PLANS_TEXT_MAX) break;
    if (size(current) + cut.length + reserve > SECTION_MAX) {
      if (sections.length >= maxSections) break;
      sections.push([cut]);
    } else current.push(cut);
    total += cut.length + 1;
    shown += 1;
  }
  if (shown < lines.length)
    (sections.at(-1) as string[]).push(
      more(Array.from({ length: lines.length - shown }, (_, i) => shown + i)),
    );
  return sections.map((parts) => ({
    type: 'section',
    text: { type: 'mrkdwn', text: parts.join('\n') },
  }));
}

/** Lines under a title within `max` characters, the rest counted. */
function fitLines(
  title: string,
  lines: readonly string[],
  max: number,
  more: (left: number) => string,
): string {
  const kept: string[] = [title];
  let size = title.length;
  for (const [i, line] of lines.entries()) {
    const cut = cutSlackText(line, max - 100);
    if (size + cut.length + 1 + 60 > max) {
      kept.push(more(lines.length - i));
      break;
    }
    kept.push(cut);
    size += cut.length + 1;
  }
  return kept.join('\n');
}

function actionsBlock(gateId: string, incident: Incident, servers: number): KnownBlock {
  const region = escapeSlackText(incident.region);
  const approve = gateButton(gateId, 'approve', {
    title: 'Approve the region-wide failover?',
    text: `Every plan of ${region} (${incident.plans.length} plans, ${servers} servers) fails over to its recovery region. This changes production.`,
    danger: true,
  });
  const reject = gateButton(gateId, 'reject', {
    title: 'Reject this request?',
    text: `No plan of ${region} fails over.`,
  });
  return { type: 'actions', block_id: 'gate_actions', elements: [approve, reject] };
}

function decisionBlock(
  decision: NonNullable<IncidentRequestCardInput['decision']>,
  names: Readonly<Record<string, string>> = {},
): KnownBlock {
  const when = formatSlackDate(decision.at);
  const by = decision.by?.length
    ? ` by ${decision.by.map((id) => namePerson(id, names[id])).join(', ')}`
    : '';
  const text = {
    approved: `✅ Approved${by} ${when}: the incident card follows`,
    rejected: `❌ Rejected${by} ${when}`,
    withdrawn: `↩️ Withdrawn${by} ${when}`,
    aborted: `:octagonal_sign: Aborted${by} ${when}`,
    expired: `⌛ Expired ${when} without enough approvals`,
  }[decision.outcome];
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}

/** A duration as a card shows it: seconds under a minute, whole minutes beyond. */
function short(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))}s`;
  return formatDuration(Math.floor(seconds / 60) * 60);
}
