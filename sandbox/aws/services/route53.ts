import { isIPv4 } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import type { DnsRecord, Plan } from '../../../orchestrator/domain/plan.ts';
import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import {
  requestId,
  type SimRequest,
  type SimResponse,
  type SimService,
  toXml,
  type XmlValue,
} from '../protocol.ts';

const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';

/** Route 53's limits on `maxitems`, which are also its defaults. */
const MAX_ZONES = 100;
const MAX_RECORD_SETS = 300;

const ROUTES: readonly { method: string; path: RegExp; operation: string }[] = [
  { method: 'GET', path: /^\/2013-04-01\/hostedzone\/?$/, operation: 'ListHostedZones' },
  { method: 'GET', path: /^\/2013-04-01\/hostedzone\/([^/]+)\/?$/, operation: 'GetHostedZone' },
  {
    method: 'POST',
    path: /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/,
    operation: 'ChangeResourceRecordSets',
  },
  {
    method: 'GET',
    path: /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/,
    operation: 'ListResourceRecordSets',
  },
  { method: 'GET', path: /^\/2013-04-01\/change\/([^/]+)\/?$/, operation: 'GetChange' },
];

const RECORD_TYPES = [
  'A',
  'AAAA',
  'CAA',
  'CNAME',
  'DS',
  'HTTPS',
  'MX',
  'NAPTR',
  'NS',
  'PTR',
  'SOA',
  'SPF',
  'SRV',
  'SSHFP',
  'SVCB',
  'TLSA',
  'TXT',
] as const;

/** A simple-routing record set; names are lower case with the trailing dot, as Route 53 returns them. */
interface RecordSet {
  name: string;
  type: string;
  ttl: number;
  values: string[];
}

interface HostedZone {
  id: string;
  account: string;
  name: string;
  region: string;
  vpcId: string;
  comment: string;
  records: Map<string, RecordSet>;
}

interface ChangeInfo {
  id: string;
  account: string;
  submittedAt: number;
  insyncAt: number;
  comment?: string;
}

/** The parsed request body; single-element lists must stay lists. */
const ResourceRecordSetXmlSchema = z
  .strictObject({
    Name: z.string().min(1),
    Type: z.enum(RECORD_TYPES),
    TTL: z.coerce.number().int().min(0).max(2_147_483_647).optional(),
    ResourceRecords: z
      .strictObject({ ResourceRecord: z.array(z.strictObject({ Value: z.string().min(1) })) })
      .optional(),
  })
  .refine((set) => set.TTL !== undefined && set.ResourceRecords !== undefined, {
    message: 'Expected all of [TTL, and ResourceRecords]; the local Route 53 has no alias records',
  });

const ChangeBatchXmlSchema = z.object({
  ChangeResourceRecordSetsRequest: z.object({
    ChangeBatch: z.object({
      Comment: z.string().optional(),
      Changes: z.object({
        Change: z
          .array(
            z.strictObject({
              Action: z.enum(['CREATE', 'UPSERT', 'DELETE']),
              ResourceRecordSet: ResourceRecordSetXmlSchema,
            }),
          )
          .min(1),
      }),
    }),
  }),
});

type Action = 'CREATE' | 'UPSERT' | 'DELETE';

interface Change {
  action: Action;
  set: RecordSet;
}

const parser = new XMLParser({
  parseTagValue: false,
  isArray: (tag) => tag === 'Change' || tag === 'ResourceRecord',
});

/**
 * Route 53 (REST-XML, a global service): the private hosted zones of the customers' plans, record
 * changes validated as one batch, changes PENDING until they propagate on the virtual clock.
 */
export class Route53Service implements SimService {
  readonly signingName = 'route53';
  private readonly zones = new Map<string, HostedZone>();
  private readonly changes = new Map<string, ChangeInfo>();

  constructor(readonly estate: Estate) {
    for (const plan of estate.plans) {
      for (const zone of this.zonesOf(plan)) this.zones.set(zone.id, zone);
    }
  }

  operationOf(req: SimRequest): string {
    return routeOf(req)?.operation ?? `${req.method} ${req.path}`;
  }

  handle(req: SimRequest, operation: string): SimResponse {
    if (this.estate.deps.faults.of('route53-down').length > 0)
      throw new AwsError(
        'ServiceUnavailable',
        'Route 53 is unavailable (simulated route53-down fault); retry later.',
        503,
      );
    const id = decodeURIComponent(routeOf(req)?.id ?? '');
    switch (operation) {
      case 'ListHostedZones':
        return this.listHostedZones(req);
      case 'GetHostedZone':
        return this.getHostedZone(this.zone(req.account, id));
      case 'ChangeResourceRecordSets':
        return this.changeRecordSets(req, this.zone(req.account, id));
      case 'ListResourceRecordSets':
        return listRecordSets(req.query, this.zone(req.account, id));
      case 'GetChange':
        return this.getChange(req.account, id);
      default:
        throw new AwsError(
          'NotImplemented',
          `The local Route 53 does not simulate ${operation}; it answers ${ROUTES.map((r) => r.operation).join(', ')}.`,
          501,
        );
    }
  }

