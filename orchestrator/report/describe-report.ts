import type { Direction } from '../domain/journal.ts';
import { formatReportTime, type GateSummary, type Report } from '../domain/report.ts';

/** The report's facts and gate answers as plain text, for the renderers (which escape them). */

/** The instance type a server ran on, and the planned one EC2 had no capacity of: `r6i.8xlarge instead of r6i.4xlarge`. */
export function describeInstanceType(server: {
  instanceType?: string | undefined;
  substitutedFrom?: string | undefined;
}): string {
  if (!server.instanceType) return '';
  return server.substitutedFrom
    ? `${server.instanceType} instead of ${server.substitutedFrom}`
    : server.instanceType;
}

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

/** The names the report knows people by (the requester's, every answer's), by user id. */
export function describeNames(
  report: Pick<Report, 'requestedBy' | 'requestedByName'> & {
    approvals: GateSummary[];
    signOffs: GateSummary[];
    decisions: GateSummary[];
  },
): Record<string, string> {
  const names: Record<string, string> = {};
  for (const g of [...report.approvals, ...report.signOffs, ...report.decisions])
    for (const a of g.answers) if (a.name) names[a.user] = a.name;
  if (report.requestedByName) names[report.requestedBy] = report.requestedByName;
  return names;
}

/**
 * One row of GATE_COLUMNS per answer, or per gate nobody answered, as plain text. A gate closed
 * by an abort of the run is answered by whoever aborted: a row of theirs, `aborted`, at the close.
 */
export function describeGateAnswers(
  gates: GateSummary[],
  names: Readonly<Record<string, string>> = {},
): string[][] {
  return gates.flatMap((g) => {
    const rows = g.answers.map((a) => [
      g.title ?? g.kind,
      g.kind,
      describePerson(a.user, a.name),
      a.decision,
      formatReportTime(a.at),
      a.note ?? '',
    ]);
    // An abort answered with a button is an answer already; one from /dr abort closes the gate.
    const aborters =
      g.decision === 'abort' && g.closedAt
        ? g.users.filter((u) => !g.answers.some((a) => a.user === u && a.decision === 'abort'))
        : [];
    for (const user of aborters)
      rows.push([
        g.title ?? g.kind,
        g.kind,
        describePerson(user, names[user] ?? null),
        'aborted',
        formatReportTime(g.closedAt),
        '',
      ]);
    return rows.length > 0
      ? rows
      : [[g.title ?? g.kind, g.kind, '-', g.decision ?? 'open', '-', '']];
  });
}
