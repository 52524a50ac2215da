import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectLockConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { S3ReportStore } from '../../../orchestrator/adapters/s3-report-store.ts';
import { buildReport } from '../../../orchestrator/domain/build-report.ts';
import { AwsCallError } from '../../../orchestrator/domain/errors.ts';
import { type Report, ReportSchema } from '../../../orchestrator/domain/report.ts';
import { renderHtml } from '../../../orchestrator/report/render-html.ts';
import { renderMarkdown } from '../../../orchestrator/report/render-markdown.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { cleanDrill } from '../../fixtures/report-runs.ts';
import { createReportBucket, startSampleAws } from '../../sandbox/aws/harness.ts';

const REGION = 'us-east-2';
const BUCKET = 'lifeboat-reports-000000000000-us-east-2';
const KEYS = {
  json: 'reports/tiny/tiny-drill-20250301.json',
  markdown: 'reports/tiny/tiny-drill-20250301.md',
  html: 'reports/tiny/tiny-drill-20250301.html',
};
const DAY = 86_400_000;

let aws: LocalAws;
let s3: S3Client;
let report: Report;
beforeEach(async () => {
  aws = await startSampleAws();
  ({ s3 } = await createReportBucket(aws, REGION));
  report = buildReport(await cleanDrill());
});
afterEach(() => aws.stop());

async function objectOf(Key: string) {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
  return { ...object, text: (await object.Body?.transformToString()) ?? '' };
}

describe('S3ReportStore', () => {
  it("writes the JSON, Markdown and HTML under the customer's prefix, typed and encrypted", async () => {
    // Prepare
    const store = new S3ReportStore(s3, REGION, { bucket: BUCKET });
    // Act
    const locations = await store.save(report);
    // Assess
    expect(locations).toEqual({
      json: `s3://${BUCKET}/${KEYS.json}`,
      markdown: `s3://${BUCKET}/${KEYS.markdown}`,
      html: `s3://${BUCKET}/${KEYS.html}`,
    });
    const [json, markdown, html] = await Promise.all(
      [KEYS.json, KEYS.markdown, KEYS.html].map(objectOf),
    );
    expect(ReportSchema.parse(JSON.parse(json?.text ?? ''))).toEqual(report);
    expect(markdown?.text).toBe(renderMarkdown(report));
    expect(html?.text).toBe(renderHtml(report));
    expect([json, markdown, html].map((o) => o?.ContentType)).toEqual([
      'application/json; charset=utf-8',
      'text/markdown; charset=utf-8',
      'text/html; charset=utf-8',
    ]);
  });

  it("leaves encryption to the bucket's default (its KMS key): no write names another", async () => {
    // Prepare: what each PutObject asks of S3
    const sent: Record<string, unknown>[] = [];
    s3.middlewareStack.add(
      (next) => async (args) => {
        sent.push(args.input as Record<string, unknown>);
        return next(args);
      },
      { step: 'initialize', name: 'recordPutObject' },
    );
    const store = new S3ReportStore(s3, REGION, { bucket: BUCKET });
    // Act
    await store.save(report);
    // Assess
    expect(sent).toHaveLength(3);
    for (const input of sent) {
      expect(input).not.toHaveProperty('ServerSideEncryption');
      expect(input).not.toHaveProperty('SSEKMSKeyId');
    }
  });

  it("lets the bucket's default retention lock each version, or locks it as configured", async () => {
    // Prepare
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: BUCKET,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
        },
      }),
    );
    const plain = new S3ReportStore(s3, REGION, { bucket: BUCKET });
    const locked = new S3ReportStore(s3, REGION, {
      bucket: BUCKET,
      retention: { mode: 'compliance', days: 30 },
      now: () => aws.clock.now(),
    });
    // Act
    await plain.save(report);
    const byDefault = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEYS.html }));
    await locked.save(report);
    const configured = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEYS.html }));
    // Assess
    expect([byDefault.ObjectLockMode, byDefault.ObjectLockRetainUntilDate?.getTime()]).toEqual([
      'GOVERNANCE',
      aws.clock.now() + DAY,
    ]);
    expect([configured.ObjectLockMode, configured.ObjectLockRetainUntilDate?.getTime()]).toEqual([
      'COMPLIANCE',
      aws.clock.now() + 30 * DAY,
    ]);
    expect(configured.VersionId).not.toBe(byDefault.VersionId);
  });

  it('turns a missing bucket into a domain error naming S3 and the code', async () => {
    // Prepare
    const store = new S3ReportStore(s3, REGION, { bucket: 'lifeboat-reports-nowhere' });
    // Act
    const error = await store.save(report).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({
      service: 's3',
      operation: 'PutObject',
      code: 'NoSuchBucket',
      retryable: false,
    });
  });
});

describe('S3ReportStore, its task dying mid-write', () => {
  it.each(['crash-after:s3:PutObject', 'crash-before:s3:PutObject:2'])(
    '%s: the write run again leaves each file once, the report whole',
    async (fault) => {
      // Prepare: the first write's task dies at one of its three PutObject calls
      aws.addFault(fault);
      aws.onCrash(() => {});
      const store = new S3ReportStore(s3, REGION, { bucket: BUCKET });
      // The dead task's write: never answered, until the local AWS stops and drops it.
      store.save(report).catch(() => {});
      await vi.waitUntil(() => aws.estate.truth.some((e) => e.type === 'task-crash'));
      // Act: the task run again writes the same report
      const locations = await store.save(report);
      // Assess: the same three keys, each holding the report
      expect(Object.values(locations).sort()).toEqual(
        Object.values(KEYS)
          .map((key) => `s3://${BUCKET}/${key}`)
          .sort(),
      );
      expect(ReportSchema.parse(JSON.parse((await objectOf(KEYS.json)).text))).toEqual(report);
      expect((await objectOf(KEYS.markdown)).text).toBe(renderMarkdown(report));
    },
  );
});
