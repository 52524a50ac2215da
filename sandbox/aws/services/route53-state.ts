import type { DnsRecord, Plan, Side } from '../../../orchestrator/domain/plan.ts';
import { failoverRecordOf } from '../../../orchestrator/domain/routing.ts';
import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import type { ArcState } from './arc-state.ts';
import { HealthChecks } from './route53-health.ts';
import {
  applyChange,
  batchConflicts,
  type Change,
  compareRecordSets,
  fqdn,
  keyOf,
  type RecordSet,
  type RecordSetKey,
} from './route53-records.ts';
import { type Answer, Resolver } from './route53-resolver.ts';

export type { Action, Change, RecordSet } from './route53-records.ts';
export { fqdn } from './route53-records.ts';

export interface HostedZone {
  id: string;
  account: string;
  name: string;
  region: string;
  /** The side of its plan the zone serves (its VPC is in that side's region). */
  side: Side;
  vpcId: string;
  comment: string;
  /** The record sets as the control plane holds them (what ListResourceRecordSets shows). */
  records: Map<string, RecordSet>;
  /** The record sets as resolvers see them: as the last change to go INSYNC left them. */
  served: Map<string, RecordSet>;
  /** The sequence number of the change `served` reflects: a change never overtakes a later one. */
  servedChange: number;
}

export interface ChangeInfo {
  id: string;
  account: string;
  submittedAt: number;
  insyncAt: number;
  comment?: string;
}

/**
 * Route 53's world (a global service): the private hosted zones of the customers' plans, with a
 * PRIMARY and a SECONDARY failover record set per plan record (a simple record set at the
 * primary value for records in `change` mode), and a RECOVERY_CONTROL health check per side on
 * the customer's ARC routing control; a batch of changes applied all or nothing; a change
 * PENDING until it propagates, a few seconds on the virtual clock (longer under `dns-slow`),
 * and answered by the resolvers from then on.
 */
export class Route53State {
  readonly health: HealthChecks;
  readonly resolver: Resolver;
  private readonly zones = new Map<string, HostedZone>();
  private readonly changes = new Map<string, ChangeInfo>();

  constructor(
    private readonly estate: Estate,
    controls: ArcState,
  ) {
    this.health = new HealthChecks(estate, controls);
    for (const plan of estate.plans) {
      for (const zone of this.zonesOf(plan, controls)) this.zones.set(zone.id, zone);
    }
    this.resolver = new Resolver(estate, () => this.zones.values(), this.health, controls);
  }

  /** Both sides' private zones, each holding every record of the plan. */
  private zonesOf(plan: Plan, controls: ArcState): HostedZone[] {
    const { dns } = plan;
    if (!dns) return [];
    const name = zoneNameOf(plan);
    const checks = {
      primary: this.seedHealthCheck(plan, plan.regions.primary, controls),
      recovery: this.seedHealthCheck(plan, plan.regions.recovery, controls),
    };
    return (['primary', 'recovery'] as const).map((side) => {
      const region = plan.regions[side];
      const records = new Map(seedRecordSets(plan, name, checks).map((set) => [keyOf(set), set]));
      return {
        id: dns.zones[side],
        account: plan.account.id,
        name,
        region,
        side,
        vpcId: `vpc-${this.estate.deps.random.hex(`vpc:${plan.account.id}:${region}`, 17)}`,
        comment: `${plan.customer.name}, ${side} side`,
        records,
        served: new Map(records),
        servedChange: 0,
      };
    });
  }

  /** The RECOVERY_CONTROL health check on the customer's routing control in a region, if ARC has one. */
  private seedHealthCheck(plan: Plan, region: string, controls: ArcState): string | undefined {
    const arn = controls.controlArn(plan.customer.id, region);
    if (!arn) return undefined;
    const reference = `lifeboat-${plan.customer.id}-${region}`;
    const { check } = this.health.create(plan.account.id, reference, {
      type: 'RECOVERY_CONTROL',
      routingControlArn: arn,
    });
    return check.id;
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
    return this.allZones().filter((zone) => zone.account === account);
  }

