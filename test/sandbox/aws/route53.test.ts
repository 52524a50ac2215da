import {
  type Change,
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  InvalidChangeBatch,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  NoSuchHostedZone,
  type ResourceRecordSet,
  Route53Client,
  Route53ServiceException,
} from '@aws-sdk/client-route-53';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { assumeCustomer, clientConfig, samplePlans, startSampleAws } from './harness.ts';

const PRIMARY_ZONE = 'Z04BCBSAZUSE1';
const RECOVERY_ZONE = 'Z04BCBSAZUSE2';
const ORA01 = 'ora01.bcbsaz.hrp.internal.';

let aws: LocalAws;
let plans: Plan[];
beforeEach(async () => {
  plans = await samplePlans();
  // The control-plane tests rewrite ora01: a simple record, as a plan record in change mode is.
  const ora01 = planOf('bcbsaz').dns?.records.find((r) => `${r.name}.` === ORA01);
  if (ora01) ora01.mode = 'change';
  aws = await startSampleAws({ plans });
});
afterEach(() => aws.stop());

function planOf(customerId: string): Plan {
  const plan = plans.find((p) => p.customer.id === customerId);
  if (!plan) throw new Error(`no sample plan ${customerId}`);
  return plan;
}

async function route53As(customerId: string): Promise<Route53Client> {
  const credentials = await assumeCustomer(aws, planOf(customerId));
  return new Route53Client(clientConfig(aws, 'us-east-1', credentials));
}

function ipsOf(serverName: string): { primary: string; recovery: string } {
  const server = planOf('bcbsaz').servers.find((s) => s.name === serverName);
  if (!server) throw new Error(`no server ${serverName}`);
  return { primary: server.primary.ip, recovery: server.recovery.ip };
}

function aRecord(name: string, value: string, ttl = 60): ResourceRecordSet {
  return { Name: name, Type: 'A', TTL: ttl, ResourceRecords: [{ Value: value }] };
}

function upsertOra01(route53: Route53Client, zoneId = RECOVERY_ZONE) {
  return route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: [
          { Action: 'UPSERT', ResourceRecordSet: aRecord(ORA01, ipsOf('bcbsaz-ora-01').recovery) },
        ],
      },
    }),
  );
}

/** Every page of a zone's records, following NextRecordName/NextRecordType/NextRecordIdentifier. */
async function listPages(route53: Route53Client, zoneId: string, maxItems: number) {
  const pages: ResourceRecordSet[][] = [];
  let from: {
    StartRecordName?: string;
    StartRecordType?: ResourceRecordSet['Type'];
    StartRecordIdentifier?: string;
  } = {};
  for (let i = 0; i < 50; i++) {
    const page = await route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: maxItems, ...from }),
    );
    pages.push(page.ResourceRecordSets ?? []);
    if (!page.IsTruncated) return pages;
    from = {
      StartRecordName: page.NextRecordName,
      StartRecordType: page.NextRecordType,
      StartRecordIdentifier: page.NextRecordIdentifier,
    };
  }
  throw new Error('pagination never ended');
}

async function recordsOf(route53: Route53Client, zoneId: string): Promise<ResourceRecordSet[]> {
  return (await listPages(route53, zoneId, 300)).flat();
}

function recordValue(records: ResourceRecordSet[], name: string, type = 'A'): string | undefined {
  return records.find((r) => r.Name === name && r.Type === type)?.ResourceRecords?.[0]?.Value;
}

