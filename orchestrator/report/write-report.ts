import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Report } from '../domain/report.ts';
import { type ReportFile, renderReportFiles } from './report-files.ts';

/**
 * Writes `<executionId>.json`, `.md` and `.html` into `dir` (created if missing) and returns
 * their paths; the names cannot leave `dir` (see `renderReportFiles`).
 */
export async function writeReport(
  report: Report,
  dir: string,
): Promise<Record<ReportFile['kind'], string>> {
  await mkdir(dir, { recursive: true });
  const files = renderReportFiles(report);
  await Promise.all(files.map((file) => writeFile(join(dir, file.name), file.body, 'utf8')));
  return Object.fromEntries(files.map((file) => [file.kind, join(dir, file.name)])) as Record<
    ReportFile['kind'],
    string
  >;
}
