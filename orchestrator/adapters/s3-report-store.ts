import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Report } from '../domain/report.ts';
import {
  REPORT_KEY_PREFIX,
  type ReportLocations,
  type ReportStore,
  type StoredReportFile,
} from '../ports/report-store.ts';
import { renderReportFiles, safeFolder, safeName } from '../report/report-files.ts';
import { type AwsCaller, awsCaller } from './map-aws-error.ts';

const DAY_MS = 86_400_000;

export { REPORT_KEY_PREFIX };

export interface S3ReportStoreOptions {
  bucket: string;
  /**
   * Locks each version for this long from the write, on top of the bucket's own default
   * retention (needs `s3:PutObjectRetention`). @default the bucket's default retention only
   */
  retention?: { mode: 'governance' | 'compliance'; days: number };
  /** The clock the retention counts from. @default Date.now */
  now?: () => number;
}

/**
 * The region's report bucket: each report as `reports/<customerId>/<executionId>.{json,md,html}`
 * (an incident's as `reports/incidents/<incidentId>/report.{json,md,html}`),
 * typed for a browser, encrypted with S3-managed keys (the bucket's own setting, asked for
 * explicitly), with a checksum so object lock accepts the write. Answers `s3://` URIs.
 */
export class S3ReportStore implements ReportStore {
  private readonly call: AwsCaller;

  constructor(
    private readonly client: S3Client,
    readonly region: string,
    private readonly options: S3ReportStoreOptions,
  ) {
    this.call = awsCaller({ service: 's3', region });
  }

  async save(report: Report): Promise<ReportLocations> {
    return this.put(safeName(report.customerId), renderReportFiles(report));
  }

  async saveFiles(folder: string, files: readonly StoredReportFile[]): Promise<ReportLocations> {
    return this.put(safeFolder(folder), files);
  }

  /** Writes each file as `reports/<folder>/<name>`, answered as `s3://` URIs by kind. */
  private async put(folder: string, files: readonly StoredReportFile[]): Promise<ReportLocations> {
    const { bucket, retention } = this.options;
    const prefix = `${REPORT_KEY_PREFIX}${folder}`;
    const lock = retention && {
      ObjectLockMode:
        retention.mode === 'compliance' ? ('COMPLIANCE' as const) : ('GOVERNANCE' as const),
      ObjectLockRetainUntilDate: new Date(
        (this.options.now ?? Date.now)() + retention.days * DAY_MS,
      ),
    };
    const keyOf = (file: StoredReportFile) => `${prefix}/${safeName(file.name)}`;
    await Promise.all(
      files.map((file) =>
        this.call('PutObject', () =>
          this.client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: keyOf(file),
              Body: file.body,
              ContentType: file.contentType,
              // No encryption header: the bucket's default, its customer managed KMS key, applies
              // (a header would choose S3's own key, which the bucket policy refuses).
              // Object lock refuses a write without Content-MD5 or a checksum, whatever the SDK's default.
              ChecksumAlgorithm: 'CRC32',
              ...lock,
            }),
          ),
        ),
      ),
    );
    return Object.fromEntries(files.map((file) => [file.kind, `s3://${bucket}/${keyOf(file)}`]));
  }
}
