import { describe, expect, it } from 'vitest';
import { buildReport } from '../../../orchestrator/domain/build-report.ts';
import { formatReportTime, type Report } from '../../../orchestrator/domain/report.ts';
import { renderHtml } from '../../../orchestrator/report/render-html.ts';
import { renderMarkdown } from '../../../orchestrator/report/render-markdown.ts';
import {
  cleanDrill,
  failoverAborted,
  failoverNeverValidated,
  failoverWithExclusions,
  slowFailback,
} from '../../fixtures/report-runs.ts';

const HOSTILE = '<script>alert("x")</script> & | *bold* [link](javascript:x)';

/** The report of a run, with hostile text where the run's people and systems write text. */
async function hostile(): Promise<Report> {
  const report = buildReport(await failoverWithExclusions());
  return {
    ...report,
    customerName: 'Tiny & Co <Health>',
    notes: [...report.notes, HOSTILE],
    waves: report.waves.map((w, i) =>
      i === 1
        ? { ...w, servers: w.servers.map((s) => ({ ...s, reason: `${s.reason} ${HOSTILE}` })) }
        : w,
    ),
  };
}

/** Tags left open or closed out of order; void and self-closed elements aside. */
function unbalancedTags(html: string): string[] {
  const VOID = new Set(['meta', 'br', 'link', 'img', 'hr', 'input']);
  const stack: string[] = [];
  const problems: string[] = [];
  for (const [tag, slash, name] of html.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*>/g)) {
    const lower = (name ?? '').toLowerCase();
    if (VOID.has(lower) || tag.endsWith('/>')) continue;
    if (!slash) stack.push(lower);
    else if (stack.pop() !== lower) problems.push(`</${lower}> closes out of order`);
  }
  return [...problems, ...stack.map((t) => `<${t}> never closed`)];
}

const count = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0;

