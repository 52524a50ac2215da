import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../orchestrator/domain/duration.ts';
import type { ExecutionStatus } from '../../orchestrator/domain/execution.ts';
import type { Operation, Plan } from '../../orchestrator/domain/plan.ts';
import { CUSTOMER_NAME_SHOWN_MAX } from '../../orchestrator/domain/plan-text-fit.ts';
import type { Phase } from '../../orchestrator/domain/runbook.ts';
import { redactForSlack } from '../sanitize.ts';
import { cutPlainText, escapeAndCut, escapeSlackText, mentionUser } from '../slack-text.ts';
import { operationTitle } from './labels.ts';
import type { SlackMessage } from './request-card.ts';

/** Progress of one wave: servers recovered and healthy out of the wave's servers. */
export interface WaveProgress {
  name: string;
  recovered: number;
  total: number;
  failed?: number;
}

export interface StatusCardInput {
  executionId: string;
  customer: Plan['customer'];
  operation: Operation;
  status: ExecutionStatus;
  phase: Phase;
  /** The step running now (or the last one, once the run ended). */
  currentStep?: { title: string; index: number; count: number };
  waves: readonly WaveProgress[];
  startedAt: number;
  endedAt?: number;
  /** The notifier's clock (epoch ms); the card is pure. */
  now: number;
  requestedBy: string;
  /** One or two sentences from the journal; shown verbatim, without links. */
  summary?: string;
}

const STATUS_LABEL: Readonly<Record<ExecutionStatus, string>> = {
  running: ':arrows_counterclockwise: Running',
  paused: ':double_vertical_bar: Paused',
  succeeded: '✅ Succeeded',
  failed: '❌ Failed',
  aborted: ':octagonal_sign: Aborted',
};

const PHASE_LABEL: Readonly<Record<Phase, string>> = {
  prepare: 'Prepare',
  failover: 'Failover',
  validate: 'Validate',
  'sign-off': 'Customer sign-off',
  failback: 'Failback',
  cleanup: 'Cleanup',
  report: 'Report',
};

/** Waves listed one per line up to this many; beyond it they are summarised. */
const WAVES_LISTED = 12;
const BAR_WIDTH = 10;

/**
 * The one message per run that the notifier keeps updating. Its size does not grow with the
 * number of servers (the detail goes to the thread), so it stays far below Slack's 50 blocks.
 */
export function renderStatusCard(input: StatusCardInput): SlackMessage {
  const name = escapeAndCut(input.customer.name, CUSTOMER_NAME_SHOWN_MAX);
  const id = escapeSlackText(input.customer.id);
  const elapsed = formatDuration(((input.endedAt ?? input.now) - input.startedAt) / 1000);
  const recovered = input.waves.reduce((n, w) => n + w.recovered, 0);
  const total = input.waves.reduce((n, w) => n + w.total, 0);
  const step = input.currentStep
    ? `${input.currentStep.index + 1}/${input.currentStep.count} ${escapeAndCut(input.currentStep.title, 300)}`
    : '—';

  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        // plain_text: the customer's name as it is, not escaped.
        text: cutPlainText(`${operationTitle(input.operation)}: ${input.customer.name}`, 150),
      },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Status*\n${STATUS_LABEL[input.status]}` },
        { type: 'mrkdwn', text: `*Phase*\n${PHASE_LABEL[input.phase]}` },
        { type: 'mrkdwn', text: `*Customer*\n${name} (\`${id}\`)` },
        { type: 'mrkdwn', text: `*Elapsed*\n${elapsed}` },
        { type: 'mrkdwn', text: `*Servers recovered*\n${recovered}/${total}` },
        { type: 'mrkdwn', text: `*Requested by*\n${mentionUser(input.requestedBy)}` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: `*Current step*\n${step}` } },
  ];
  if (input.waves.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: wavesText(input.waves) } });
  }
  if (input.summary) {
    blocks.push({
      type: 'section',
      // verbatim: Slack turns no URL, channel or user name in the summary into a link.
      text: {
        type: 'mrkdwn',
        text: escapeAndCut(redactForSlack(input.summary), 2000),
        verbatim: true,
      },
    });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Run \`${escapeSlackText(input.executionId)}\`` }],
  });

  const text = `${operationTitle(input.operation)} of ${name} (${id}): ${input.status}, ${PHASE_LABEL[input.phase].toLowerCase()}, ${recovered}/${total} servers recovered, ${elapsed} elapsed`;
  return { text, blocks };
}

function wavesText(waves: readonly WaveProgress[]): string {
  const line = (w: WaveProgress, i: number) => {
    const mark = w.failed ? '❌' : w.total > 0 && w.recovered >= w.total ? '✅' : '▫️';
    const failed = w.failed ? `, ${w.failed} failed` : '';
    return `${mark} ${i + 1}. ${escapeAndCut(w.name, 60)} ${bar(w.recovered, w.total)} ${w.recovered}/${w.total}${failed}`;
  };
  const lines = waves.slice(0, WAVES_LISTED).map(line);
  const rest = waves.slice(WAVES_LISTED);
  if (rest.length > 0) {
    const done = rest.filter((w) => w.total > 0 && w.recovered >= w.total).length;
    const servers = rest.reduce((n, w) => n + w.recovered, 0);
    const of = rest.reduce((n, w) => n + w.total, 0);
    lines.push(`…and ${rest.length} more waves: ${done} done, ${servers}/${of} servers`);
  }
  const complete = waves.filter((w) => w.total > 0 && w.recovered >= w.total).length;
  return `*Waves* (${complete}/${waves.length} complete)\n${lines.join('\n')}`;
}

function bar(done: number, total: number): string {
  const filled =
    total === 0 ? BAR_WIDTH : Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH));
  return `\`${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}\``;
}
