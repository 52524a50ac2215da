import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Report } from '../domain/report.ts';
import type { ReportStore } from '../ports/report-store.ts';
import { type ReportFile, renderReportFiles } from '../report/report-files.ts';

/**
 * A folder of reports, where there is no report bucket (a run on this machine): each report as
 * `<executionId>.json`, `.md` and `.html` in `dir` (created if missing), answered as paths. The
 * names cannot leave `dir` (see `renderReportFiles`).
 */
export class FileReportStore implements ReportStore {
  constructor(private readonly dir: string) {}

  async save(report: Report): Promise<Record<ReportFile['kind'], string>> {
    await mkdir(this.dir, { recursive: true });
    const files = renderReportFiles(report);
    await Promise.all(files.map((file) => writeFile(join(this.dir, file.name), file.body, 'utf8')));
    return Object.fromEntries(
      files.map((file) => [file.kind, join(this.dir, file.name)]),
    ) as Record<ReportFile['kind'], string>;
  }
}