async function statusOf(route53: Route53Client, changeId: string): Promise<string | undefined> {
  return (await route53.send(new GetChangeCommand({ Id: changeId }))).ChangeInfo?.Status;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

describe('Route 53 hosted zones', () => {
  it('lists the two private zones of a customer, named after the records’ common suffix', async () => {
    // Prepare
    const route53 = await route53As('bcbsaz');
    // Act
    const { HostedZones, IsTruncated } = await route53.send(new ListHostedZonesCommand({}));
    // Assess
    expect(IsTruncated).toBe(false);
    expect(HostedZones?.map((z) => [z.Id, z.Name, z.Config?.PrivateZone])).toEqual([
      [`/hostedzone/${PRIMARY_ZONE}`, 'bcbsaz.hrp.internal.', true],
      [`/hostedzone/${RECOVERY_ZONE}`, 'bcbsaz.hrp.internal.', true],
    ]);
  });

  it('pages through the zones with Marker and MaxItems', async () => {
    // Prepare
    const route53 = await route53As('bcbsaz');
    // Act
    const first = await route53.send(new ListHostedZonesCommand({ MaxItems: 1 }));
    const second = await route53.send(
      new ListHostedZonesCommand({ MaxItems: 1, Marker: first.NextMarker }),
    );
    // Assess
    expect([first.IsTruncated, first.NextMarker, first.MaxItems]).toEqual([true, RECOVERY_ZONE, 1]);
    expect(first.HostedZones?.map((z) => z.Id)).toEqual([`/hostedzone/${PRIMARY_ZONE}`]);
    expect(second.IsTruncated).toBe(false);
    expect(second.HostedZones?.map((z) => z.Id)).toEqual([`/hostedzone/${RECOVERY_ZONE}`]);
  });

  it('shows another account only its own zones', async () => {
    // Prepare
    const route53 = await route53As('dmnt');
    // Act
    const { HostedZones } = await route53.send(new ListHostedZonesCommand({}));
    // Assess
    expect(HostedZones?.map((z) => z.Id)).toEqual([
      '/hostedzone/Z06DMNTUSW1',
      '/hostedzone/Z06DMNTUSW2',
    ]);
  });

  it('gets a zone by the Id ListHostedZones returned, with its VPC in the side’s region', async () => {
    // Prepare
    const route53 = await route53As('bcbsaz');
    const { HostedZones } = await route53.send(new ListHostedZonesCommand({}));
    // Act
    const zone = await route53.send(new GetHostedZoneCommand({ Id: HostedZones?.[1]?.Id }));
    // Assess
    expect(zone.HostedZone?.Id).toBe(`/hostedzone/${RECOVERY_ZONE}`);
    expect(zone.VPCs?.map((v) => v.VPCRegion)).toEqual(['us-east-2']);
    // SOA, NS, ora01 simple, and a PRIMARY and a SECONDARY for each of the 9 other records.
    expect(zone.HostedZone?.ResourceRecordSetCount).toBe(21);
  });

  it.each([
    ['an unknown zone', 'dmnt', 'Z99NOSUCHZONE'],
    ['another account’s zone', 'dmnt', PRIMARY_ZONE],
  ])('answers NoSuchHostedZone (404) for %s', async (_, customerId, zoneId) => {
    // Prepare
    const route53 = await route53As(customerId);
    // Act
    const error = await failureOf(
      route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId })),
    );
    // Assess
    expect(error).toBeInstanceOf(NoSuchHostedZone);
    expect((error as NoSuchHostedZone).$metadata.httpStatusCode).toBe(404);
  });
});

describe('Route 53 record sets', () => {
  it('seeds every plan record (a failover pair, or a simple record in change mode), listed in Route 53’s order page by page', async () => {
    // Prepare
    const route53 = await route53As('bcbsaz');
    // Labels reversed, a deeper name sorts right after its parent: not where plain sorting puts it.
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: PRIMARY_ZONE,
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: aRecord('x.sftp.bcbsaz.hrp.internal', '10.40.9.9'),
            },
          ],
        },
      }),
    );
    // Act
    const pages = await listPages(route53, PRIMARY_ZONE, 1);
    // Assess
    const records = pages.flat();
    expect(pages.every((page) => page.length === 1)).toBe(true);
    const pair = (name: string) => [`${name} lifeboat-primary`, `${name} lifeboat-recovery`];
    expect(
      records.map((r) => `${r.Name} ${r.Type}${r.SetIdentifier ? ` ${r.SetIdentifier}` : ''}`),
    ).toEqual([
      'bcbsaz.hrp.internal. NS',
      'bcbsaz.hrp.internal. SOA',
      ...pair('claims.bcbsaz.hrp.internal. A'),
      ...pair('moveit.bcbsaz.hrp.internal. A'),
      ...pair('mq.bcbsaz.hrp.internal. A'),
      ...pair('ods.bcbsaz.hrp.internal. A'),
      'ora01.bcbsaz.hrp.internal. A',
      ...pair('ora02.bcbsaz.hrp.internal. A'),
      ...pair('ora04.bcbsaz.hrp.internal. A'),
      ...pair('sftp.bcbsaz.hrp.internal. A'),
      'x.sftp.bcbsaz.hrp.internal. A',
      ...pair('sqldw.bcbsaz.hrp.internal. CNAME'),
      ...pair('webui.bcbsaz.hrp.internal. CNAME'),
    ]);
    expect(recordValue(records, ORA01)).toBe(ipsOf('bcbsaz-ora-01').primary);
    expect(recordValue(records, 'sqldw.bcbsaz.hrp.internal.', 'CNAME')).toBe(
      'bcbsaz-dw-listener.use1.hrp.internal',
    );
  });

  it('starts a page at StartRecordName, and with a small MaxItems says where the next begins', async () => {
    // Prepare
    const route53 = await route53As('bcbsaz');
    // Act
    const page = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: RECOVERY_ZONE,
        StartRecordName: 'ods.bcbsaz.hrp.internal',
        MaxItems: 2,
      }),
    );
    // Assess
    expect(page.ResourceRecordSets?.map((r) => [r.Name, r.SetIdentifier])).toEqual([
      ['ods.bcbsaz.hrp.internal.', 'lifeboat-primary'],
      ['ods.bcbsaz.hrp.internal.', 'lifeboat-recovery'],
    ]);
    expect([
      page.IsTruncated,
      page.NextRecordName,
      page.NextRecordType,
      page.NextRecordIdentifier,
    ]).toEqual([true, ORA01, 'A', undefined]);
  });
});

