import { XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AccountUse,
  buildIncidentReport,
  type IncidentReport,
} from '../../../orchestrator/domain/incident-report.ts';
import { renderIncidentHtml } from '../../../orchestrator/report/render-incident-html.ts';
import { renderIncidentMarkdown } from '../../../orchestrator/report/render-incident-markdown.ts';
import {
  CHART,
  renderQuotaChartSvg,
  spanOf,
} from '../../../orchestrator/report/render-quota-chart.ts';
import {
  ACCOUNT_A,
  incidentJournal,
  incidentRecord,
  incidentRuns,
} from '../../fixtures/incident-runs.ts';
import { at } from '../../fixtures/report-runs.ts';

const HOSTILE = '<script>alert("x")</script> & Co';
let report: IncidentReport;

beforeAll(async () => {
  const incident = incidentRecord();
  incident.plans = incident.plans.map((p) =>
    p.customerId === 'bravo' ? { ...p, name: HOSTILE } : p,
  );
  report = buildIncidentReport({
    incident,
    runs: await incidentRuns(),
    journal: incidentJournal(),
    limits: { jobs: 2, servers: 2 },
    now: at(3100),
  });
});

const account = (id: string) => report.accounts.find((a) => a.account === id) as AccountUse;

/** The points of one step line of a chart, as [x, y] pairs. */
function polyline(svg: string, series: string): [number, number][] {
  const found = new RegExp(`class="series ${series}" points="([^"]+)"`).exec(svg);
  if (!found?.[1]) throw new Error(`no ${series} line`);
  return found[1].split(' ').map((pair) => pair.split(',').map(Number) as [number, number]);
}

describe('renderQuotaChartSvg', () => {
  it('is well-formed XML', () => {
    for (const a of report.accounts)
      expect(XMLValidator.validate(renderQuotaChartSvg(a))).toBe(true);
  });

  it.each([
    ['servers', CHART.servers, (p: AccountUse['series'][number]) => p.servers],
    ['jobs', CHART.jobs, (p: AccountUse['series'][number]) => p.jobs],
  ] as const)(
    'draws %s in jobs as a step line whose corners are the series',
    (name, panel, pick) => {
      // Prepare
      const a = account(ACCOUNT_A);
      const span = spanOf(report.accounts);
      const svg = renderQuotaChartSvg(a, span);
      // The top of both panels: the budget and the peak (2) and a tenth more, up to 1, 2 or 5 x 10^n
      const scale = 5;
      expect(svg).toContain(`y="${panel.top + 4}" text-anchor="end">5</text>`);
      const plot = CHART.width - CHART.left - CHART.right;
      const timeOf = (x: number) => span.from + ((x - CHART.left) / plot) * (span.to - span.from);
      const levelAt = (y: number) =>
        Math.round(((panel.top + panel.height - y) / panel.height) * scale);
      // Act
      const points = polyline(svg, name);
      // Assess: a horizontal move to each time, then a vertical one to its value
      expect(points).toHaveLength(a.series.length * 2 - 1);
      a.series.forEach((p, i) => {
        const [x, y] = points[i * 2] as [number, number];
        expect(Math.abs(timeOf(x) - Date.parse(p.at))).toBeLessThan(1000);
        expect(levelAt(y)).toBe(pick(p));
        if (i > 0) {
          const [hx, hy] = points[i * 2 - 1] as [number, number];
          expect(hx).toBe(x);
          expect(levelAt(hy)).toBe(pick(a.series[i - 1] as AccountUse['series'][number]));
        }
      });
    },
  );

  it('draws each budget as a dashed line at its limit, and the wait for room only when someone waited', () => {
    // Prepare
    const svg = renderQuotaChartSvg(account(ACCOUNT_A));
    const other = renderQuotaChartSvg(
      report.accounts.find((a) => a.waitedSeconds === 0) as AccountUse,
    );
    // Assess
    expect(svg).toMatch(/<line class="budget servers"[^>]*><title>Budget: 2 servers<\/title>/);
    expect(svg).toMatch(/<line class="budget jobs"[^>]*><title>Budget: 2 jobs<\/title>/);
    expect(polyline(svg, 'waiting').length).toBeGreaterThan(2);
    expect(other).not.toContain('series waiting');
  });

  it('marks a moment (the approval) with a line at its time, across both panels', () => {
    // Prepare
    const span = { from: at(-100), to: at(900) };
    // Act
    const svg = renderQuotaChartSvg(account(ACCOUNT_A), span, [{ at: at(0), label: 'Approved' }]);
    // Assess: a tenth of the span from the left of the plot
    const x = CHART.left + (CHART.width - CHART.left - CHART.right) / 10;
    expect(svg).toContain(
      `<line class="marker" x1="${x}" y1="${CHART.servers.top}" x2="${x}" y2="${CHART.jobs.top + CHART.jobs.height}">`,
    );
    expect(XMLValidator.validate(svg)).toBe(true);
  });
});

describe('renderIncidentHtml', () => {
  it('is one self-contained page, a chart per account, with the names escaped', () => {
    // Act
    const html = renderIncidentHtml(report);
    // Assess
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(html).not.toMatch(/\b(src|href)=/);
    const charts = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(charts).toHaveLength(report.accounts.length);
    for (const svg of charts) expect(XMLValidator.validate(svg)).toBe(true);
  });

  it('shows each plan in order with its figures, the misses and the substitutions', () => {
    // Act
    const html = renderIncidentHtml(report);
    // Assess
    const rows = [...html.matchAll(/<tr><td>(\d+)<\/td><td>([^<]+)/g)].map((m) => [m[1], m[2]]);
    expect(rows.slice(0, 5)).toEqual([
      ['1', 'Alpha Health'],
      ['2', '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co'],
      ['3', 'Delta Health'],
      ['4', 'Charlie Health'],
      ['5', 'Echo Health'],
    ]);
    expect(html).toContain('34m50s (target 30m)');
    expect(html).toContain('succeeded, a drill continued as a failover');
    expect(html).toContain('<li>RTO 34m50s over its target of 30m');
    expect(html).toContain('<td>r6i.large</td><td>r6i.xlarge</td>');
    expect(html).toContain('36m40s');
  });
});

describe('renderIncidentMarkdown', () => {
  it('lists the plans, the misses, the accounts and the substitutions, escaped', () => {
    // Act
    const text = renderIncidentMarkdown(report);
    // Assess
    expect(text).toContain('# Region-wide failover of us-east-1');
    expect(text).toContain('\\<script\\>alert("x")\\</script\\> \\& Co');
    expect(text).not.toContain('<script>');
    expect(text).toMatch(
      /\| 2 \| .*Co \(bravo\) \| 2 \| - \| 111111111111 \| .* \| ❌ 34m50s \(target 30m\) \| ✅ 1m40s \(target 15m\) \|/,
    );
    expect(text).toContain('  - RPO 25m10s over its target of 15m');
    expect(text).toContain(
      '| 111111111111 | us-east-2 | alpha, bravo | 8 | 2 / 2 | 2 / 2 | 7 | 3m5s |',
    );
    expect(text).toContain('| tiny-app-01 | application | r6i.large | r6i.xlarge |');
    expect(text).toContain('| 4 | Charlie Health (charlie) | 3 | alpha (wave database) |');
    expect(text).toContain('| held | - not run (target 4h) | - not run (target 15m) |');
  });
});
