import type { S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3ReportLinks } from '../../../orchestrator/adapters/s3-report-links.ts';
import { S3ReportStore } from '../../../orchestrator/adapters/s3-report-store.ts';
import { buildReport } from '../../../orchestrator/domain/build-report.ts';
import { type Report, ReportSchema } from '../../../orchestrator/domain/report.ts';
import { renderHtml } from '../../../orchestrator/report/render-html.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { cleanDrill } from '../../fixtures/report-runs.ts';
import { createReportBucket, startSampleAws } from '../../sandbox/aws/harness.ts';

const REGION = 'us-east-2';
const BUCKET = 'lifeboat-reports-000000000000-us-east-2';

let aws: LocalAws;
let s3: S3Client;
let report: Report;
beforeEach(async () => {
  aws = await startSampleAws();
  ({ s3 } = await createReportBucket(aws, REGION));
  report = buildReport(await cleanDrill());
});
afterEach(() => aws.stop());

describe('S3ReportLinks', () => {
  it('links the HTML and JSON with presigned URLs anyone can open, and keeps the Markdown location', async () => {
    // Prepare
    const locations = await new S3ReportStore(s3, REGION, { bucket: BUCKET }).save(report);
    // Act
    const links = await new S3ReportLinks(s3, REGION).link(locations);
    // Assess
    expect(links.markdown).toBe(locations.markdown);
    const html = new URL(links.html ?? '');
    expect(html.searchParams.get('X-Amz-Expires')).toBe('604800');
    expect(html.searchParams.get('X-Amz-Credential')).toContain(`/${REGION}/s3/aws4_request`);
    const [page, json] = await Promise.all([fetch(html), fetch(links.json ?? '')]);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toBe(renderHtml(report));
    expect(ReportSchema.parse(await json.json())).toEqual(report);
  });

  it('leaves locations that are not in S3 as they are', async () => {
    // Prepare
    const files = {
      html: '/tmp/lifeboat-reports/x.html',
      json: 'https://reports.example.com/x.json',
    };
    // Act
    const links = await new S3ReportLinks(s3, REGION).link(files);
    // Assess
    expect(links).toEqual(files);
  });
});
