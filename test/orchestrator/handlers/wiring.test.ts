import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDbStateStore } from '../../../orchestrator/adapters/dynamodb-state-store.ts';
import { HandlerEnvSchema } from '../../../orchestrator/handlers/env.ts';
import {
  createTaskHandlers,
  type TaskHandlers,
} from '../../../orchestrator/handlers/task-handlers.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../../helpers.ts';
import {
  createReportBucket,
  startSampleAws,
  TOOLING_CREDENTIALS,
} from '../../sandbox/aws/harness.ts';

const REGION = 'us-east-2';
const BUCKET = 'lifeboat-reports-000000000000-us-east-2';

let aws: LocalAws;
let s3: S3Client;
const reportDirs: string[] = [];
beforeAll(async () => {
  aws = await startSampleAws({ dynamodb: true });
  ({ s3 } = await createReportBucket(aws, REGION));
});
afterAll(async () => {
  await aws.stop();
  for (const dir of reportDirs) await rm(dir, { recursive: true, force: true });
});
afterEach(() => vi.unstubAllEnvs());

/**
 * A test's own state table (its own customers' locks) and report folder, so no test depends on
 * what another left behind.
 */
async function ownState(name: string): Promise<{ table: string; reportDir: string }> {
  const table = `wiring-test-${name}`;
  await new DynamoDbStateStore(
    new DynamoDBClient({
      region: REGION,
      endpoint: aws.endpoints.dynamodb,
      credentials: TOOLING_CREDENTIALS,
    }),
    table,
  ).ensureTable();
  const reportDir = await mkdtemp(join(tmpdir(), `lifeboat-wiring-${name}-`));
  reportDirs.push(reportDir);
  return { table, reportDir };
}

/**
 * The task handlers built from the environment infra gives them, on the test's own table. The
 * AWS SDK is pointed at the local AWS through its own variables, as Lambda's runtime points it
 * at AWS (endpoints, credentials).
 */
function taskHandlers(table: string, extra: Record<string, string> = {}): TaskHandlers {
  const sdk = {
    ...aws.environment(),
    AWS_ACCESS_KEY_ID: TOOLING_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TOOLING_CREDENTIALS.secretAccessKey,
  };
  for (const [name, value] of Object.entries(sdk)) vi.stubEnv(name, value);
  return createTaskHandlers(
    HandlerEnvSchema.parse({
      AWS_REGION: REGION,
      STATE_TABLE: table,
      PLANS_DIR: SAMPLE_PLANS,
      SETTINGS_FILE: SAMPLE_SETTINGS,
      LIFEBOAT_CLOCK_URL: `${aws.controlUrl}/clock`,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      ...extra,
    }),
  );
}

/** A drill of dmnt, started and aborted through the task handlers: the end writes the report. */
async function abortedRun(
  { prepare, finish }: TaskHandlers,
  executionId: string,
): Promise<{ executionId: string; reportFiles: Record<string, string> }> {
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
    const { table, reportDir } = await ownState('bucket');
    const tasks = taskHandlers(table, { REPORT_BUCKET: BUCKET, REPORT_DIR: reportDir });
    // Act
    const { executionId, reportFiles } = await abortedRun(tasks, 'dmnt-drill-wiring-bucket');
    // Assess
    const keys = ['html', 'json', 'md'].map((ext) => `reports/dmnt/${executionId}.${ext}`);
    expect(Object.values(reportFiles).sort()).toEqual(keys.map((key) => `s3://${BUCKET}/${key}`));
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `reports/dmnt/${executionId}.` }),
    );
    expect(listed.Contents?.map((c) => c.Key)).toEqual(keys);
    const html = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: keys[0] }));
    expect(html.ContentType).toBe('text/html; charset=utf-8');
    expect(await html.Body?.transformToString()).toContain(executionId);
    expect(await readdir(reportDir)).toEqual([]);
  });

  it('writes to REPORT_DIR when there is no bucket', async () => {
    // Prepare
    const { table, reportDir } = await ownState('dir');
    const tasks = taskHandlers(table, { REPORT_DIR: reportDir });
    // Act
    const { executionId, reportFiles } = await abortedRun(tasks, 'dmnt-drill-wiring-dir');
    // Assess
    expect(reportFiles).toEqual({
      json: join(reportDir, `${executionId}.json`),
      markdown: join(reportDir, `${executionId}.md`),
      html: join(reportDir, `${executionId}.html`),
    });
    expect((await readdir(reportDir)).length).toBe(3);
  });
});

/** The JSON lines the handlers' logger writes (to stdout and stderr), kept from the output. */
function captureLogLines(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const stream of [process.stdout, process.stderr])
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      return true;
    });
  return lines;
}

describe('the task handlers’ log lines', () => {
  afterEach(() => vi.restoreAllMocks());

  it('carry the run id and the task, and never the task token', async () => {
    // Prepare
    const { table } = await ownState('logs');
    const tasks = taskHandlers(table, { POWERTOOLS_LOG_LEVEL: 'INFO' });
    const executionId = 'dmnt-drill-wiring-logs';
    const taskToken = 'task-token-that-must-not-be-logged';
    const lines = captureLogLines();
    // Act
    await tasks.prepare({
      request: { customerId: 'dmnt', operation: 'drill', requestedBy: 'U01ALICE' },
      executionName: executionId,
    });
    await tasks.openGate({ executionId, stepId: 'approval', kind: 'step', taskToken });
    const malformed = tasks.openGate({ executionId, kind: 'step', taskToken });
    const unknownRun = tasks.finish({
      executionId: 'dmnt-drill-nobody-started',
      outcome: 'aborted',
    });
    // Assess
    await expect(malformed).rejects.toThrow(/stepId/);
    await expect(unknownRun).rejects.toThrow();
    expect(JSON.stringify(lines)).not.toContain(taskToken);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'prepare done', executionId }),
      expect.objectContaining({ message: 'gate opened', executionId, stepId: 'approval' }),
      expect.objectContaining({ message: 'openGate done', executionId, task: 'openGate' }),
      expect.objectContaining({ level: 'ERROR', message: 'openGate: malformed input' }),
      expect.objectContaining({
        level: 'ERROR',
        message: 'finish failed',
        executionId: 'dmnt-drill-nobody-started',
        error: expect.objectContaining({ name: expect.any(String) }),
      }),
    ]);
    expect(lines.every((line) => line.service === 'lifeboat-tasks')).toBe(true);
  });
});

describe("the customer's role session", () => {
  it('is named for the run, one session per run, so the customer’s CloudTrail tells runs apart', async () => {
    // Prepare
    const { table } = await ownState('sessions');
    const tasks = taskHandlers(table);
    const runs = ['dmnt-drill-wiring-session-1', 'dmnt-drill-wiring-session-2'];
    const before = aws.estate.truth.length;
    // Act: each run's pre-flight reads the customer's account
    for (const executionId of runs) {
      await tasks.prepare({
        request: { customerId: 'dmnt', operation: 'drill', requestedBy: 'U01ALICE' },
        executionName: executionId,
      });
      await tasks.startStep({ executionId, stepId: 'preflight' });
      await tasks.finish({ executionId, outcome: 'aborted' });
    }
    // Assess
    const sessions = aws.estate.truth
      .slice(before)
      .filter((e) => e.type === 'assume-role')
      .map((e) => (e as { session?: string }).session);
    expect(new Set(sessions)).toEqual(new Set(runs.map((id) => `lifeboat-${id}`)));
  });
});
