import type { Report } from '../domain/report.ts';

/** Where each rendering of a report went, by kind (`json`, `markdown`, `html`): paths or `s3://` URIs. */
export type ReportLocations = Record<string, string>;

/** Where run reports are kept: a folder locally, the region's report bucket in AWS. */
export interface ReportStore {
  save(report: Report): Promise<ReportLocations>;
}