describe('Route 53 changes', () => {
  it('UPSERTs a record in one zone; the change is PENDING, then INSYNC once it propagates', async () => {
    // Prepare
    const route53 = await route53As('bcbsaz');
    // Act
    const { ChangeInfo } = await upsertOra01(route53);
    const id = ChangeInfo?.Id ?? '';
    const justAfter = await statusOf(route53, id);
    aws.clock.advance(1_000);
    const afterOneSecond = await statusOf(route53, id);
    aws.clock.advance(8_000);
    const afterNineSeconds = await statusOf(route53, id);
    // Assess
    expect(id).toMatch(/^\/change\/C[0-9A-Z]+$/);
    expect(ChangeInfo?.Status).toBe('PENDING');
    expect([justAfter, afterOneSecond, afterNineSeconds]).toEqual(['PENDING', 'PENDING', 'INSYNC']);
    expect(recordValue(await recordsOf(route53, RECOVERY_ZONE), ORA01)).toBe(
      ipsOf('bcbsaz-ora-01').recovery,
    );
    expect(recordValue(await recordsOf(route53, PRIMARY_ZONE), ORA01)).toBe(
      ipsOf('bcbsaz-ora-01').primary,
    );
  });

  it('records the applied change as ground truth, with when it went INSYNC', async () => {
    // Prepare
    const route53 = await route53As('bcbsaz');
    // Act
    const { ChangeInfo } = await upsertOra01(route53);
    // Assess
    const [truth] = aws.estate.truth.filter((e) => e.type === 'dns-change');
    expect(truth).toMatchObject({
      account: planOf('bcbsaz').account.id,
      zoneId: RECOVERY_ZONE,
      changeId: ChangeInfo?.Id?.replace('/change/', ''),
      changes: [
        { action: 'UPSERT', name: ORA01, type: 'A', values: [ipsOf('bcbsaz-ora-01').recovery] },
      ],
    });
    const insyncAt = Date.parse(String(truth?.insyncAt));
    aws.clock.advance(insyncAt - aws.clock.now() - 1);
    expect(await statusOf(route53, ChangeInfo?.Id ?? '')).toBe('PENDING');
    aws.clock.advance(1);
    expect(await statusOf(route53, ChangeInfo?.Id ?? '')).toBe('INSYNC');
  });

  it('keeps a change PENDING for as long as the dns-slow fault says', async () => {
    // Prepare
    aws.faults.add('dns-slow:120');
    const route53 = await route53As('bcbsaz');
    const { ChangeInfo } = await upsertOra01(route53);
    // Act
    aws.clock.advance(119_999);
    const before = await statusOf(route53, ChangeInfo?.Id ?? '');
    aws.clock.advance(1);
    const after = await statusOf(route53, ChangeInfo?.Id ?? '');
    // Assess
    expect([before, after]).toEqual(['PENDING', 'INSYNC']);
  });

  it.each<[string, Change[], string[]]>([
    [
      'a DELETE of a missing record and a CREATE of an existing one',
      [
        { Action: 'UPSERT', ResourceRecordSet: aRecord('mq.bcbsaz.hrp.internal', '10.140.20.11') },
        { Action: 'DELETE', ResourceRecordSet: aRecord('nosuch.bcbsaz.hrp.internal', '10.1.1.1') },
        { Action: 'CREATE', ResourceRecordSet: aRecord(ORA01, '10.140.10.11') },
      ],
      [
        "Tried to delete resource record set [name='nosuch.bcbsaz.hrp.internal.', type='A'] but it was not found",
        `Tried to create resource record set [name='${ORA01}', type='A'] but it already exists`,
      ],
    ],
    [
      'a DELETE whose values do not match',
      [{ Action: 'DELETE', ResourceRecordSet: aRecord(ORA01, '10.40.10.99') }],
      ['but the values provided do not match the current values'],
    ],
    [
      'a name outside the zone',
      [{ Action: 'UPSERT', ResourceRecordSet: aRecord('ora01.dmnt.hrp.internal', '10.1.1.1') }],
      [
        'RRSet with DNS name ora01.dmnt.hrp.internal. is not permitted in zone bcbsaz.hrp.internal.',
      ],
    ],
    [
      'a CNAME beside an A record',
      [
        {
          Action: 'CREATE',
          ResourceRecordSet: {
            Name: ORA01,
            Type: 'CNAME',
            TTL: 60,
            ResourceRecords: [{ Value: 'ora01.use2.hrp.internal' }],
          },
        },
      ],
      [`RRSet of type CNAME with DNS name ${ORA01} is not permitted as it conflicts`],
    ],
  ])(
    'refuses a batch with %s as InvalidChangeBatch, and applies none of it',
    async (_, Changes, problems) => {
      // Prepare
      const route53 = await route53As('bcbsaz');
      const before = await recordsOf(route53, PRIMARY_ZONE);
      // Act
      const error = await failureOf(
        route53.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: PRIMARY_ZONE,
            ChangeBatch: { Changes },
          }),
        ),
      );
      // Assess
      expect(error).toBeInstanceOf(InvalidChangeBatch);
      expect((error as InvalidChangeBatch).$metadata.httpStatusCode).toBe(400);
      for (const problem of problems) expect((error as Error).message).toContain(problem);
      expect(await recordsOf(route53, PRIMARY_ZONE)).toEqual(before);
      expect(aws.estate.truth.filter((e) => e.type === 'dns-change')).toEqual([]);
    },
  );

  it('allows a DELETE and a CREATE of the same record in one batch', async () => {
    // Prepare
    const route53 = await route53As('bcbsaz');
    const { primary, recovery } = ipsOf('bcbsaz-ora-01');
    // Act
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: PRIMARY_ZONE,
        ChangeBatch: {
          Changes: [
            { Action: 'DELETE', ResourceRecordSet: aRecord(ORA01, primary) },
            { Action: 'CREATE', ResourceRecordSet: aRecord(ORA01, recovery, 30) },
          ],
        },
      }),
    );
    // Assess
    const records = await recordsOf(route53, PRIMARY_ZONE);
    expect(records.find((r) => r.Name === ORA01)).toMatchObject({ TTL: 30 });
    expect(recordValue(records, ORA01)).toBe(recovery);
  });

  it('answers NoSuchChange (404) for a change of another account', async () => {
    // Prepare
    const { ChangeInfo } = await upsertOra01(await route53As('bcbsaz'));
    const other = await route53As('dmnt');
    // Act
    const error = await failureOf(other.send(new GetChangeCommand({ Id: ChangeInfo?.Id })));
    // Assess
    expect(error).toBeInstanceOf(NoSuchChange);
    expect((error as NoSuchChange).$metadata.httpStatusCode).toBe(404);
  });
});