  /** Every account's zones, by id (for the resolvers, which answer whoever asks in the VPC). */
  allZones(): HostedZone[] {
    return [...this.zones.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** The zone's record sets in Route 53's order, from a name (type, set identifier) on. */
  recordSets(zone: HostedZone, from?: RecordSetKey): RecordSet[] {
    const start = from && { ...from, name: fqdn(from.name) };
    return [...zone.records.values()]
      .sort(compareRecordSets)
      .filter((set) => !start || compareRecordSets(set, start) >= 0);
  }

  /** What a resolver in the zone's VPC gets now for a name and type (the data plane). */
  resolve(zoneId: string, name: string, type: string): Answer | undefined {
    const zone = this.zones.get(zoneId);
    return zone && this.resolver.answer(zone, name, type);
  }

  /**
   * All or nothing: every change is checked against the zone as the changes before it left it.
   * The control plane shows the new record sets at once; resolvers answer from them once the
   * change is INSYNC.
   */
  changeRecordSets(
    account: string,
    zone: HostedZone,
    changes: Change[],
    comment: string | undefined,
  ): ChangeInfo {
    // A record set may only name a health check of its own account: NoSuchHealthCheck otherwise.
    for (const { action, set } of changes)
      if (action !== 'DELETE' && set.healthCheckId !== undefined)
        this.health.get(account, set.healthCheckId);
    const records = new Map(zone.records);
    const problems = changes.flatMap((change) => applyChange(records, zone.name, change));
    problems.push(...batchConflicts(records, zone.name, changes));
    if (problems.length > 0)
      throw new AwsError('InvalidChangeBatch', `[${problems.join(', ')}]`, 400);
    zone.records = records;
    const change = this.submitChange(account, comment);
    const sequence = this.changes.size;
    this.estate.schedule(change.insyncAt, (at) => {
      if (sequence <= zone.servedChange) return;
      zone.served = new Map(records);
      zone.servedChange = sequence;
      this.resolver.refresh(zone, at);
    });
    this.estate.record('dns-change', {
      account,
      zoneId: zone.id,
      changeId: change.id,
      changes: changes.map(({ action, set }) => ({ action, ...set })),
      insyncAt: new Date(change.insyncAt).toISOString(),
    });
    return change;
  }

  /** Deletes a health check; answers that read it change at once (it now reads unhealthy). */
  deleteHealthCheck(account: string, id: string): void {
    this.estate.settleAll();
    this.health.delete(account, id);
    for (const zone of this.zones.values()) this.resolver.refresh(zone, this.estate.now());
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

const APEX: RecordSet[] = [
  {
    name: '',
    type: 'SOA',
    ttl: 900,
    values: ['ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400'],
  },
  {
    name: '',
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

/**
 * The zone's apex records, and per plan record a failover pair (PRIMARY at the primary value
 * with the primary side's health check, SECONDARY at the recovery value with the recovery
 * side's), or in `change` mode one simple record set at the primary value.
 */
function seedRecordSets(
  plan: Plan,
  zoneName: string,
  checks: Record<Side, string | undefined>,
): RecordSet[] {
  const apex = APEX.map((set) => ({ ...set, name: zoneName }));
  const planned = (plan.dns?.records ?? []).flatMap((record): RecordSet[] => {
    const base = {
      name: fqdn(record.name),
      type: record.server ? 'A' : record.type,
      ttl: record.ttl,
    };
    const value = (side: Side) => sideValueOf(plan, record, side);
    if (record.mode === 'change') {
      const primary = value('primary');
      return primary ? [{ ...base, values: [primary] }] : [];
    }
    return (['primary', 'recovery'] as const).flatMap((side): RecordSet[] => {
      const v = value(side);
      const check = checks[side];
      if (!v) return [];
      return [
        {
          ...base,
          values: [v],
          ...failoverRecordOf(side),
          ...(check === undefined ? {} : { healthCheckId: check }),
        },
      ];
    });
  });
  return [...apex, ...planned];
}

/** A record naming a server takes that server's IP on the side; else the record's own value. */
function sideValueOf(plan: Plan, record: DnsRecord, side: Side): string | undefined {
  if (!record.server) return record[side];
  return plan.servers.find((server) => server.name === record.server)?.[side].ip;
}
