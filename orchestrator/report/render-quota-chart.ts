import { formatDuration } from '../domain/duration.ts';
import type { AccountUse } from '../domain/incident-report.ts';
import { formatReportTime } from '../domain/report.ts';
import { escapeHtml as esc, gridStep } from './render-html.ts';

/** The span every account's chart is drawn on, so that charts of one incident line up (ms). */
export interface ChartSpan {
  from: number;
  to: number;
}

/** The span of every account's series. */
export function spanOf(accounts: readonly AccountUse[]): ChartSpan {
  const times = accounts.flatMap((a) => a.series.map((p) => Date.parse(p.at)));
  const from = Math.min(...times);
  const to = Math.max(...times);
  return times.length === 0 ? { from: 0, to: 1000 } : { from, to: Math.max(to, from + 1000) };
}

export const CHART = {
  width: 1100,
  left: 56,
  right: 20,
  /** The servers panel, then the jobs panel under it. */
  servers: { top: 24, height: 160 },
  jobs: { top: 220, height: 70 },
  axis: 22,
};

/**
 * One account's DRS budget use as an inline SVG: servers in active jobs as a step line (and the
 * servers waiting for room as a lighter one) against the servers budget, dashed; under it, the
 * concurrent jobs against the jobs budget, dashed. Each step line is one `<polyline>` whose
 * points follow the series: for each point, a horizontal move to its time, then a vertical one
 * to its value.
 */
export function renderQuotaChartSvg(
  account: AccountUse,
  span: ChartSpan = spanOf([account]),
  markers: readonly { at: number; label: string }[] = [],
): string {
  const height = CHART.jobs.top + CHART.jobs.height + CHART.axis;
  const plot = CHART.width - CHART.left - CHART.right;
  const x = (t: number) => round(CHART.left + ((t - span.from) / (span.to - span.from)) * plot);
  const label = `DRS use of account ${account.account} in ${account.region}: at most ${account.peak.servers} servers in ${account.peak.jobs} jobs, against a budget of ${account.limits.servers} servers and ${account.limits.jobs} jobs`;
  const out: string[] = [
    `<svg class="quota" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${CHART.width} ${height}" width="${CHART.width}" height="${height}" role="img" aria-label="${esc(label)}">`,
    `<title>${esc(label)}</title>`,
  ];
  const panels = [
    {
      name: 'servers',
      panel: CHART.servers,
      limit: account.limits.servers,
      series: [
        { cls: 'waiting', values: account.series.map((p) => p.waiting), label: 'waiting for room' },
        { cls: 'servers', values: account.series.map((p) => p.servers), label: 'servers in jobs' },
      ],
    },
    {
      name: 'jobs',
      panel: CHART.jobs,
      limit: account.limits.jobs,
      series: [{ cls: 'jobs', values: account.series.map((p) => p.jobs), label: 'jobs' }],
    },
  ];
  const times = account.series.map((p) => Date.parse(p.at));
  for (const { name, panel, limit, series } of panels) {
    const top = Math.max(limit, ...series.flatMap((s) => s.values), 1);
    const scale = niceCeiling(top * 1.1);
    const y = (v: number) => round(panel.top + panel.height - (v / scale) * panel.height);
    const bottom = panel.top + panel.height;
    out.push(
      `<line class="frame" x1="${CHART.left}" y1="${bottom}" x2="${CHART.width - CHART.right}" y2="${bottom}"/>`,
      `<text class="axis" x="${CHART.left - 6}" y="${bottom + 4}" text-anchor="end">0</text>`,
      `<text class="axis" x="${CHART.left - 6}" y="${y(scale) + 4}" text-anchor="end">${scale}</text>`,
      `<line class="budget ${name}" x1="${CHART.left}" y1="${y(limit)}" x2="${CHART.width - CHART.right}" y2="${y(limit)}"><title>${esc(`Budget: ${limit} ${name}`)}</title></line>`,
      `<text class="budget-label" x="${CHART.width - CHART.right}" y="${y(limit) - 4}" text-anchor="end">${esc(`budget ${limit} ${name}`)}</text>`,
    );
    for (const s of series) {
      if (s.cls === 'waiting' && s.values.every((v) => v === 0)) continue;
      out.push(
        `<polyline class="series ${s.cls}" points="${stepPoints(times, s.values, x, y)}"><title>${esc(`${s.label}: at most ${Math.max(0, ...s.values)}`)}</title></polyline>`,
      );
    }
  }
  const every = gridStep((span.to - span.from) / 1000);
  for (let s = 0; s * 1000 <= span.to - span.from; s += every) {
    const gx = x(span.from + s * 1000);
    out.push(
      `<text class="axis" x="${gx}" y="${height - 6}" text-anchor="middle">+${esc(formatDuration(s))}</text>`,
    );
  }
  for (const m of markers.filter((m) => m.at >= span.from && m.at <= span.to)) {
    const mx = x(m.at);
    out.push(
      `<line class="marker" x1="${mx}" y1="${CHART.servers.top}" x2="${mx}" y2="${CHART.jobs.top + CHART.jobs.height}"><title>${esc(`${m.label} at ${formatReportTime(new Date(m.at).toISOString())}`)}</title></line>`,
      // Near the right edge, the label runs leftwards of its line.
      mx > CHART.width - CHART.right - 80
        ? `<text class="marker-label" x="${mx - 3}" y="${CHART.servers.top + 10}" text-anchor="end">${esc(m.label)}</text>`
        : `<text class="marker-label" x="${mx + 3}" y="${CHART.servers.top + 10}">${esc(m.label)}</text>`,
    );
  }
  out.push(
    `<text class="axis" x="${CHART.left}" y="14">${esc(`servers from ${formatReportTime(new Date(span.from).toISOString())}`)}</text>`,
    `<text class="axis" x="${CHART.left}" y="${CHART.jobs.top - 8}">jobs</text>`,
    '</svg>',
  );
  return out.join('\n');
}

/** A step line: each value holds from its time until the next point's time. */
export function stepPoints(
  times: readonly number[],
  values: readonly number[],
  x: (t: number) => number,
  y: (v: number) => number,
): string {
  const coords: string[] = [];
  values.forEach((v, i) => {
    const tx = x(times[i] as number);
    if (i > 0) coords.push(`${tx},${y(values[i - 1] as number)}`);
    coords.push(`${tx},${y(v)}`);
  });
  return coords.join(' ');
}

/** 1, 2 or 5 times a power of ten, at least `n`. */
function niceCeiling(n: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(n, 1)));
  return [1, 2, 5, 10].map((m) => m * power).find((c) => c >= n) ?? 10 * power;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** The chart's CSS, for the page that holds it. */
export const QUOTA_CHART_STYLE = `
svg.quota{max-width:100%;height:auto;font-size:11px;font-family:inherit}
svg.quota .frame{stroke:#8c959f}svg.quota .axis{fill:#57606a}
svg.quota .budget{stroke:#cf222e;stroke-width:1.5;stroke-dasharray:6 4}svg.quota .budget-label{fill:#cf222e}
svg.quota .marker{stroke:#57606a;stroke-width:1;stroke-dasharray:3 3}svg.quota .marker-label{fill:#57606a}
svg.quota .series{fill:none;stroke-width:2}svg.quota .series.servers{stroke:#0969da}
svg.quota .series.jobs{stroke:#8250df}svg.quota .series.waiting{stroke:#d4a72c;stroke-dasharray:2 2}
`;
