import type { Button, KnownBlock, View } from '@slack/types';
import type { GateDecision, GateKind } from '../../orchestrator/domain/execution.ts';
import {
  CUSTOMER_NAME_SHOWN_MAX,
  PROMPT_TEXT_SHOWN_MAX,
} from '../../orchestrator/domain/plan-text-fit.ts';
import type { Report } from '../../orchestrator/domain/report.ts';
import {
  describeAgainstTarget,
  describeOutcome,
  isSuccessful,
} from '../../orchestrator/domain/report.ts';
import { formatFailure, redactForSlack } from '../sanitize.ts';
import {
  cutSlackText,
  escapeAndCut,
  escapeSlackText,
  formatSlackDate,
  mentionUser,
  splitSlackText,
} from '../slack-text.ts';
import { operationTitle } from './labels.ts';
import type { SlackMessage } from './request-card.ts';

/** Buttons that answer a gate: `gate_<decision>`, the value the gate id (never a task token). */
export const GATE_ACTION = /^gate_(approve|reject|retry|continue|abort|resume|done)$/;
export const SIGN_OFF_OPEN_ACTION = 'sign_off_open';
export const SIGN_OFF_VIEW = 'sign_off';

export interface GatePromptInput {
  gateId: string;
  kind: Exclude<GateKind, 'approval'>;
  prompt: string;
  /** Who may answer: user ids and user groups, mentioned so they are notified. */
  principals: readonly string[];
  failedServers?: readonly string[];
  decided?: { decision: string; users: readonly string[]; at: number } | { expiredAt: number };
}

const BUTTONS: Readonly<Record<GatePromptInput['kind'], readonly GateDecision[]>> = {
  'sign-off': [],
  decision: ['retry', 'continue', 'abort'],
  manual: ['done', 'abort'],
  pause: ['resume', 'abort'],
};

/** The button that answers a gate with this decision. */
export function gateAction(decision: GateDecision): string {
  return `gate_${decision}`;
}

export const SIGN_OFF_LABEL = 'Record sign-off';

export const DECISION_LABELS: Readonly<Record<GateDecision, string>> = {
  approve: 'Approve',
  reject: 'Reject',
  retry: 'Retry the failed',
  continue: 'Continue without them',
  abort: 'Abort the run',
  resume: 'Resume',
  done: 'Done',
};

/**
 * Slack's section text is at most 3,000 characters (Block Kit reference, section block); parts
 * stay below it so a line of mentions fits after the last one.
 */
const SECTION_PART_MAX = 2900;
const SECTION_MAX = 3000;
/** A failed step's error and its servers share one section: 1,200 characters each, escaped. */
const ERROR_SHOWN_MAX = 1200;
const SERVERS_SHOWN_MAX = 1200;
/** The principals' mentions: a few user groups and people, never the whole section. */
const WHO_MAX = 500;
/** The notification text: Slack allows 40,000 characters, a notification shows far fewer. */
const FALLBACK_MAX = 3000;
const CONTINUED_NOTE =
  "\n_(continued in the customer's plan: these instructions are longer than Slack shows)_";

/** A question to people in the run's thread: the customer's sign-off, a failed step, a pause. */
export function renderGatePrompt(input: GatePromptInput): SlackMessage {
  const who = cutSlackText(input.principals.map(mentionPrincipal).join(' '), WHO_MAX);
  const head = promptHead(input);
  // Every text is escaped, then cut: markup-heavy text grows up to five times when escaped.
  const parts = splitSlackText(
    cutSlackText(head, PROMPT_TEXT_SHOWN_MAX, CONTINUED_NOTE),
    SECTION_PART_MAX,
  );
  const last = parts.length - 1;
  if (`${parts[last]}\n${who}`.length <= SECTION_MAX) parts[last] = `${parts[last]}\n${who}`;
  else parts.push(who);
  const blocks: KnownBlock[] = parts.map((text) => ({
    type: 'section',
    text: { type: 'mrkdwn', text },
  }));
  const { decided } = input;
  if (decided) {
    const text =
      'expiredAt' in decided
        ? `⌛ Expired ${formatSlackDate(decided.expiredAt)} without an answer`
        : `${decided.decision === 'approve' ? '✅ Signed off' : `Answered *${escapeAndCut(decided.decision, 75)}*`} by ${cutSlackText(decided.users.map(mentionUser).join(', '), 2000)} ${formatSlackDate(decided.at)}`;
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text }] });
  } else {
    blocks.push({ type: 'actions', block_id: 'gate_prompt', elements: buttons(input) });
  }
  return { text: cutSlackText(head.replace(/\*/g, ''), FALLBACK_MAX), blocks };
}

/** The prompt's text, escaped; a failed step's error and servers already cut to fit one section. */
function promptHead(input: GatePromptInput): string {
  if (input.kind === 'sign-off')
    return `:clipboard: *Customer sign-off needed.* ${escapeSlackText(input.prompt)}`;
  if (input.kind !== 'decision') return `:pause_button: ${escapeSlackText(input.prompt)}`;
  // The step's error often names its servers already; then the list would only say it twice.
  const servers = input.failedServers ?? [];
  const failed =
    servers.length && !servers.every((s) => input.prompt.includes(s))
      ? `\n*Failed:* ${escapeAndCut(servers.join(', '), SERVERS_SHOWN_MAX)}`
      : '';
  // The step's error as a code and a sanitized text; the full text is in the run's journal.
  return `:warning: *A step failed.* ${escapeAndCut(formatFailure(input.prompt), ERROR_SHOWN_MAX)}${failed}`;
}

