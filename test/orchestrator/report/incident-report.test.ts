import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../../orchestrator/adapters/dynamodb-state-store.ts';
import { FileReportStore } from '../../../orchestrator/adapters/file-report-store.ts';
import {
  buildIncidentReport,
  type IncidentChildRun,
  IncidentReportSchema,
} from '../../../orchestrator/domain/incident-report.ts';
import type { JournalEntry } from '../../../orchestrator/domain/journal.ts';
import { DEFAULT_SETTINGS } from '../../../orchestrator/domain/settings.ts';
import { writeIncidentReport } from '../../../orchestrator/report/incident-report.ts';
import { renderIncidentHtml } from '../../../orchestrator/report/render-incident-html.ts';
import { renderIncidentMarkdown } from '../../../orchestrator/report/render-incident-markdown.ts';
import { type LocalAws, startLocalAws } from '../../../sandbox/aws/local-aws.ts';
import {
  alphaRun,
  bravoRun,
  INCIDENT_ID,
  incidentJournal,
  incidentRecord,
} from '../../fixtures/incident-runs.ts';
import { at } from '../../fixtures/report-runs.ts';

let aws: LocalAws;
let store: DynamoDbStateStore;
let dir: string;
const runs = new Map<string, IncidentChildRun>();

/** Writes a run as the engine does: its record, its steps, its journal entry by entry. */
async function writeRun(run: IncidentChildRun): Promise<void> {
  await store.createExecution(run.execution);
  const records = Array.isArray(run.steps) ? run.steps : [...run.steps.values()];
  for (const record of records) await store.putStep(run.execution.executionId, record);
  await appendAll(run.execution.executionId, run.journal);
}

async function appendAll(executionId: string, journal: readonly JournalEntry[]): Promise<void> {
  for (const { seq: _seq, ...entry } of journal) await store.append(executionId, entry);
}

beforeAll(async () => {
  aws = await startLocalAws({ plans: [], speed: 0 });
  store = new DynamoDbStateStore(
    new DynamoDBClient({
      region: 'us-east-2',
      endpoint: aws.endpoints.dynamodb,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    }),
    'lifeboat-incident-report-test',
  );
  await store.ensureTable();
  runs.set('alpha', await alphaRun());
  runs.set('bravo', await bravoRun());
  for (const run of runs.values()) await writeRun(run);
  await appendAll(INCIDENT_ID, incidentJournal());
  dir = await mkdtemp(join(tmpdir(), 'lifeboat-incident-report-'));
});
afterAll(async () => {
  await aws.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('writeIncidentReport', () => {
  it("reads each child's run from the state table and writes the JSON, Markdown and HTML under incidents/<id>", async () => {
    // Prepare: alpha and bravo ran; charlie was held; echo's run is not in the table
    const incident = incidentRecord();
    incident.plans = incident.plans.filter((p) => p.customerId !== 'delta');
    const settings = { ...DEFAULT_SETTINGS, maxConcurrentJobs: 2, maxServersInActiveJobs: 2 };
    // Act
    const locations = await writeIncidentReport({
      incident,
      store,
      plans: { settings: async () => settings },
      reports: new FileReportStore(dir),
      now: at(3100),
    });
    // Assess
    const folder = join(dir, 'incidents', INCIDENT_ID);
    expect(locations).toEqual({
      json: join(folder, 'report.json'),
      markdown: join(folder, 'report.md'),
      html: join(folder, 'report.html'),
    });
    const written = IncidentReportSchema.parse(
      JSON.parse(await readFile(locations.json as string, 'utf8')),
    );
    const expected = buildIncidentReport({
      incident,
      runs,
      journal: incidentJournal(),
      limits: { jobs: 2, servers: 2 },
      now: at(3100),
    });
    expect(written).toEqual(expected);
    expect(written.plans.map((p) => [p.customerId, p.rto.seconds, p.rto.met])).toEqual([
      ['alpha', 1890, true],
      ['bravo', 2090, false],
      ['charlie', null, null],
      ['echo', null, null],
    ]);
    expect(written.approvedBy.map((a) => a.name)).toEqual(['bob', null]);
    expect(written.accounts[0]?.peak).toEqual({ jobs: 2, servers: 2 });
    expect(written.notes.join('\n')).toContain('The runs of echo could not be read');
    expect(await readFile(locations.markdown as string, 'utf8')).toBe(
      renderIncidentMarkdown(written),
    );
    expect(await readFile(locations.html as string, 'utf8')).toBe(renderIncidentHtml(written));
  });

  it('keeps an incident id with path characters inside its folder', async () => {
    // Prepare
    const incident = { ...incidentRecord({ plans: [] }), incidentId: '../../etc' };
    // Act
    const locations = await writeIncidentReport({
      incident,
      store,
      plans: { settings: async () => DEFAULT_SETTINGS },
      reports: new FileReportStore(dir),
      now: at(3100),
    });
    // Assess
    expect(locations.json).toBe(join(dir, 'incidents', '_', '_', 'etc', 'report.json'));
  });
});