describe('Route 53 faults', () => {
  it('answers every call with 503 ServiceUnavailable while route53-down is set', async () => {
    // Prepare
    const route53 = await route53As('bcbsaz');
    aws.faults.add('route53-down');
    // Act
    const down = await failureOf(route53.send(new ListHostedZonesCommand({})));
    const change = await failureOf(upsertOra01(route53));
    aws.faults.remove('route53-down');
    const back = await route53.send(new ListHostedZonesCommand({}));
    // Assess
    for (const error of [down, change]) {
      expect(error).toBeInstanceOf(Route53ServiceException);
      expect((error as Route53ServiceException).name).toBe('ServiceUnavailable');
      expect((error as Route53ServiceException).$metadata.httpStatusCode).toBe(503);
    }
    expect(back.HostedZones).toHaveLength(2);
    expect(aws.estate.truth.filter((e) => e.type === 'dns-change')).toEqual([]);
  });

  it('throttles with Route 53’s own Throttling error', async () => {
    // Prepare
    const route53 = await route53As('bcbsaz');
    aws.faults.add('throttle:1:route53');
    // Act
    const error = await failureOf(route53.send(new ListHostedZonesCommand({})));
    // Assess
    expect((error as Route53ServiceException).name).toBe('Throttling');
    expect((error as Route53ServiceException).$metadata.httpStatusCode).toBe(400);
  });
});
