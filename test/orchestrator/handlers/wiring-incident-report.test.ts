import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDbIncidentStore } from '../../../orchestrator/adapters/dynamodb-incident-store.ts';
import { DynamoDbStateStore } from '../../../orchestrator/adapters/dynamodb-state-store.ts';
import { IncidentReportSchema } from '../../../orchestrator/domain/incident-report.ts';
import { entriesOf } from '../../../orchestrator/domain/journal.ts';
import { HandlerEnvSchema } from '../../../orchestrator/handlers/env.ts';
import { wireOrchestrator } from '../../../orchestrator/handlers/wiring.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { alphaRun, INCIDENT_ID, incidentRecord } from '../../fixtures/incident-runs.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../../helpers.ts';
import { startSampleAws, TOOLING_CREDENTIALS } from '../../sandbox/aws/harness.ts';

const REGION = 'us-east-2';
const TABLE = 'wiring-incident-report';

let aws: LocalAws;
let reportDir: string;
beforeAll(async () => {
  aws = await startSampleAws({ dynamodb: true });
  reportDir = await mkdtemp(join(tmpdir(), 'lifeboat-wiring-incident-'));
});
afterAll(async () => {
  await aws.stop();
  await rm(reportDir, { recursive: true, force: true });
});
afterEach(() => vi.unstubAllEnvs());

describe("the task Lambdas' incident coordinator", () => {
  it('writes the report of an incident that ends, and journals where it went', async () => {
    // Prepare: the SDK pointed at the local AWS as Lambda's runtime points it at AWS
    for (const [name, value] of Object.entries({
      ...aws.environment(),
      AWS_ACCESS_KEY_ID: TOOLING_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TOOLING_CREDENTIALS.secretAccessKey,
    }))
      vi.stubEnv(name, value);
    const client = new DynamoDBClient({
      region: REGION,
      endpoint: aws.endpoints.dynamodb,
      credentials: TOOLING_CREDENTIALS,
    });
    const store = new DynamoDbStateStore(client, TABLE);
    await store.ensureTable();
    const alpha = await alphaRun();
    await store.createExecution(alpha.execution);
    for (const record of alpha.steps instanceof Map ? alpha.steps.values() : alpha.steps)
      await store.putStep(alpha.execution.executionId, record);
    for (const { seq: _seq, ...entry } of alpha.journal)
      await store.append(alpha.execution.executionId, entry);
    // Every plan has ended: the next look ends the incident
    // Its end already recorded a minute ago by a try that died before the report was written
    const endedAt = aws.clock.now() - 60_000;
    const record = incidentRecord({ status: 'running', endedAt });
    record.plans = record.plans
      .filter((p) => ['alpha', 'charlie'].includes(p.customerId))
      .map(({ existing: _existing, ...p }) => p);
    await new DynamoDbIncidentStore(client, TABLE).createIncident(record);
    const orchestrator = wireOrchestrator(
      HandlerEnvSchema.parse({
        AWS_REGION: REGION,
        STATE_TABLE: TABLE,
        PLANS_DIR: SAMPLE_PLANS,
        SETTINGS_FILE: SAMPLE_SETTINGS,
        REPORT_DIR: reportDir,
        LIFEBOAT_CLOCK_URL: `${aws.controlUrl}/clock`,
        POWERTOOLS_LOG_LEVEL: 'SILENT',
      }),
    );
    // Act
    const coordinator = await orchestrator.incidents({});
    const looked = await coordinator.advance(INCIDENT_ID);
    // Assess
    expect(looked.done).toBe(true);
    const finished = entriesOf(await store.journal(INCIDENT_ID), 'incident-finished');
    const folder = join(reportDir, 'incidents', INCIDENT_ID);
    expect(finished.map((e) => e.data)).toEqual([
      {
        status: 'failed',
        reportFiles: {
          json: join(folder, 'report.json'),
          markdown: join(folder, 'report.md'),
          html: join(folder, 'report.html'),
        },
      },
    ]);
    const report = IncidentReportSchema.parse(
      JSON.parse(await readFile(join(folder, 'report.json'), 'utf8')),
    );
    expect(report.plans.map((p) => [p.customerId, p.state, p.rto.seconds])).toEqual([
      ['alpha', 'succeeded', 1890],
      ['charlie', 'held', null],
    ]);
    expect(await readFile(join(folder, 'report.html'), 'utf8')).toContain('<svg class="quota"');
    // As of the incident's end, kept from that try: run again, it writes the same bytes
    expect(report.generatedAt).toBe(new Date(endedAt).toISOString());
  });
});
