import type { Direction } from '../domain/journal.ts';
import { formatReportTime, type GateSummary, type Report } from '../domain/report.ts';

/** The report's facts and gate answers as plain text, for the renderers (which escape them). */

/** Where a direction moves the workload: `us-east-1 to us-east-2`. */
export function describeDirection(report: Pick<Report, 'regions'>, direction: Direction): string {
  const { primary, recovery } = report.regions;
  return direction === 'to-primary' ? `${recovery} to ${primary}` : `${primary} to ${recovery}`;
}

/** A person as the evidence names them: `bob (U02BOB)`, or the id alone when no name is known. */
export function describePerson(id: string, name: string | null): string {
  return name && name !== id ? `${name} (${id})` : id;
}

/** The facts of a run as label and plain text, for the renderers (which escape them). */
export function describeRun(report: Report): [string, string][] {
  const { disruption } = report;
  return [
    ['Customer', `${report.customerName} (${report.customerId})`],
    ['Operation', `${report.operation}, ${describeDirection(report, report.direction)}`],
    ['Execution', report.executionId],
    ['Requested by', describePerson(report.requestedBy, report.requestedByName)],
    ...(report.reason ? [['Reason', report.reason] as [string, string]] : []),
    ['Started', formatReportTime(report.startedAt)],
    ['Ended', formatReportTime(report.endedAt)],
    [
      'Disruption',
      disruption ? `${formatReportTime(disruption.at)} (${disruption.source})` : 'none',
    ],
    ['Report generated', formatReportTime(report.generatedAt)],
  ];
}

export const GATE_COLUMNS = ['Step', 'Gate', 'Who', 'Decision', 'When', 'Note'];

/** One row of GATE_COLUMNS per answer, or per gate nobody answered, as plain text. */
export function describeGateAnswers(gates: GateSummary[]): string[][] {
  return gates.flatMap((g) =>
    g.answers.length > 0
      ? g.answers.map((a) => [
          g.title ?? g.kind,
          g.kind,
          describePerson(a.user, a.name),
          a.decision,
          formatReportTime(a.at),
          a.note ?? '',
        ])
      : [[g.title ?? g.kind, g.kind, '-', g.decision ?? 'open', '-', '']],
  );
}
