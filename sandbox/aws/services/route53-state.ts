import { isIPv4 } from 'node:net';
import type { DnsRecord, Plan } from '../../../orchestrator/domain/plan.ts';
import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';

/** A simple-routing record set; names are lower case with the trailing dot, as Route 53 returns them. */
export interface RecordSet {
  name: string;
  type: string;
  ttl: number;
  values: string[];
}

export interface HostedZone {
  id: string;
  account: string;
  name: string;
  region: string;
  vpcId: string;
  comment: string;
  records: Map<string, RecordSet>;
}

export interface ChangeInfo {
  id: string;
  account: string;
  submittedAt: number;
  insyncAt: number;
  comment?: string;
}

export type Action = 'CREATE' | 'UPSERT' | 'DELETE';

export interface Change {
  action: Action;
  set: RecordSet;
}

/**
 * Route 53's world (a global service): the private hosted zones of the customers' plans, each
 * record at its primary value; a batch of changes applied all or nothing; a change PENDING until
 * it propagates, a few seconds on the virtual clock (longer under `dns-slow`).
 */
export class Route53State {
  private readonly zones = new Map<string, HostedZone>();
  private readonly changes = new Map<string, ChangeInfo>();

  constructor(private readonly estate: Estate) {
    for (const plan of estate.plans) {
      for (const zone of this.zonesOf(plan)) this.zones.set(zone.id, zone);
    }
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

  /** The account's zone, or NoSuchHostedZone. */
  zone(account: string, id: string): HostedZone {
    const zone = this.zones.get(id);
    if (!zone || zone.account !== account)
      throw new AwsError('NoSuchHostedZone', `No hosted zone found with ID: ${id}`, 404);
    return zone;
  }

  /** The account's zones, by id. */
  zonesIn(account: string): HostedZone[] {
    return [...this.zones.values()]
      .filter((zone) => zone.account === account)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** The zone's record sets in Route 53's order, from a name (and type) on. */
  recordSets(zone: HostedZone, from?: { name: string; type: string }): RecordSet[] {
    const start = from && { name: fqdn(from.name), type: from.type };
    return [...zone.records.values()]
      .sort(compareRecordSets)
      .filter((set) => !start || compareRecordSets(set, start) >= 0);
  }

  /** All or nothing: every change is checked against the zone as the changes before it left it. */
  changeRecordSets(
    account: string,
    zone: HostedZone,
    changes: Change[],
    comment: string | undefined,
  ): ChangeInfo {
    const records = new Map(zone.records);
    const problems = changes.flatMap((change) => applyChange(records, zone.name, change));
    problems.push(...cnameConflicts(records, zone.name, changes));
    if (problems.length > 0)
      throw new AwsError('InvalidChangeBatch', `[${problems.join(', ')}]`, 400);
    zone.records = records;
    const change = this.submitChange(account, comment);
    this.estate.record('dns-change', {
      account,
      zoneId: zone.id,
      changeId: change.id,
      changes: changes.map(({ action, set }) => ({ action, ...set })),
      insyncAt: new Date(change.insyncAt).toISOString(),
    });
    return change;
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

  /** The account's change, or NoSuchChange. */
  change(account: string, id: string): ChangeInfo {
    const change = this.changes.get(id);
    if (!change || change.account !== account)
      throw new AwsError(
        'NoSuchChange',
        `A change with the specified change ID does not exist: ${id}`,
        404,
      );
    return change;
  }
}

/** PENDING until the change has propagated, INSYNC from then on. */
export function readChangeStatus(change: ChangeInfo, now: number): 'PENDING' | 'INSYNC' {
  return now >= change.insyncAt ? 'INSYNC' : 'PENDING';
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

export function fqdn(name: string): string {
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