function buttons(input: GatePromptInput): Button[] {
  if (input.kind === 'sign-off')
    return [
      {
        type: 'button',
        action_id: SIGN_OFF_OPEN_ACTION,
        text: { type: 'plain_text', text: SIGN_OFF_LABEL },
        style: 'primary',
        value: input.gateId,
      },
    ];
  return BUTTONS[input.kind].map((decision): Button => {
    const button: Button = {
      type: 'button',
      action_id: gateAction(decision),
      text: { type: 'plain_text', text: DECISION_LABELS[decision] },
      value: input.gateId,
    };
    if (decision === 'abort')
      return {
        ...button,
        style: 'danger',
        confirm: {
          title: { type: 'plain_text', text: 'Abort the run?' },
          text: {
            type: 'mrkdwn',
            text: 'The run stops at the next step boundary and writes its report. Servers stay where they are.',
          },
          confirm: { type: 'plain_text', text: 'Abort' },
          deny: { type: 'plain_text', text: 'Cancel' },
          style: 'danger',
        },
      };
    return decision === 'retry' || decision === 'resume' || decision === 'done'
      ? { ...button, style: 'primary' }
      : button;
  });
}

function mentionPrincipal(principal: string): string {
  return /^S[A-Z0-9]+$/.test(principal) ? `<!subteam^${principal}>` : mentionUser(principal);
}

/** The modal the customer's contact fills in: who signed off, and notes, then sign off or not. */
export function renderSignOffModal(input: {
  gateId: string;
  customerName: string;
  operation: Report['operation'];
}): View {
  return {
    type: 'modal',
    callback_id: SIGN_OFF_VIEW,
    private_metadata: input.gateId,
    title: { type: 'plain_text', text: 'Customer sign-off' },
    submit: { type: 'plain_text', text: 'Record' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Record the customer's answer for the ${operationTitle(input.operation).toLowerCase()} of *${escapeAndCut(input.customerName, 1000)}*. Signing off starts the failback.`,
        },
      },
      {
        type: 'input',
        block_id: 'contact',
        label: { type: 'plain_text', text: 'Customer contact who signed off' },
        element: {
          type: 'plain_text_input',
          action_id: 'value',
          max_length: 200,
          placeholder: { type: 'plain_text', text: 'Name, role' },
        },
      },
      {
        type: 'input',
        block_id: 'notes',
        optional: true,
        label: { type: 'plain_text', text: 'Notes' },
        element: {
          type: 'plain_text_input',
          action_id: 'value',
          multiline: true,
          max_length: 2000,
        },
      },
      {
        type: 'input',
        block_id: 'decision',
        label: { type: 'plain_text', text: 'Answer' },
        element: {
          type: 'radio_buttons',
          action_id: 'value',
          initial_option: {
            text: { type: 'plain_text', text: 'Signed off: the environment works' },
            value: 'approve',
          },
          options: [
            {
              text: { type: 'plain_text', text: 'Signed off: the environment works' },
              value: 'approve',
            },
            {
              text: { type: 'plain_text', text: 'Not signed off: abort the run' },
              value: 'reject',
            },
          ],
        },
      },
    ],
  };
}

/** The run's last message, broadcast to the channel: outcome, RTO and RPO against targets, the report. */
export function renderFinalReport(
  report: Report,
  links: Readonly<Record<string, string>>,
): SlackMessage {
  const ok = isSuccessful(report.outcome);
  const title = `${operationTitle(report.operation)} of ${escapeAndCut(report.customerName, CUSTOMER_NAME_SHOWN_MAX)} ${describeOutcome(report.outcome)}`;
  const mark = (met: boolean) => (met ? '✅ met' : '❌ missed');
  const rto = `*RTO* ${describeAgainstTarget(report, 'rto', mark)}`;
  const rpo = `*RPO* ${describeAgainstTarget(report, 'rpo', mark)}`;
  const files = Object.entries(links)
    .filter(([kind]) => kind === 'html' || kind === 'md' || kind === 'markdown' || kind === 'json')
    .map(([kind, where]) =>
      /^https:\/\//.test(where)
        ? `<${where}|${kind.toUpperCase()} report>`
        : `${kind.toUpperCase()}: \`${escapeSlackText(where)}\``,
    );
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `${ok ? ':tada:' : ':rotating_light:'} *${title}*\n${rto}\n${rpo}`,
      },
    },
  ];
  if (report.outcomeReason)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: escapeAndCut(
          ok ? redactForSlack(report.outcomeReason) : formatFailure(report.outcomeReason),
          1500,
        ),
        verbatim: true,
      },
    });
  if (files.length)
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: cutSlackText(files.join(' · '), 2000) }],
    });
  return {
    text: `${title}: RTO ${report.rto.text ?? '-'} (target ${report.rto.targetText}), RPO ${report.rpo.text ?? '-'} (target ${report.rpo.targetText})`,
    blocks,
  };
}
