import {
  describeOutcome,
  formatReportTime,
  type GateSummary,
  isSuccessful,
  type Report,
} from '../domain/report.ts';
import {
  describeDirection,
  describeGateAnswers,
  describeInstanceType,
  describeNames,
  describeRun,
  GATE_COLUMNS,
} from './describe-report.ts';

/**
 * The report as Markdown, for the Slack thread, the ticket and the compliance archive: a summary
 * of RTO and RPO against the targets, who approved and signed off, the waves server by server,
 * the timeline and the notes. Every piece of text from the run is escaped.
 */
export function renderMarkdown(report: Report): string {
  const lines: string[] = [
    `# DR report: ${md(report.customerName)}, ${report.operation}`,
    '',
    `**${met(isSuccessful(report.outcome))} ${md(describeOutcome(report.outcome))}**${report.outcomeReason ? `: ${md(report.outcomeReason)}` : ''}`,
    '',
    ...table(
      ['Run', ''],
      describeRun(report).map(([label, text]) => [label, md(text)]),
    ),
    '',
    '## Summary',
    '',
    ...table(['Measure', 'Measured', 'Target', 'Met'], summaryRows(report)),
  ];
  if (report.rpo.missing.length > 0) {
    lines.push('', `Critical servers not recovered: ${report.rpo.missing.map(md).join(', ')}.`);
  }
  if (report.rpo.unmeasured.length > 0) {
    lines.push(
      '',
      `RPO not measured (no snapshot time): ${report.rpo.unmeasured.map(md).join(', ')}.`,
    );
  }
  lines.push('', '## Approvals and sign-off', '');
  lines.push(...gateTable([...report.approvals, ...report.signOffs], describeNames(report)));
  if (report.decisions.length > 0) {
    lines.push(
      '',
      '## Decisions during the run',
      '',
      ...gateTable(report.decisions, describeNames(report)),
    );
  }
  lines.push('', '## Waves');
  report.waves.forEach((wave, i) => {
    lines.push(
      '',
      `### ${i + 1}. ${md(wave.name)}, ${describeDirection(report, wave.direction)}: ${wave.status}${wave.durationText ? ` in ${wave.durationText}` : ''}`,
      '',
      `Started ${formatReportTime(wave.startedAt)}, ended ${formatReportTime(wave.endedAt)}.`,
      '',
      ...table(
        ['Server', 'Critical', 'Status', 'Launched', 'Healthy', 'Data from', 'RPO'],
        wave.servers.map((s) => [
          s.instanceType ? `${md(s.name)} (${md(describeInstanceType(s))})` : md(s.name),
          s.critical ? 'yes' : 'no',
          `${s.status}${s.reason ? `: ${md(s.reason)}` : ''}`,
          formatReportTime(s.launchedAt),
          formatReportTime(s.healthyAt),
          `${formatReportTime(s.dataAt)}${s.usedPreviousSnapshot ? ' (previous snapshot)' : ''}`,
          s.rpoText ?? '-',
        ]),
      ),
    );
  });
  lines.push(
    '',
    '## Timeline',
    '',
    ...table(
      ['#', 'Step', 'Phase', 'Status', 'Started', 'Ended', 'Duration'],
      report.timeline.steps.map((s, i) => [
        String(i + 1),
        md(s.title),
        s.phase,
        `${s.status}${s.bestEffort ? ' (best effort)' : ''}`,
        formatReportTime(s.startedAt),
        formatReportTime(s.endedAt),
        s.durationText ?? '-',
      ]),
    ),
  );
  if (report.timeline.markers.length > 0) {
    lines.push(
      '',
      ...report.timeline.markers.map((m) => `- ${md(m.label)}: ${formatReportTime(m.at)}`),
    );
  }
  lines.push('', '## Notes', '');
  lines.push(...(report.notes.length > 0 ? report.notes.map((n) => `- ${md(n)}`) : ['None.']));
  return `${lines.join('\n')}\n`;
}

/** Escapes what Markdown would read as markup, and keeps a table cell on one line. */
export function escapeMarkdown(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/[\\`*_[\]<>|~#&]/g, (c) => `\\${c}`);
}
const md = escapeMarkdown;

function met(ok: boolean): string {
  return ok ? '✅' : '❌';
}

function summaryRows(report: Report): string[][] {
  const { rto, rpo } = report;
  const active =
    report.direction === 'to-primary' ? report.regions.primary : report.regions.recovery;
  const rows = [
    [
      `RTO (disruption to ${rto.measuredTo === 'servers-healthy' ? 'last server healthy' : 'validated'} in ${active})`,
      rto.text ?? 'not reached',
      rto.targetText,
      met(rto.met),
    ],
  ];
  if (rto.withSignOffText) {
    rows.push([
      'RTO including customer sign-off (for information)',
      rto.withSignOffText,
      rto.targetText,
      '-',
    ]);
  }
  rows.push([
    `RPO (worst critical server${rpo.worstServer ? `: ${md(rpo.worstServer)}` : ''})`,
    rpo.text ?? 'not measured',
    rpo.targetText,
    met(rpo.met),
  ]);
  return rows;
}

function gateTable(gates: GateSummary[], names: Record<string, string>): string[] {
  const rows = describeGateAnswers(gates, names).map((row) => row.map(md));
  return rows.length > 0 ? table(GATE_COLUMNS, rows) : ['None recorded.'];
}

function table(headers: string[], rows: string[][]): string[] {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}
