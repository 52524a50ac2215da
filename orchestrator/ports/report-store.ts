import type { Report } from '../domain/report.ts';

/**
 * Every report's key in a bucket starts with this: infra grants writes under it and nothing
 * else, and the bot's report links name nothing outside it.
 */
export const REPORT_KEY_PREFIX = 'reports/';

/** Where each rendering of a report went, by kind (`json`, `markdown`, `html`): paths or `s3://` URIs. */
export type ReportLocations = Record<string, string>;

/** One rendering as it is stored: its kind (the key of the returned locations), name and body. */
export interface StoredReportFile {
  kind: string;
  name: string;
  contentType: string;
  body: string;
}

/** Where reports are kept: a folder locally, the region's report bucket in AWS. */
export interface ReportStore {
  save(report: Report): Promise<ReportLocations>;
  /**
   * Keeps the renderings of a report that is not one run's (an incident's) under `folder`, a
   * relative path such as `incidents/<incidentId>`; each part of it, and each name, is made safe.
   */
  saveFiles(folder: string, files: readonly StoredReportFile[]): Promise<ReportLocations>;
}
