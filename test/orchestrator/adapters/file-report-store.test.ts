import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileReportStore } from '../../../orchestrator/adapters/file-report-store.ts';
import { buildReport } from '../../../orchestrator/domain/build-report.ts';
import { ReportSchema } from '../../../orchestrator/domain/report.ts';
import { renderHtml } from '../../../orchestrator/report/render-html.ts';
import { renderMarkdown } from '../../../orchestrator/report/render-markdown.ts';
import { cleanDrill } from '../../fixtures/report-runs.ts';

describe('FileReportStore', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('writes the JSON, Markdown and HTML of a report into a directory it creates', async () => {
    // Prepare
    const root = await mkdtemp(join(tmpdir(), 'lifeboat-report-'));
    dirs.push(root);
    const report = buildReport(await cleanDrill());
    const dir = join(root, 'reports', 'tiny');
    // Act
    const paths = await new FileReportStore(dir).save(report);
    // Assess
    expect(paths).toEqual({
      json: join(dir, 'tiny-drill-20250301.json'),
      markdown: join(dir, 'tiny-drill-20250301.md'),
      html: join(dir, 'tiny-drill-20250301.html'),
    });
    expect((await readdir(dir)).sort()).toEqual([
      'tiny-drill-20250301.html',
      'tiny-drill-20250301.json',
      'tiny-drill-20250301.md',
    ]);
    expect(ReportSchema.parse(JSON.parse(await readFile(paths.json, 'utf8')))).toEqual(report);
    expect(await readFile(paths.markdown, 'utf8')).toBe(renderMarkdown(report));
    expect(await readFile(paths.html, 'utf8')).toBe(renderHtml(report));
  });

  it('keeps an execution id with path characters inside the directory', async () => {
    const root = await mkdtemp(join(tmpdir(), 'lifeboat-report-'));
    dirs.push(root);
    const report = { ...buildReport(await cleanDrill()), executionId: '../../etc/x' };
    const paths = await new FileReportStore(root).save(report);
    expect(paths.json).toBe(join(root, '__.._etc_x.json'));
    expect((await readdir(root)).sort()).toEqual([
      '__.._etc_x.html',
      '__.._etc_x.json',
      '__.._etc_x.md',
    ]);
  });
});
