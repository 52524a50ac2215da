import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BotDeps } from '../../bot/deps.ts';
import { FilePlanSource } from '../../orchestrator/adapters/config-files.ts';
import { DynamoDbIncidentStore } from '../../orchestrator/adapters/dynamodb-incident-store.ts';
import { DynamoDbStateStore } from '../../orchestrator/adapters/dynamodb-state-store.ts';
import type { IncidentRequest } from '../../orchestrator/domain/incident.ts';
import type { Region } from '../../orchestrator/domain/regions.ts';
import type { PreflightResult } from '../../orchestrator/domain/runbook.ts';
import {
  DEFAULT_SETTINGS,
  type RegionWideSettings,
  RegionWideSettingsSchema,
} from '../../orchestrator/domain/settings.ts';
import { IncidentCoordinator } from '../../orchestrator/run/incident-coordinator.ts';
import { SAMPLE_PLANS } from '../helpers.ts';
import { fakeBotDeps, fakeRuns } from '../support/runs.ts';

/** The operations channel of these tests. */
export const OPS = 'C0DROPS';
/** Requesters: alice and dave; approvers: bob, dave and fred; viewer: erin. */
export const ALICE = 'U01ALICE';
export const BOB = 'U02BOB';
export const DAVE = 'U04DAVE';
export const ERIN = 'U05ERIN';
export const FRED = 'U06FRED';

export const REGION_WIDE: RegionWideSettings = RegionWideSettingsSchema.parse({
  channel: OPS,
  requesters: [ALICE, DAVE],
  approvers: [BOB, DAVE, FRED],
  viewers: [ERIN],
  approvals: 2,
});

/** Each sample plan's readiness as the incident's pre-flight reads it. */
const READINESS: Record<string, PreflightResult[]> = {
  'shared-east': [
    { check: 'replication-healthy', ok: true, advisory: false, detail: 'all healthy' },
    { check: 'replication-lag', ok: true, advisory: false, detail: 'worst 12s', seconds: 12 },
  ],
  bcbsaz: [
    { check: 'replication-healthy', ok: true, advisory: false, detail: 'all healthy' },
    { check: 'replication-lag', ok: true, advisory: false, detail: 'worst 45s', seconds: 45 },
  ],
  nwhealth: [
    { check: 'replication-healthy', ok: false, advisory: false, detail: 'nwh-db-01 stalled' },
    { check: 'replication-lag', ok: false, advisory: false, detail: 'worst 2h', seconds: 7200 },
  ],
};

/**
 * A real incident coordinator on the local DynamoDB (its own table), the sample plans and a
 * virtual clock; the incident's state machine start and its task tokens are recorded, not run.
 */
export async function incidentWorld(dynamodbEndpoint: string, table: string) {
  const client = new DynamoDBClient({
    region: 'us-east-2',
    endpoint: dynamodbEndpoint,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  const store = new DynamoDbStateStore(client, table);
  await store.ensureTable();
  const clock = { now: Date.parse('2026-12-06T12:00:00Z') };
  const started: { region: Region; request: IncidentRequest }[] = [];
  const tokens: { region: string; token: string; output: unknown }[] = [];
  let nonce = 0;
  const incidents = new DynamoDbIncidentStore(client, table);
  const coordinator = new IncidentCoordinator({
    incidents,
    store,
    plans: new FilePlanSource(SAMPLE_PLANS),
    settings: { ...DEFAULT_SETTINGS, regionWide: REGION_WIDE },
    readiness: async (customerId) => READINESS[customerId] ?? [],
    runs: {
      start: async () => {
        throw new Error('no child run starts in these tests');
      },
      requestAbort: async () => {},
    },
    tokens: {
      succeed: async (region, token, output) => {
        tokens.push({ region, token, output });
      },
    },
    starter: {
      startIncident: async (region, request) => {
        started.push({ region, request });
      },
    },
    now: () => clock.now,
    newId: () => `id-${++nonce}`,
    // The table's name in each id: worlds sharing a fake Slack tell their incidents apart.
    nonce: () => `${table.replace(/[^a-z0-9]/g, '').slice(-8)}${++nonce}`,
  });
  const { runs } = fakeRuns({
    audit: (customerId, entry) => store.appendAudit(customerId, entry),
    auditLog: (customerId) => store.auditLog(customerId),
  });
  /** The listeners' deps; `null`: region-wide operations not configured. */
  const deps = (regionWide: RegionWideSettings | null = REGION_WIDE): BotDeps =>
    fakeBotDeps(runs, {
      incidents: coordinator,
      ...(regionWide ? { regionWide } : {}),
    }).deps;
  /** What the incident's state machine does first: pre-flight, then its approval opens. */
  const prepare = async (index = started.length - 1) => {
    const request = started[index]?.request;
    if (!request) throw new Error('no incident was started');
    const incident = await coordinator.prepare(request);
    const gate = await coordinator.openApproval(
      incident.incidentId,
      `token-${incident.incidentId}`,
    );
    return { incident, gate };
  };
  return { coordinator, incidents, store, clock, started, tokens, deps, prepare };
}
