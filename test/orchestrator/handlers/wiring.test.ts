import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDbStateStore } from '../../../orchestrator/adapters/dynamodb-state-store.ts';
import { finish, prepare } from '../../../orchestrator/handlers/tasks.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { ROOT } from '../../helpers.ts';
import {
  createReportBucket,
  startSampleAws,
  TOOLING_CREDENTIALS,
} from '../../sandbox/aws/harness.ts';

const REGION = 'us-east-2';
const TABLE = 'wiring-test';
const BUCKET = 'lifeboat-reports-000000000000-us-east-2';

let aws: LocalAws;
let s3: S3Client;
let reportDir: string;
let runs = 0;
beforeAll(async () => {
  aws = await startSampleAws({ dynamodb: true });
  ({ s3 } = await createReportBucket(aws, REGION));
  await new DynamoDbStateStore(
    new DynamoDBClient({
      region: REGION,
      endpoint: aws.endpoints.dynamodb,
      credentials: TOOLING_CREDENTIALS,
    }),
    TABLE,
  ).ensureTable();
  reportDir = await mkdtemp(join(tmpdir(), 'lifeboat-wiring-'));
});
afterAll(async () => {
  await aws.stop();
  await rm(reportDir, { recursive: true, force: true });
});
afterEach(() => vi.unstubAllEnvs());

/** The task Lambdas' environment, as infra gives it, pointed at the local AWS. */
function stubTaskEnvironment(extra: Record<string, string>): void {
  const environment = {
    ...aws.environment(),
    AWS_ACCESS_KEY_ID: TOOLING_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TOOLING_CREDENTIALS.secretAccessKey,
    AWS_REGION: REGION,
    STATE_TABLE: TABLE,
    PLANS_DIR: join(ROOT, 'config', 'customers'),
    SETTINGS_FILE: join(ROOT, 'config', 'defaults.yaml'),
    LIFEBOAT_CLOCK_URL: `${aws.controlUrl}/clock`,
    ...extra,
  };
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
}

/** A drill of dmnt, started and aborted through the task handlers: the end writes the report. */
async function abortedRun(): Promise<{ executionId: string; reportFiles: Record<string, string> }> {
  const executionId = `dmnt-drill-wiring-${++runs}`;
  await prepare({
    request: { customerId: 'dmnt', operation: 'drill', requestedBy: 'U01ALICE' },
    executionName: executionId,
  });
  const { reportFiles } = await finish({ executionId, outcome: 'aborted' });
  return { executionId, reportFiles };
}

describe('the task handlers’ report store', () => {
  it("writes a run's report to the region's bucket when REPORT_BUCKET is set", async () => {
    // Prepare
    stubTaskEnvironment({ REPORT_BUCKET: BUCKET, REPORT_DIR: reportDir });
    // Act
    const { executionId, reportFiles } = await abortedRun();
    // Assess
    const keys = ['html', 'json', 'md'].map((ext) => `reports/dmnt/${executionId}.${ext}`);
    expect(Object.values(reportFiles).sort()).toEqual(keys.map((key) => `s3://${BUCKET}/${key}`));
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'reports/dmnt/' }),
    );
    expect(listed.Contents?.map((c) => c.Key)).toEqual(keys);
    const html = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: keys[0] }));
    expect(html.ContentType).toBe('text/html; charset=utf-8');
    expect(await html.Body?.transformToString()).toContain(executionId);
    expect(await readdir(reportDir)).toEqual([]);
  });

  it('writes to REPORT_DIR when there is no bucket', async () => {
    // Prepare
    stubTaskEnvironment({ REPORT_DIR: reportDir });
    // Act
    const { executionId, reportFiles } = await abortedRun();
    // Assess
    expect(reportFiles).toEqual({
      json: join(reportDir, `${executionId}.json`),
      markdown: join(reportDir, `${executionId}.md`),
      html: join(reportDir, `${executionId}.html`),
    });
    expect((await readdir(reportDir)).length).toBe(3);
  });
});