  renderError(error: AwsError): SimResponse {
    const fields = {
      Type: error.status >= 500 ? 'Receiver' : 'Sender',
      Code: error.code,
      Message: error.message,
    };
    return {
      status: error.status,
      headers: { 'content-type': 'text/xml' },
      body: `<?xml version="1.0"?>\n<ErrorResponse xmlns="${NS}"><Error>${toXml(fields)}</Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
    };
  }

  throttlingError(): AwsError {
    return new AwsError('Throttling', 'Rate exceeded', 400);
  }

  /** Both sides' private zones, each holding every record at its primary value. */
  private zonesOf(plan: Plan): HostedZone[] {
    const { dns } = plan;
    if (!dns) return [];
    const name = zoneNameOf(plan);
    return (['primary', 'recovery'] as const).map((side) => {
      const region = plan.regions[side];
      return {
        id: dns.zones[side],
        account: plan.account.id,
        name,
        region,
        vpcId: `vpc-${this.estate.deps.random.hex(`vpc:${plan.account.id}:${region}`, 17)}`,
        comment: `${plan.customer.name}, ${side} side`,
        records: new Map(seedRecordSets(plan, name).map((set) => [keyOf(set), set])),
      };
    });
  }

  private zone(account: string, id: string): HostedZone {
    const zone = this.zones.get(id);
    if (!zone || zone.account !== account)
      throw new AwsError('NoSuchHostedZone', `No hosted zone found with ID: ${id}`, 404);
    return zone;
  }

  private listHostedZones(req: SimRequest): SimResponse {
    const maxItems = maxItemsOf(req.query, MAX_ZONES);
    const marker = req.query.get('marker') ?? undefined;
    const zones = [...this.zones.values()]
      .filter((zone) => zone.account === req.account)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const start = marker === undefined ? 0 : zones.filter((zone) => zone.id < marker).length;
    const next = zones[start + maxItems];
    return xmlResponse('ListHostedZonesResponse', {
      HostedZones: zones.slice(start, start + maxItems).map(hostedZoneXml),
      Marker: marker,
      IsTruncated: next !== undefined,
      NextMarker: next?.id,
      MaxItems: maxItems,
    });
  }

  private getHostedZone(zone: HostedZone): SimResponse {
    return xmlResponse('GetHostedZoneResponse', {
      HostedZone: hostedZoneXml(zone),
      VPCs: [{ VPCRegion: zone.region, VPCId: zone.vpcId }],
    });
  }

  /** All or nothing: every change is checked against the zone as the changes before it left it. */
  private changeRecordSets(req: SimRequest, zone: HostedZone): SimResponse {
    const { changes, comment } = parseChangeBatch(req.body);
    const records = new Map(zone.records);
    const problems = changes.flatMap((change) => applyChange(records, zone.name, change));
    problems.push(...cnameConflicts(records, zone.name, changes));
    if (problems.length > 0)
      throw new AwsError('InvalidChangeBatch', `[${problems.join(', ')}]`, 400);
    zone.records = records;
    const change = this.submitChange(req.account, comment);
    this.estate.record('dns-change', {
      account: req.account,
      zoneId: zone.id,
      changeId: change.id,
      changes: changes.map(({ action, set }) => ({ action, ...set })),
      insyncAt: new Date(change.insyncAt).toISOString(),
    });
    return xmlResponse('ChangeResourceRecordSetsResponse', {
      ChangeInfo: changeInfoXml(change, this.estate.now()),
    });
  }

  private submitChange(account: string, comment: string | undefined): ChangeInfo {
    const submittedAt = this.estate.now();
    const id = `C${this.estate.deps.random.hex(`route53-change:${this.changes.size}`, 13).toUpperCase()}`;
    const change = {
      id,
      account,
      submittedAt,
      insyncAt: submittedAt + this.propagationSeconds(id) * 1000,
      ...(comment === undefined ? {} : { comment }),
    };
    this.changes.set(id, change);
    return change;
  }

  /** A few seconds, or as long as the slowest `dns-slow` fault says. */
  private propagationSeconds(changeId: string): number {
    const slow = this.estate.deps.faults.of('dns-slow');
    if (slow.length > 0) return Math.max(...slow.map((fault) => fault.seconds));
    return this.estate.deps.random.between(`route53-insync:${changeId}`, 2, 8);
  }

  private getChange(account: string, id: string): SimResponse {
    const change = this.changes.get(id);
    if (!change || change.account !== account)
      throw new AwsError(
        'NoSuchChange',
        `A change with the specified change ID does not exist: ${id}`,
        404,
      );
    return xmlResponse('GetChangeResponse', {
      ChangeInfo: changeInfoXml(change, this.estate.now()),
    });
  }
}

function routeOf(req: SimRequest): { operation: string; id?: string } | undefined {
  for (const route of ROUTES) {
    const match = route.method === req.method ? route.path.exec(req.path) : null;
    if (match) return { operation: route.operation, ...(match[1] ? { id: match[1] } : {}) };
  }
  return undefined;
}

/** The longest DNS suffix common to the plan's record names, or a name after the customer. */
function zoneNameOf(plan: Plan): string {
  const [first, ...rest] = (plan.dns?.records ?? []).map((r) => r.name.split('.').reverse());
  let common = first ?? [];
  for (const labels of rest) {
    const differ = common.findIndex((label, i) => label !== labels[i]);
    if (differ >= 0) common = common.slice(0, differ);
  }
  if (common.length === 0)
    return `${plan.customer.id}.${plan.customer.productLine.toLowerCase()}.internal.`;
  return `${common.toReversed().join('.')}.`;
}

function seedRecordSets(plan: Plan, zoneName: string): RecordSet[] {
  const apex: RecordSet[] = [
    {
      name: zoneName,
      type: 'SOA',
      ttl: 900,
      values: ['ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400'],
    },
    {
      name: zoneName,
      type: 'NS',
      ttl: 172_800,
      values: [
        'ns-1536.awsdns-00.co.uk.',
        'ns-0.awsdns-00.com.',
        'ns-1024.awsdns-00.org.',
        'ns-512.awsdns-00.net.',
      ],
    },
  ];
  const planned = (plan.dns?.records ?? []).flatMap((record) => {
    const value = primaryValueOf(plan, record);
    const type = record.server ? 'A' : record.type;
    return value ? [{ name: fqdn(record.name), type, ttl: record.ttl, values: [value] }] : [];
  });
  return [...apex, ...planned];
}

function primaryValueOf(plan: Plan, record: DnsRecord): string | undefined {
  if (!record.server) return record.primary;
  return plan.servers.find((server) => server.name === record.server)?.primary.ip;
}

function fqdn(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function keyOf(set: { name: string; type: string }): string {
  return `${set.name} ${set.type}`;
}

/** Route 53's listing order: by name with its labels reversed (trailing dot kept), then type. */
function compareRecordSets(a: { name: string; type: string }, b: { name: string; type: string }) {
  const [ka, kb] = [reversedName(a.name), reversedName(b.name)];
  if (ka !== kb) return ka < kb ? -1 : 1;
  if (a.type === b.type) return 0;
  return a.type < b.type ? -1 : 1;
}

function reversedName(name: string): string {
  return `${name.replace(/\.$/, '').split('.').reverse().join('.')}.`;
}

function maxItemsOf(query: URLSearchParams, limit: number): number {
  const text = query.get('maxitems');
  if (text === null) return limit;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1)
    throw new AwsError('InvalidInput', `maxitems must be a whole number from 1, not "${text}".`);
  return Math.min(count, limit);
}

/** From `name` (and `type`) on, as many as `maxitems`; the next page starts at NextRecordName/Type. */
function listRecordSets(query: URLSearchParams, zone: HostedZone): SimResponse {
  const maxItems = maxItemsOf(query, MAX_RECORD_SETS);
  const name = query.get('name');
  const type = query.get('type');
  if (type !== null && name === null)
    throw new AwsError(
      'InvalidInput',
      'A type is given without a name: give both, or a name only.',
    );
  const from = name === null ? undefined : { name: fqdn(name), type: type ?? '' };
  const sets = [...zone.records.values()]
    .sort(compareRecordSets)
    .filter((set) => !from || compareRecordSets(set, from) >= 0);
  const next = sets[maxItems];
  return xmlResponse('ListResourceRecordSetsResponse', {
    ResourceRecordSets: sets.slice(0, maxItems).map(recordSetXml),
    IsTruncated: next !== undefined,
    NextRecordName: next?.name,
    NextRecordType: next?.type,
    MaxItems: maxItems,
  });
}

function parseChangeBatch(body: string): { changes: Change[]; comment?: string } {
  let parsed: z.infer<typeof ChangeBatchXmlSchema>;
  try {
    parsed = ChangeBatchXmlSchema.parse(parser.parse(body));
  } catch (error) {
    const why = error instanceof z.ZodError ? z.prettifyError(error) : String(error);
    throw new AwsError('InvalidInput', `Invalid ChangeResourceRecordSetsRequest: ${why}`);
  }
  const { Changes, Comment } = parsed.ChangeResourceRecordSetsRequest.ChangeBatch;
  const changes = Changes.Change.map(({ Action, ResourceRecordSet: set }) => ({
    action: Action,
    set: {
      name: fqdn(set.Name),
      type: set.Type,
      ttl: set.TTL ?? 0,
      values: (set.ResourceRecords?.ResourceRecord ?? []).map((record) => record.Value),
    },
  }));
  return { changes, ...(Comment === undefined ? {} : { comment: Comment }) };
}

/** Applies one change to the draft records; answers what is wrong with it, if anything. */
function applyChange(records: Map<string, RecordSet>, zoneName: string, change: Change): string[] {
  const { action, set } = change;
  const problems = problemsOf(set, zoneName);
  if (problems.length > 0) return problems;
  const current = records.get(keyOf(set));
  const tried = `Tried to ${action.toLowerCase()} resource record set [name='${set.name}', type='${set.type}']`;
  if (action === 'CREATE' && current) return [`${tried} but it already exists`];
  if (action !== 'DELETE') {
    records.set(keyOf(set), set);
    return [];
  }
  if (!current) return [`${tried} but it was not found`];
  if (!sameRecordSet(current, set))
    return [`${tried} but the values provided do not match the current values`];
  records.delete(keyOf(set));
  return [];
}

function problemsOf(set: RecordSet, zoneName: string): string[] {
  if (set.name !== zoneName && !set.name.endsWith(`.${zoneName}`))
    return [`RRSet with DNS name ${set.name} is not permitted in zone ${zoneName}`];
  if (set.type === 'CNAME' && set.name === zoneName)
    return [
      `RRSet of type CNAME with DNS name ${set.name} is not permitted at apex in zone ${zoneName}`,
    ];
  if (set.type === 'CNAME' && set.values.length > 1)
    return [`RRSet of type CNAME with DNS name ${set.name} has more than one value`];
  const bad = set.type === 'A' ? set.values.find((value) => !isIPv4(value)) : undefined;
  if (bad !== undefined)
    return [
      `ARRDATAIllegalIPv4Address: "${bad}" is not an IPv4 address, in RRSet with DNS name ${set.name}`,
    ];
  return [];
}

/** A CNAME may not share its name with any other record, once the whole batch is applied. */
function cnameConflicts(
  records: Map<string, RecordSet>,
  zoneName: string,
  changes: Change[],
): string[] {
  const names = new Set(changes.map((change) => change.set.name));
  return [...names].flatMap((name) => {
    const types = [...records.values()].filter((set) => set.name === name).map((set) => set.type);
    if (!types.includes('CNAME') || types.length < 2) return [];
    return [
      `RRSet of type CNAME with DNS name ${name} is not permitted as it conflicts with other records with the same DNS name in zone ${zoneName}`,
    ];
  });
}

function sameRecordSet(a: RecordSet, b: RecordSet): boolean {
  const values = (set: RecordSet) => JSON.stringify([...set.values].sort());
  return a.ttl === b.ttl && values(a) === values(b);
}

function hostedZoneXml(zone: HostedZone): XmlValue {
  return {
    Id: `/hostedzone/${zone.id}`,
    Name: zone.name,
    CallerReference: `lifeboat-sandbox-${zone.id}`,
    Config: { Comment: zone.comment, PrivateZone: true },
    ResourceRecordSetCount: zone.records.size,
  };
}

function recordSetXml(set: RecordSet): XmlValue {
  return {
    Name: set.name,
    Type: set.type,
    TTL: set.ttl,
    ResourceRecords: set.values.map((Value) => ({ Value })),
  };
}

function changeInfoXml(change: ChangeInfo, now: number): XmlValue {
  return {
    Id: `/change/${change.id}`,
    Status: now >= change.insyncAt ? 'INSYNC' : 'PENDING',
    SubmittedAt: new Date(change.submittedAt).toISOString(),
    Comment: change.comment,
  };
}

const MEMBERS: Record<string, string> = {
  HostedZones: 'HostedZone',
  ResourceRecordSets: 'ResourceRecordSet',
  ResourceRecords: 'ResourceRecord',
  VPCs: 'VPC',
};

function xmlResponse(root: string, content: { [k: string]: XmlValue }): SimResponse {
  const body = toXml(content, (parent) => MEMBERS[parent] ?? 'member');
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<?xml version="1.0"?>\n<${root} xmlns="${NS}">${body}</${root}>`,
  };
}
