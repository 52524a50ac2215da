import { formatDuration } from '../domain/duration.ts';
import type { AccountUse, IncidentReport, IncidentReportPlan } from '../domain/incident-report.ts';
import { describeOutcome, formatReportTime } from '../domain/report.ts';
import { describePerson } from './describe-report.ts';

/** The incident report's facts as plain text, for the renderers (which escape them). */

/** The title of an incident's report. */
export function describeIncidentTitle(report: IncidentReport): string {
  return `Region-wide failover of ${report.region}`;
}

/** The incident's facts as label and plain text. */
export function describeIncident(report: IncidentReport): [string, string][] {
  const { makespan } = report;
  return [
    ['Incident', report.incidentId],
    ['Region lost', report.region],
    ['Requested by', describePerson(report.requestedBy.user, report.requestedBy.name)],
    ...(report.reason ? [['Reason', report.reason] as [string, string]] : []),
    [
      'Approved by',
      report.approvedBy.length > 0
        ? report.approvedBy
            .map(
              (a) =>
                `${describePerson(a.user, a.name)}${a.at ? ` at ${formatReportTime(a.at)}` : ''}`,
            )
            .join(', ')
        : 'nobody',
    ],
    ...(report.abortedBy
      ? [
          ['Aborted by', describePerson(report.abortedBy.user, report.abortedBy.name)] as [
            string,
            string,
          ],
        ]
      : []),
    ['Requested', formatReportTime(report.createdAt)],
    ['Approved', formatReportTime(report.approvedAt)],
    ['Ended', formatReportTime(report.endedAt)],
    [
      'Makespan',
      makespan.text
        ? `${makespan.text} (approval to the end of ${makespan.lastPlan ?? 'the last plan'})`
        : 'not measured',
    ],
    [
      'Lower bound',
      makespan.lowerBound
        ? `${makespan.lowerBound.text} (${makespan.lowerBound.source}); makespan ${makespan.ratio ?? '-'} times it`
        : 'not computed here',
    ],
    ['Report generated', formatReportTime(report.generatedAt)],
  ];
}

/** The plans it waited for: `alpha (wave database), bravo`. */
export function describeAfter(plan: IncidentReportPlan): string {
  return plan.order.after.length > 0
    ? plan.order.after.map((a) => (a.wave ? `${a.plan} (wave ${a.wave})` : a.plan)).join(', ')
    : '-';
}

/** The plan's state, and its run's outcome where they differ in words. */
export function describePlanOutcome(plan: IncidentReportPlan): string {
  const run = plan.outcome ? describeOutcome(plan.outcome) : null;
  const base = run && run !== plan.state ? `${plan.state} (run ${run})` : plan.state;
  return plan.convertedFromDrill ? `${base}, a drill continued as a failover` : base;
}

/** A measure against its target: `31m30s (target 4h)`; `not run` when no run measured it. */
export function describeMeasure(
  measure: { text: string | null; targetText: string; met: boolean | null },
  missing: string,
): string {
  const text = measure.text ?? (measure.met === null ? 'not run' : missing);
  return `${text} (target ${measure.targetText})`;
}

export const PLAN_COLUMNS = [
  '#',
  'Plan',
  'Priority',
  'After',
  'Account',
  'Started',
  'Ended',
  'Outcome',
  'RTO',
  'RPO',
];

export const ACCOUNT_COLUMNS = [
  'Account',
  'Region',
  'Plans',
  'Servers',
  'Budget (jobs / servers)',
  'Peak (jobs / servers)',
  'Jobs started',
  'Waited for room',
];

/** One account's figures, as ACCOUNT_COLUMNS. */
export function describeAccount(account: AccountUse): string[] {
  return [
    account.account,
    account.region,
    account.plans.join(', '),
    String(account.servers),
    `${account.limits.jobs} / ${account.limits.servers}`,
    `${account.peak.jobs} / ${account.peak.servers}${account.withinBudget ? '' : ' (over budget)'}`,
    String(account.jobsStarted),
    formatDuration(account.waitedSeconds),
  ];
}

export const SUBSTITUTION_COLUMNS = ['Plan', 'Server', 'Wave', 'Planned type', 'Ran on', 'Cause'];

/** Every capacity substitution, as SUBSTITUTION_COLUMNS. */
export function describeSubstitutions(report: IncidentReport): string[][] {
  return report.plans.flatMap((p) =>
    p.substitutions.map((s) => [p.name, s.server, s.wave, s.from, s.to, s.reason]),
  );
}
