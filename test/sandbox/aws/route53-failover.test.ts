import {
  type Change,
  ChangeResourceRecordSetsCommand,
  InvalidChangeBatch,
  InvalidInput,
  ListHealthChecksCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
  type Route53ServiceException,
} from '@aws-sdk/client-route-53';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { samplePlans, startSampleAws } from './harness.ts';
import * as world from './route53-world.ts';
import { failureOf, healthCheckIds, ORA01, PRIMARY_ZONE, RECOVERY_ZONE } from './route53-world.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let aws: LocalAws;
let plans: Plan[];
beforeEach(async () => {
  plans = await samplePlans();
  aws = await startSampleAws({ plans });
});
afterEach(() => aws.stop());

const route53As = (customerId = 'bcbsaz') => world.route53As(aws, plans, customerId);
const controlArn = (region: string) => world.controlArn(aws, region);
const ora01Ips = () => world.serverIps(plans, 'bcbsaz-ora-01');
const bcbsaz = () => world.planOf(plans);

async function recordSets(route53: Route53Client, zoneId: string, name: string) {
  const { ResourceRecordSets = [] } = await route53.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name }),
  );
  return ResourceRecordSets.filter((set) => set.Name === name);
}

function failoverSet(
  failover: 'PRIMARY' | 'SECONDARY',
  value: string,
  extra: Partial<ResourceRecordSet> = {},
): ResourceRecordSet {
  return {
    Name: 'new.bcbsaz.hrp.internal',
    Type: 'A',
    TTL: 60,
    SetIdentifier: failover === 'PRIMARY' ? 'one' : 'two',
    Failover: failover,
    ResourceRecords: [{ Value: value }],
    ...extra,
  };
}

describe('Route 53 failover record sets, seeded from the plan', () => {
  it('holds a RECOVERY_CONTROL health check per side on the customer’s routing control', async () => {
    // Prepare
    const route53 = await route53As();
    // Act
    const { HealthChecks = [] } = await route53.send(new ListHealthChecksCommand({}));
    // Assess
    expect(HealthChecks.map((c) => c.HealthCheckConfig?.RoutingControlArn).sort()).toEqual(
      [controlArn('us-east-1'), controlArn('us-east-2')].sort(),
    );
    for (const check of HealthChecks) {
      expect(check.Id).toMatch(UUID);
      expect(check.HealthCheckConfig?.Type).toBe('RECOVERY_CONTROL');
    }
  });

  it.each([PRIMARY_ZONE, RECOVERY_ZONE])(
    'holds in zone %s a PRIMARY at the primary value and a SECONDARY at the recovery value',
    async (zoneId) => {
      // Prepare
      const route53 = await route53As();
      const checks = await healthCheckIds(route53);
      // Act
      const ora01 = await recordSets(route53, zoneId, ORA01);
      const sqldw = await recordSets(route53, zoneId, 'sqldw.bcbsaz.hrp.internal.');
      // Assess
      expect(ora01).toEqual([
        {
          Name: ORA01,
          Type: 'A',
          SetIdentifier: 'lifeboat-primary',
          Failover: 'PRIMARY',
          TTL: 60,
          ResourceRecords: [{ Value: ora01Ips().primary }],
          HealthCheckId: checks[controlArn('us-east-1')],
        },
        {
          Name: ORA01,
          Type: 'A',
          SetIdentifier: 'lifeboat-recovery',
          Failover: 'SECONDARY',
          TTL: 60,
          ResourceRecords: [{ Value: ora01Ips().recovery }],
          HealthCheckId: checks[controlArn('us-east-2')],
        },
      ]);
      expect(sqldw.map((s) => [s.Type, s.Failover, s.ResourceRecords?.[0]?.Value])).toEqual([
        ['CNAME', 'PRIMARY', 'bcbsaz-dw-listener.use1.hrp.internal'],
        ['CNAME', 'SECONDARY', 'bcbsaz-dw-listener.use2.hrp.internal'],
      ]);
    },
  );

  it('keeps a record in change mode one simple record set at its primary value', async () => {
    // Prepare
    await aws.stop();
    const record = bcbsaz().dns?.records.find((r) => `${r.name}.` === ORA01);
    if (record) record.mode = 'change';
    aws = await startSampleAws({ plans });
    // Act
    const sets = await recordSets(await route53As(), RECOVERY_ZONE, ORA01);
    // Assess
    expect(sets).toEqual([
      { Name: ORA01, Type: 'A', TTL: 60, ResourceRecords: [{ Value: ora01Ips().primary }] },
    ]);
  });

  it('pages between the two sets of one name and type with NextRecordIdentifier', async () => {
    // Prepare
    const route53 = await route53As();
    // Act
    const first = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: PRIMARY_ZONE,
        StartRecordName: ORA01,
        StartRecordType: 'A',
        MaxItems: 1,
      }),
    );
    const second = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: PRIMARY_ZONE,
        StartRecordName: first.NextRecordName,
        StartRecordType: first.NextRecordType,
        StartRecordIdentifier: first.NextRecordIdentifier,
        MaxItems: 1,
      }),
    );
    // Assess
    expect(first.ResourceRecordSets?.map((s) => s.SetIdentifier)).toEqual(['lifeboat-primary']);
    expect([first.NextRecordName, first.NextRecordType, first.NextRecordIdentifier]).toEqual([
      ORA01,
      'A',
      'lifeboat-recovery',
    ]);
    expect(second.ResourceRecordSets?.map((s) => s.SetIdentifier)).toEqual(['lifeboat-recovery']);
    expect(second.NextRecordName).toBe('ora02.bcbsaz.hrp.internal.');
    expect(second.NextRecordIdentifier).toBe('lifeboat-primary');
  });
});

