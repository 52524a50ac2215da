import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Report } from '../domain/report.ts';
import type { ReportLocations, ReportStore, StoredReportFile } from '../ports/report-store.ts';
import {
  type ReportFile,
  renderReportFiles,
  safeFolder,
  safeName,
} from '../report/report-files.ts';

/**
 * A folder of reports, where there is no report bucket (a run on this machine): each report as
 * `<executionId>.json`, `.md` and `.html` in `dir` (created if missing), an incident's under
 * `incidents/<incidentId>/`, answered as paths. The names cannot leave `dir` (see `safeName`).
 */
export class FileReportStore implements ReportStore {
  constructor(private readonly dir: string) {}

  async save(report: Report): Promise<Record<ReportFile['kind'], string>> {
    return this.write(this.dir, renderReportFiles(report)) as Promise<
      Record<ReportFile['kind'], string>
    >;
  }

  saveFiles(folder: string, files: readonly StoredReportFile[]): Promise<ReportLocations> {
    return this.write(join(this.dir, ...safeFolder(folder).split('/')), files);
  }

  private async write(dir: string, files: readonly StoredReportFile[]): Promise<ReportLocations> {
    await mkdir(dir, { recursive: true });
    const pathOf = (file: StoredReportFile) => join(dir, safeName(file.name));
    await Promise.all(files.map((file) => writeFile(pathOf(file), file.body, 'utf8')));
    return Object.fromEntries(files.map((file) => [file.kind, pathOf(file)]));
  }
}
