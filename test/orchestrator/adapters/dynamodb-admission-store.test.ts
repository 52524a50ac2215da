import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAdmissionStore } from '../../../orchestrator/adapters/dynamodb-admission-store.ts';
import { DynamoDbStateStore } from '../../../orchestrator/adapters/dynamodb-state-store.ts';
import {
  ADMISSION_LEASE_MS,
  type AdmissionRequest,
  type BudgetKey,
} from '../../../orchestrator/domain/admission.ts';
import { type LocalAws, startLocalAws } from '../../../sandbox/aws/local-aws.ts';

const NOW = Date.parse('2026-11-22T03:00:00Z');
const TABLE = 'lifeboat-admission-test';

let aws: LocalAws;
let client: DynamoDBClient;
let store: DynamoDbAdmissionStore;
beforeAll(async () => {
  aws = await startLocalAws({ plans: [], speed: 0 });
  client = new DynamoDBClient({
    region: 'us-east-2',
    endpoint: aws.endpoints.dynamodb,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  await new DynamoDbStateStore(client, TABLE).ensureTable();
  store = new DynamoDbAdmissionStore(client, TABLE);
});
afterAll(() => aws.stop());

function ask(key: BudgetKey, runId: string, servers: number, priority = 3): AdmissionRequest {
  return { ...key, runId, customerId: runId, priority, servers, job: 'web-01' };
}

describe('DynamoDbAdmissionStore', () => {
  it('gives the last slot to exactly one of many runs racing for it', async () => {
    // Prepare: 3 job slots, 12 runs asking at the same instant
    const key: BudgetKey = { account: '111122223333', region: 'us-east-2' };
    const runs = Array.from({ length: 12 }, (_, i) => `run-${i}`);
    // Act
    const decisions = await Promise.all(
      runs.map((run) => store.acquire(ask(key, run, 1), { jobs: 3, servers: 100 }, NOW)),
    );
    // Assess
    const granted = decisions.flatMap((d) => (d.kind === 'grant' ? [d.lease] : []));
    expect(granted).toHaveLength(3);
    expect(granted.map((l) => l.token).sort()).toEqual([1, 2, 3]);
    const stored = await store.budget(key);
    expect(stored?.leases.map((l) => l.runId).sort()).toEqual(granted.map((l) => l.runId).sort());
    expect(stored?.waiting).toHaveLength(9);
    expect(stored?.lastToken).toBe(3);
  });

  it('never holds more servers than the budget, whatever the race', async () => {
    // Prepare: 10 servers in active jobs, 8 runs asking for 3 each
    const key: BudgetKey = { account: '111122223333', region: 'us-west-2' };
    // Act
    const decisions = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.acquire(ask(key, `run-${i}`, 3), { jobs: 20, servers: 10 }, NOW),
      ),
    );
    // Assess
    expect(decisions.filter((d) => d.kind === 'grant')).toHaveLength(3);
    const stored = await store.budget(key);
    expect(stored?.leases.reduce((n, l) => n + l.servers, 0)).toBe(9);
  });

  it('renews and releases by token, refuses a stale token, and frees the room for the next', async () => {
    // Prepare
    const key: BudgetKey = { account: '444455556666', region: 'us-east-2' };
    const limits = { jobs: 1, servers: 10 };
    const first = await store.acquire(ask(key, 'a', 5), limits, NOW);
    if (first.kind !== 'grant') throw new Error('expected a grant');
    const queued = await store.acquire(ask(key, 'b', 5, 1), limits, NOW + 1);
    // Act
    const renewed = await store.renew(key, first.lease.token, NOW + 60_000);
    const stale = await store.release(key, first.lease.token + 7, NOW + 60_000);
    const released = await store.release(key, first.lease.token, NOW + 61_000);
    const again = await store.release(key, first.lease.token, NOW + 62_000);
    const next = await store.acquire(ask(key, 'b', 5, 1), limits, NOW + 63_000);
    // Assess
    expect(queued).toMatchObject({ kind: 'wait', reason: 'jobs', position: 1 });
    expect(renewed).toMatchObject({
      kind: 'applied',
      lease: { expiresAt: NOW + 60_000 + ADMISSION_LEASE_MS },
    });
    expect(stale.kind).toBe('refused');
    expect(released.kind).toBe('applied');
    expect(again.kind).toBe('refused');
    expect(next).toMatchObject({ kind: 'grant', lease: { runId: 'b', token: 2 } });
    expect((await store.budget(key))?.waiting).toEqual([]);
  });

  it('lets a lease whose holder died expire, and refuses the late holder its renewal', async () => {
    // Prepare
    const key: BudgetKey = { account: '777788889999', region: 'us-east-2' };
    const limits = { jobs: 1, servers: 10 };
    const dead = await store.acquire(ask(key, 'dead', 5), limits, NOW);
    if (dead.kind !== 'grant') throw new Error('expected a grant');
    // Act
    const taken = await store.acquire(ask(key, 'alive', 5), limits, NOW + ADMISSION_LEASE_MS + 1);
    const late = await store.renew(key, dead.lease.token, NOW + ADMISSION_LEASE_MS + 2);
    // Assess
    expect(taken).toMatchObject({ kind: 'grant', lease: { runId: 'alive', token: 2 } });
    expect(late.kind).toBe('refused');
    expect((await store.budget(key))?.leases.map((l) => l.runId)).toEqual(['alive']);
  });

  it('answers a budget nobody used with nothing, and refuses leases in it', async () => {
    // Prepare
    const key: BudgetKey = { account: '000011112222', region: 'us-east-2' };
    // Act & Assess
    expect(await store.budget(key)).toBeUndefined();
    expect((await store.renew(key, 1, NOW)).kind).toBe('refused');
    expect((await store.release(key, 1, NOW)).kind).toBe('refused');
    expect(await store.budget(key)).toBeUndefined();
  });
});
