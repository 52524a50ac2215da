import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Report } from '../domain/report.ts';
import { renderHtml } from './render-html.ts';
import { renderMarkdown } from './render-markdown.ts';

/**
 * Writes `<executionId>.json`, `.md` and `.html` into `dir` (created if missing) and returns
 * their paths. Characters outside `[A-Za-z0-9._-]` in the execution id become `_`, so an id
 * can never name a file outside `dir`.
 */
export async function writeReport(
  report: Report,
  dir: string,
): Promise<{ json: string; markdown: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const base = report.executionId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  const paths = {
    json: join(dir, `${base}.json`),
    markdown: join(dir, `${base}.md`),
    html: join(dir, `${base}.html`),
  };
  await Promise.all([
    writeFile(paths.json, `${JSON.stringify(report, null, 2)}\n`, 'utf8'),
    writeFile(paths.markdown, renderMarkdown(report), 'utf8'),
    writeFile(paths.html, renderHtml(report), 'utf8'),
  ]);
  return paths;
}