describe('renderMarkdown', () => {
  it.each([
    [
      'a clean drill',
      cleanDrill,
      [
        '| RTO (disruption to validated in us-east-2) | 29m50s | 4h | ✅ |',
        '| RTO including customer sign-off (for information) | 2h31m30s | 4h | - |',
        '| RPO (worst critical server: tiny-db-01) | 5s | 15m | ✅ |',
        '| Customer sign-off | sign-off | U03CAROL | approve | 2025-03-01 04:36:40 UTC | Claims intake tested by the customer |',
        '| Approval by a second person | approval | U02BOB | approve | 2025-03-01 02:05:00 UTC |  |',
        '### 4. database, us-east-2 to us-east-1: done in 4m40s',
        '| tiny-db-01 | yes | recovered | 2025-03-01 02:10:00 UTC | 2025-03-01 02:14:40 UTC | 2025-03-01 02:05:05 UTC | 5s |',
        '**✅ succeeded**',
      ],
    ],
    [
      'a slow failback',
      slowFailback,
      [
        '| RTO (disruption to validated in us-east-1) | 5h | 4h | ❌ |',
        '| RPO (worst critical server: tiny-app-01) | 30s | 15m | ✅ |',
      ],
    ],
    [
      'a run with two critical servers left behind',
      failoverWithExclusions,
      [
        '| RPO (worst critical server: tiny-db-01) | 10s | 15m | ❌ |',
        'Critical servers not recovered: tiny-app-01, tiny-app-02.',
        '**✅ succeeded with exclusions**',
        '| tiny-app-02 | yes | excluded: ConflictException: the source server is in another job | - | - | - | - |',
        '| Wave 2/3 application: recover 2 servers in us-east-2 | decision | U07GRACE | continue | 2025-03-01 02:25:00 UTC | Customer agreed, \\<b\\>app\\</b\\> tier later |',
      ],
    ],
    [
      'a run never validated',
      failoverNeverValidated,
      [
        '| RTO (disruption to validated in us-east-2) | not reached | 4h | ❌ |',
        '**❌ failed**: Validation smoke failed',
        '- The environment in us-east-2 was never validated: RTO was not met.',
      ],
    ],
  ] as const)('shows the figures of %s against the targets', async (_, scenario, lines) => {
    // Act
    const markdown = renderMarkdown(buildReport(await scenario()));
    // Assess
    for (const line of lines) expect(markdown.split('\n')).toContain(line);
  });

  it('names people by their Slack name beside their id, and by id alone when no name is known', async () => {
    // Prepare
    const report = buildReport(await cleanDrill());
    const named: Report = {
      ...report,
      requestedByName: 'Alice <Ops>',
      approvals: report.approvals.map((g) => ({
        ...g,
        answers: g.answers.map((a) => ({ ...a, name: 'Bob Smith' })),
      })),
    };
    // Act
    const markdown = renderMarkdown(named);
    const html = renderHtml(named);
    // Assess
    expect(markdown).toContain('Alice \\<Ops\\> (U01ALICE)');
    expect(markdown).toContain('| approval | Bob Smith (U02BOB) | approve |');
    expect(markdown).toContain('| sign-off | U03CAROL | approve |');
    expect(html).toContain('Bob Smith (U02BOB)');
    expect(html).toContain('Alice &lt;Ops&gt; (U01ALICE)');
  });

  it("lists an abort that closed an open gate as that gate's answer: who, when, aborted", async () => {
    // Prepare: the approval was still open when alice aborted the run (/dr abort)
    const report = buildReport(await cleanDrill());
    const closedAt = '2025-03-01T02:03:20.000Z';
    const aborted: Report = {
      ...report,
      requestedByName: 'Alice Archer',
      approvals: report.approvals.map((g) => ({
        ...g,
        answers: [],
        decision: 'abort' as const,
        users: ['U01ALICE'],
        closedAt,
      })),
    };
    // Act
    const markdown = renderMarkdown(aborted);
    const html = renderHtml(aborted);
    // Assess
    const row = markdown.split('\n').find((l) => l.includes('| approval |')) ?? '';
    expect(row).toContain(
      `| approval | Alice Archer (U01ALICE) | aborted | ${formatReportTime(closedAt)} |`,
    );
    expect(html).toMatch(/Alice Archer \(U01ALICE\)<\/td><td>aborted<\/td>/);
  });

  it('lists an abort answered with a button once, as the answer it was', async () => {
    // Act
    const markdown = renderMarkdown(buildReport(await failoverAborted()));
    // Assess
    const rows = markdown.split('\n').filter((l) => l.includes('| decision |'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('| U02BOB | abort |');
  });

  it('escapes text that Markdown would read as markup or as a table cell break', async () => {
    const markdown = renderMarkdown(await hostile());
    expect(markdown).toContain('# DR report: Tiny \\& Co \\<Health\\>, failover');
    expect(markdown).toContain(
      '- \\<script\\>alert("x")\\</script\\> \\& \\| \\*bold\\* \\[link\\](javascript:x)',
    );
    expect(markdown).not.toContain('<script>');
    const excluded = markdown.split('\n').find((l) => l.startsWith('| tiny-app-02 |')) ?? '';
    expect(count(excluded.replaceAll('\\|', ''), /\|/g)).toBe(8);
  });
});

describe('renderHtml', () => {
  it('is one self-contained page: no script, nothing fetched, tags balanced', async () => {
    // Act
    const html = renderHtml(await hostile());
    // Assess
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<iframe|\ssrc=|\shref=|@import|url\(/i);
    expect(unbalancedTags(html)).toEqual([]);
    expect(count(html, /<svg\b/g)).toBe(1);
    expect(count(html, /<\/svg>/g)).toBe(1);
  });

  it('the balance check finds what is left open or closed out of order', () => {
    expect(unbalancedTags('<p><b>x</p>')).toEqual(['</p> closes out of order', '<p> never closed']);
  });

  it('escapes every text from the run: notes, reasons, customer names', async () => {
    const html = renderHtml(await hostile());
    const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; | *bold*';
    expect(html).toContain(`<li>${escaped} [link](javascript:x)</li>`);
    expect(count(html, /&lt;script&gt;alert/g)).toBe(3);
    expect(html).toContain(
      '<h1>Tiny &amp; Co &lt;Health&gt; <span class="op">failover</span></h1>',
    );
    expect(html).toContain('Customer agreed, &lt;b&gt;app&lt;/b&gt; tier later');
    expect(html).not.toContain('<b>app</b>');
  });

  it('draws one bar per step, scaled to the run', async () => {
    // Prepare
    const report = buildReport(await cleanDrill());
    // Act
    const html = renderHtml(report);
    // Assess
    const rects = [
      ...html.matchAll(/<rect class="([^"]+)" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g),
    ];
    expect(rects).toHaveLength(report.timeline.steps.length);
    expect(count(html, /<rect\b/g)).toBe(report.timeline.steps.length);
    const xs = rects.map((r) => Number(r[2]));
    expect(xs[0]).toBe(340);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    const widest = rects.reduce((w, r) => (Number(r[3]) > Number(w[3]) ? r : w));
    expect(rects.indexOf(widest)).toBe(
      report.timeline.steps.findIndex((s) => s.stepId === 'sign-off'),
    );
    // The report step runs from 10 800 s of a 10 810 s run, on a plot from 340 to 1080.
    expect(rects.at(-1)?.slice(1)).toEqual(['bar running', '1079.3', '2']);
  });

  it('ends the bar of a step still running when the run ended, and leaves steps not run empty', async () => {
    // Prepare: aborted at 1410 s during wave 2 (from 900 s); the report is made at 1500 s.
    const report = buildReport(await failoverAborted());
    // Act
    const html = renderHtml(report);
    // Assess
    const rects = [
      ...html.matchAll(/<rect class="([^"]+)" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g),
    ];
    expect(rects[5]?.slice(1)).toEqual(['bar running', '784', '251.6']);
    expect(rects.slice(6).map((r) => [r[1]?.split(' ')[1], r[3]])).toEqual(
      Array(6).fill(['pending', '0']),
    );
  });

  it('ticks each server launch on its wave row and marks disruption, validation and sign-off', async () => {
    const html = renderHtml(buildReport(await cleanDrill()));
    expect(count(html, /<line class="tick"/g)).toBe(8);
    expect(count(html, /<circle class="healthy"/g)).toBe(8);
    expect(html).toContain('<title>tiny-db-01 launched at 2025-03-01 02:10:00 UTC</title>');
    for (const kind of ['disruption', 'validated', 'sign-off']) {
      expect(html).toMatch(new RegExp(`<line class="marker ${kind}"`));
    }
  });

  it.each([
    [slowFailback, 'fail', 'pass'],
    [cleanDrill, 'pass', 'pass'],
    [failoverWithExclusions, 'pass', 'fail'],
  ] as const)('styles the figures pass or fail (%#)', async (scenario, rto, rpo) => {
    const html = renderHtml(buildReport(await scenario()));
    expect(html).toContain(`<div class="figure ${rto}"><h2>RTO</h2>`);
    expect(html).toContain(`<div class="figure ${rpo}"><h2>RPO</h2>`);
  });
});
