import { Route53Client } from '@aws-sdk/client-route-53';
import { afterEach, describe, expect, it } from 'vitest';
import { Route53Adapter } from '../../../orchestrator/adapters/route53-adapter.ts';
import { AwsCallError, LifeboatError } from '../../../orchestrator/domain/errors.ts';
import type { DnsChangeRequest } from '../../../orchestrator/ports/aws.ts';
import { type LocalAccount, PRIMARY, startLocalAccount } from './local-account.ts';

const RECOVERY_ZONE = 'Z04BCBSAZUSE2';

let account: LocalAccount;
afterEach(() => account?.aws.stop());

async function connect(faults: string[] = []) {
  account = await startLocalAccount('bcbsaz', { faults });
  return new Route53Adapter(new Route53Client(await account.config(PRIMARY)), PRIMARY);
}

function aRecord(name: string, value: string): DnsChangeRequest {
  return { zoneId: RECOVERY_ZONE, name, type: 'A', ttl: 60, value };
}

describe('Route53Adapter', () => {
  it('finds the PRIMARY and SECONDARY failover sets of a plan record, and none for another name', async () => {
    const dns = await connect([]);
    expect((await dns.failoverSets(RECOVERY_ZONE, 'ora01.bcbsaz.hrp.internal')).sort()).toEqual([
      'PRIMARY',
      'SECONDARY',
    ]);
    expect(await dns.failoverSets(RECOVERY_ZONE, 'ora01-direct.bcbsaz.hrp.internal')).toEqual([]);
  });

  it('upserts a batch, which is PENDING, then INSYNC once the clock moves on', async () => {
    // Prepare
    const dns = await connect(['dns-slow:30']);
    const changes = [
      // Not the plan's names: those are failover records, which a simple record cannot replace.
      aRecord('ora01-direct.bcbsaz.hrp.internal', account.server('bcbsaz-ora-01').recovery.ip),
      aRecord('claims-direct.bcbsaz.hrp.internal', account.server('bcbsaz-app-01').recovery.ip),
    ];
    // Act
    const changeId = await dns.upsert(RECOVERY_ZONE, changes);
    const pending = await dns.changeStatus(changeId);
    account.aws.clock.advance(29_000);
    const stillPending = await dns.changeStatus(changeId);
    account.aws.clock.advance(1_000);
    const synced = await dns.changeStatus(changeId);
    // Assess
    expect(changeId).toMatch(/^C[0-9A-F]+$/);
    expect(pending).toEqual({ status: 'PENDING' });
    expect(stillPending).toEqual({ status: 'PENDING' });
    expect(synced).toEqual({ status: 'INSYNC' });
    const [truth] = account.aws.estate.truth.filter((e) => e.type === 'dns-change');
    expect(truth).toMatchObject({
      zoneId: RECOVERY_ZONE,
      changeId,
      changes: changes.map((c) => ({
        action: 'UPSERT',
        name: `${c.name}.`,
        type: 'A',
        ttl: 60,
        values: [c.value],
      })),
    });
  });

  it('knows which zones exist', async () => {
    const dns = await connect();
    expect(await dns.zoneExists(RECOVERY_ZONE)).toBe(true);
    expect(await dns.zoneExists('Z0NOSUCHZONE')).toBe(false);
  });

  it('reports a refused batch with Route 53’s problems, which the SDK leaves in the message', async () => {
    const dns = await connect();
    const error = await dns
      .upsert(RECOVERY_ZONE, [aRecord('ora01.bcbsaz.hrp.internal', 'not-an-ip')])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ code: 'InvalidChangeBatch', retryable: false });
    expect((error as Error).message).toContain('ARRDATAIllegalIPv4Address');
  });

  it('refuses a change meant for another zone before calling Route 53', async () => {
    const dns = await connect();
    const stray = { ...aRecord('ora01.bcbsaz.hrp.internal', '10.140.10.11'), zoneId: 'Z04X' };
    const error = await dns.upsert(RECOVERY_ZONE, [stray]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifeboatError);
    expect((error as Error).message).toContain('Z04X');
    expect(account.aws.estate.truth.some((e) => e.type === 'dns-change')).toBe(false);
  });
});
