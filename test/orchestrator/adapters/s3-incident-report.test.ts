import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3ReportStore } from '../../../orchestrator/adapters/s3-report-store.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { createReportBucket, startSampleAws } from '../../sandbox/aws/harness.ts';

const REGION = 'us-east-2';
const BUCKET = 'lifeboat-reports-000000000000-us-east-2';

let aws: LocalAws;
let s3: S3Client;
beforeEach(async () => {
  aws = await startSampleAws();
  ({ s3 } = await createReportBucket(aws, REGION));
});
afterEach(() => aws.stop());

describe('S3ReportStore.saveFiles', () => {
  it("writes an incident's files under reports/<folder>, typed, with their names made safe", async () => {
    // Prepare
    const store = new S3ReportStore(s3, REGION, { bucket: BUCKET });
    // Act
    const locations = await store.saveFiles('incidents/incident-us-east-1-x/../..', [
      {
        kind: 'html',
        name: 'report.html',
        contentType: 'text/html; charset=utf-8',
        body: '<p>ok</p>',
      },
      { kind: 'json', name: '../report.json', contentType: 'application/json', body: '{}' },
    ]);
    // Assess
    const prefix = 'reports/incidents/incident-us-east-1-x/_/_';
    expect(locations).toEqual({
      html: `s3://${BUCKET}/${prefix}/report.html`,
      json: `s3://${BUCKET}/${prefix}/__report.json`,
    });
    const object = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}/report.html` }),
    );
    expect(object.ContentType).toBe('text/html; charset=utf-8');
    expect(await object.Body?.transformToString()).toBe('<p>ok</p>');
  });
});
