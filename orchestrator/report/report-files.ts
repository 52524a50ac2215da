import type { Report } from '../domain/report.ts';
import { renderHtml } from './render-html.ts';
import { renderMarkdown } from './render-markdown.ts';

/** One rendering of a report, as it is stored: its kind (the key of the returned locations) and file. */
export interface ReportFile {
  kind: 'json' | 'markdown' | 'html';
  /** `<executionId>.<extension>`, safe as a file name and as the last part of an S3 key. */
  name: string;
  contentType: string;
  body: string;
}

/**
 * The report as JSON, Markdown and HTML, named for its execution. Characters outside
 * `[A-Za-z0-9._-]` in the execution id become `_`, so a name never leaves its folder or prefix.
 */
export function renderReportFiles(report: Report): ReportFile[] {
  const base = safeName(report.executionId);
  return [
    {
      kind: 'json',
      name: `${base}.json`,
      contentType: 'application/json; charset=utf-8',
      body: `${JSON.stringify(report, null, 2)}\n`,
    },
    {
      kind: 'markdown',
      name: `${base}.md`,
      contentType: 'text/markdown; charset=utf-8',
      body: renderMarkdown(report),
    },
    {
      kind: 'html',
      name: `${base}.html`,
      contentType: 'text/html; charset=utf-8',
      body: renderHtml(report),
    },
  ];
}

/** A name made of `[A-Za-z0-9._-]` that does not start with a dot. */
export function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
}

/** A relative folder (`incidents/<id>`) whose every part is a safe name: it cannot leave its root. */
export function safeFolder(folder: string): string {
  return folder
    .split('/')
    .filter((part) => part !== '')
    .map(safeName)
    .join('/');
}
