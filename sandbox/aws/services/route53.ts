import { z } from 'zod';
import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import { describeProblems, type InputProblem, parseInput } from '../input.ts';
import {
  requestId,
  type SimRequest,
  type SimResponse,
  type SimService,
  toXml,
  type XmlValue,
} from '../protocol.ts';
import type { ArcState } from './arc-state.ts';
import { HEALTH_ROUTES, handleHealthCheck } from './route53-health-api.ts';
import {
  type Change,
  type ChangeInfo,
  fqdn,
  type HostedZone,
  type RecordSet,
  Route53State,
  readChangeStatus,
} from './route53-state.ts';
import { NS, readXml, xmlResponse } from './route53-xml.ts';

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
  ...HEALTH_ROUTES,
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

/** The parsed request body; single-element lists must stay lists. */
const ResourceRecordSetXmlSchema = z
  .strictObject({
    Name: z.string().min(1),
    Type: z.enum(RECORD_TYPES),
    SetIdentifier: z.string().min(1).max(128).optional(),
    Failover: z.enum(['PRIMARY', 'SECONDARY']).optional(),
    TTL: z.coerce.number().int().min(0).max(2_147_483_647).optional(),
    ResourceRecords: z
      .strictObject({ ResourceRecord: z.array(z.strictObject({ Value: z.string().min(1) })) })
      .optional(),
    HealthCheckId: z.string().min(1).max(64).optional(),
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

const Id = z.string().min(1).max(32);
/** `maxitems` is text in the query; Route 53 takes a whole number from 1. */
const MaxItems = z
  .string()
  .regex(/^[1-9]\d*$/)
  .transform(Number);

const ListHostedZonesInput = z.object({
  marker: z.string().max(32).optional(),
  maxitems: MaxItems.optional(),
});
const GetHostedZoneInput = z.object({ Id });
const ChangeResourceRecordSetsInput = z.object({ Id, body: ChangeBatchXmlSchema });
const ListResourceRecordSetsInput = z
  .object({
    Id,
    name: z.string().min(1).max(1024).optional(),
    type: z.enum(RECORD_TYPES).optional(),
    identifier: z.string().min(1).max(128).optional(),
    maxitems: MaxItems.optional(),
  })
  .refine((input) => input.type === undefined || input.name !== undefined, {
    message: 'A type is given without a name: give both, or a name only',
    path: ['type'],
  })
  .refine((input) => input.identifier === undefined || input.type !== undefined, {
    message: 'An identifier is given without a name and type: give all three',
    path: ['identifier'],
  });
const GetChangeInput = z.object({ Id });

/** Route 53's InvalidInput, naming each field that failed. */
function invalid(problems: InputProblem[]): AwsError {
  return new AwsError('InvalidInput', describeProblems(problems));
}

/**
 * Route 53 (REST-XML, a global service): parses each request (its path, query and XML body) with
 * its operation's schema, asks the model (`route53-state.ts`), renders the answer.
 */
export class Route53Service implements SimService {
  readonly signingName = 'route53';
  readonly state: Route53State;

  constructor(
    readonly estate: Estate,
    controls: ArcState,
  ) {
    this.state = new Route53State(estate, controls);
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
    const query = Object.fromEntries(req.query);
    const Id = decodeURIComponent(routeOf(req)?.id ?? '');
    const now = this.estate.now();
    if (HEALTH_ROUTES.some((route) => route.operation === operation))
      return handleHealthCheck(this.state, req, operation, Id);
    switch (operation) {
      case 'ListHostedZones':
        return this.listHostedZones(req, parseInput(ListHostedZonesInput, query, invalid));
      case 'GetHostedZone': {
        const input = parseInput(GetHostedZoneInput, { Id }, invalid);
        const zone = this.state.zone(req.account, input.Id);
        return xmlResponse('GetHostedZoneResponse', {
          HostedZone: hostedZoneXml(zone),
          VPCs: [{ VPCRegion: zone.region, VPCId: zone.vpcId }],
        });
      }
      case 'ChangeResourceRecordSets': {
        const input = parseInput(
          ChangeResourceRecordSetsInput,
          { Id, body: readXml(req.body) },
          invalid,
        );
        const { changes, comment } = readChangeBatch(input.body);
        const zone = this.state.zone(req.account, input.Id);
        const change = this.state.changeRecordSets(req.account, zone, changes, comment);
        return xmlResponse('ChangeResourceRecordSetsResponse', {
          ChangeInfo: changeInfoXml(change, now),
        });
      }
      case 'ListResourceRecordSets':
        return this.listRecordSets(
          req,
          parseInput(ListResourceRecordSetsInput, { Id, ...query }, invalid),
        );
      case 'GetChange': {
        const input = parseInput(GetChangeInput, { Id }, invalid);
        return xmlResponse('GetChangeResponse', {
          ChangeInfo: changeInfoXml(this.state.change(req.account, input.Id), now),
        });
      }
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

  private listHostedZones(
    req: SimRequest,
    input: z.output<typeof ListHostedZonesInput>,
  ): SimResponse {
    const maxItems = Math.min(input.maxitems ?? MAX_ZONES, MAX_ZONES);
    const { marker } = input;
    const zones = this.state.zonesIn(req.account);
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

  /** From `name` (and `type`) on, as many as `maxitems`; the next page starts at NextRecordName/Type. */
  private listRecordSets(
    req: SimRequest,
    input: z.output<typeof ListResourceRecordSetsInput>,
  ): SimResponse {
    const zone = this.state.zone(req.account, input.Id);
    const maxItems = Math.min(input.maxitems ?? MAX_RECORD_SETS, MAX_RECORD_SETS);
    const from =
      input.name === undefined
        ? undefined
        : {
            name: input.name,
            type: input.type ?? '',
            ...(input.identifier === undefined ? {} : { setIdentifier: input.identifier }),
          };
    const sets = this.state.recordSets(zone, from);
    const next = sets[maxItems];
    return xmlResponse('ListResourceRecordSetsResponse', {
      ResourceRecordSets: sets.slice(0, maxItems).map(recordSetXml),
      IsTruncated: next !== undefined,
      NextRecordName: next?.name,
      NextRecordType: next?.type,
      NextRecordIdentifier: next?.setIdentifier,
      MaxItems: maxItems,
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

function readChangeBatch(body: z.output<typeof ChangeBatchXmlSchema>): {
  changes: Change[];
  comment?: string;
} {
  const { Changes, Comment } = body.ChangeResourceRecordSetsRequest.ChangeBatch;
  const changes = Changes.Change.map(({ Action, ResourceRecordSet: set }) => {
    const described = `in Change with [Action=${Action}, Name=${set.Name}, Type=${set.Type}, SetIdentifier=${set.SetIdentifier ?? 'null'}]`;
    if (set.Failover !== undefined && set.SetIdentifier === undefined)
      throw new AwsError(
        'InvalidInput',
        `Invalid request: Missing field 'SetIdentifier' ${described}`,
      );
    if (set.SetIdentifier !== undefined && set.Failover === undefined)
      throw new AwsError(
        'InvalidInput',
        `Invalid request: a SetIdentifier needs a routing policy ${described}; the local Route 53 simulates Failover only`,
      );
    return {
      action: Action,
      set: {
        name: fqdn(set.Name),
        type: set.Type,
        ttl: set.TTL ?? 0,
        values: (set.ResourceRecords?.ResourceRecord ?? []).map((record) => record.Value),
        ...(set.SetIdentifier === undefined ? {} : { setIdentifier: set.SetIdentifier }),
        ...(set.Failover === undefined ? {} : { failover: set.Failover }),
        ...(set.HealthCheckId === undefined ? {} : { healthCheckId: set.HealthCheckId }),
      },
    };
  });
  return { changes, ...(Comment === undefined ? {} : { comment: Comment }) };
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

/** A record set in Route 53's element order. */
function recordSetXml(set: RecordSet): XmlValue {
  return {
    Name: set.name,
    Type: set.type,
    SetIdentifier: set.setIdentifier,
    Failover: set.failover,
    TTL: set.ttl,
    ResourceRecords: set.values.map((Value) => ({ Value })),
    HealthCheckId: set.healthCheckId,
  };
}

function changeInfoXml(change: ChangeInfo, now: number): XmlValue {
  return {
    Id: `/change/${change.id}`,
    Status: readChangeStatus(change, now),
    SubmittedAt: new Date(change.submittedAt).toISOString(),
    Comment: change.comment,
  };
}