describe('Route 53 failover validation', () => {
  it('answers InvalidInput for a Failover without SetIdentifier', async () => {
    // Prepare
    const route53 = await route53As();
    const { SetIdentifier: _, ...set } = failoverSet('SECONDARY', '10.1.1.1');
    // Act
    const error = await failureOf(
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: PRIMARY_ZONE,
          ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: set }] },
        }),
      ),
    );
    // Assess
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as Error).message).toContain("Missing field 'SetIdentifier'");
  });

  it.each<[string, (checks: Record<string, string>) => Change[], string[]]>([
    [
      'a PRIMARY without a health check',
      () => [{ Action: 'CREATE', ResourceRecordSet: failoverSet('PRIMARY', '10.1.1.1') }],
      ['A non-alias primary ResourceRecordSet must have an associated health check'],
    ],
    [
      'a simple record set beside failover ones of the same name and type',
      () => [
        {
          Action: 'CREATE',
          ResourceRecordSet: {
            Name: ORA01,
            Type: 'A',
            TTL: 60,
            ResourceRecords: [{ Value: '10.1.1.1' }],
          },
        },
      ],
      [`RRSet with DNS name ${ORA01}, type A cannot be created as other RRSets exist`],
    ],
    [
      'a failover record set beside a simple one',
      () => [
        {
          Action: 'CREATE',
          ResourceRecordSet: {
            Name: 'new.bcbsaz.hrp.internal',
            Type: 'A',
            TTL: 60,
            ResourceRecords: [{ Value: '10.1.1.1' }],
          },
        },
        { Action: 'CREATE', ResourceRecordSet: failoverSet('SECONDARY', '10.1.1.2') },
      ],
      [
        'RRSet with DNS name new.bcbsaz.hrp.internal., type A, SetIdentifier two cannot be created as a non-weighted set exists',
      ],
    ],
    [
      'a second PRIMARY of one name and type',
      (checks) => [
        {
          Action: 'CREATE',
          ResourceRecordSet: {
            ...failoverSet('PRIMARY', '10.1.1.1'),
            Name: ORA01,
            SetIdentifier: 'another',
            HealthCheckId: checks[controlArn('us-east-1')],
          },
        },
      ],
      [
        `RRSet with DNS name ${ORA01}, type A, SetIdentifier another cannot be created as a PRIMARY failover RRSet (SetIdentifier lifeboat-primary) exists`,
      ],
    ],
  ])('refuses %s as InvalidChangeBatch, and applies none of it', async (_, changes, problems) => {
    // Prepare
    const route53 = await route53As();
    const checks = await healthCheckIds(route53);
    // Act
    const error = await failureOf(
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: PRIMARY_ZONE,
          ChangeBatch: { Changes: changes(checks) },
        }),
      ),
    );
    // Assess
    expect(error).toBeInstanceOf(InvalidChangeBatch);
    for (const problem of problems) expect((error as Error).message).toContain(problem);
    expect(aws.estate.truth.filter((e) => e.type === 'dns-change')).toEqual([]);
  });

  it.each([
    ['an unknown health check', () => '11111111-2222-3333-4444-555555555555'],
    ['another account’s health check', () => 'other'],
  ])('answers NoSuchHealthCheck (404) for %s', async (_, idOf) => {
    // Prepare
    const route53 = await route53As();
    const other = await healthCheckIds(await route53As('dmnt'));
    const id = idOf() === 'other' ? (Object.values(other)[0] ?? '') : idOf();
    // Act
    const error = await failureOf(
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: PRIMARY_ZONE,
          ChangeBatch: {
            Changes: [
              {
                Action: 'CREATE',
                ResourceRecordSet: failoverSet('PRIMARY', '10.1.1.1', { HealthCheckId: id }),
              },
            ],
          },
        }),
      ),
    );
    // Assess
    expect((error as Route53ServiceException).name).toBe('NoSuchHealthCheck');
    expect((error as Route53ServiceException).$metadata.httpStatusCode).toBe(404);
  });

  it('accepts a whole failover pair with its health checks', async () => {
    // Prepare
    const route53 = await route53As();
    const checks = await healthCheckIds(route53);
    // Act
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: PRIMARY_ZONE,
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: failoverSet('PRIMARY', '10.1.1.1', {
                HealthCheckId: checks[controlArn('us-east-1')],
              }),
            },
            { Action: 'CREATE', ResourceRecordSet: failoverSet('SECONDARY', '10.1.1.2') },
          ],
        },
      }),
    );
    // Assess
    const sets = await recordSets(route53, PRIMARY_ZONE, 'new.bcbsaz.hrp.internal.');
    expect(sets.map((s) => [s.SetIdentifier, s.Failover])).toEqual([
      ['one', 'PRIMARY'],
      ['two', 'SECONDARY'],
    ]);
  });
});
