import type { Estate } from '../estate.ts';
import type { ArcState } from './arc-state.ts';
import type { HealthChecks } from './route53-health.ts';
import { fqdn, type RecordSet } from './route53-records.ts';
import type { HostedZone } from './route53-state.ts';

/** What a resolver in the zone's VPC gets for a name and type, and since when. */
export interface Answer {
  values: string[];
  ttl: number;
  /** When the answer last changed (virtual ms). */
  since: number;
}

/**
 * Which of the record sets of one name and type Route 53 answers with: a simple record set as it
 * is; of a failover pair, the PRIMARY while it is healthy, else the SECONDARY while it is
 * healthy, else the PRIMARY (Route 53 answers the primary when both are unhealthy). A record set
 * without a health check counts as healthy.
 */
export function chooseRecordSet(
  sets: readonly RecordSet[],
  isHealthy: (healthCheckId: string) => boolean,
): RecordSet | undefined {
  const simple = sets.find((set) => set.setIdentifier === undefined);
  if (simple) return simple;
  const healthy = (set: RecordSet | undefined) =>
    set !== undefined && (set.healthCheckId === undefined || isHealthy(set.healthCheckId));
  const primary = sets.find((set) => set.failover === 'PRIMARY');
  const secondary = sets.find((set) => set.failover === 'SECONDARY');
  if (healthy(primary)) return primary;
  if (healthy(secondary)) return secondary;
  return primary ?? secondary;
}

/**
 * Route 53's data plane: the answers of every zone, from the record sets as the last INSYNC
 * change left them and the health checks as their routing controls stand. Every change of an
 * answer is ground truth (`dns-answer`), at the moment it happened: a routing control flipping,
 * a change going INSYNC, a health check deleted. The event names the record type `recordType`
 * (its `type` is the event's own, `dns-answer`).
 */
export class Resolver {
  /** The last answer of each zone, name and type, as the ground truth last recorded it. */
  private readonly last = new Map<string, Answer>();

  constructor(
    private readonly estate: Estate,
    zones: () => Iterable<HostedZone>,
    private readonly health: HealthChecks,
    controls: ArcState,
  ) {
    const now = estate.now();
    for (const zone of zones()) {
      for (const [name, type] of pairsOf(zone.served.values())) {
        const answer = this.compute(zone, name, type);
        if (answer) this.last.set(keyOf(zone, name, type), { ...answer, since: now });
      }
    }
    controls.onChange((changes) => {
      const at = changes[0]?.at ?? estate.now();
      for (const zone of zones()) this.refresh(zone, at);
    });
  }

  /** The answer now for a name and type in a zone; undefined when the zone has no such record set. */
  answer(zone: HostedZone, name: string, type: string): Answer | undefined {
    this.estate.settleAll();
    return this.last.get(keyOf(zone, fqdn(name), type));
  }

  /** The record sets at a name, of any type, as the zone serves them. */
  typesAt(zone: HostedZone, name: string): string[] {
    this.estate.settleAll();
    const wanted = fqdn(name);
    return [
      ...new Set([...zone.served.values()].filter((s) => s.name === wanted).map((s) => s.type)),
    ];
  }

  /** Recomputes every answer of the zone; records each one that changed, at `at`. */
  refresh(zone: HostedZone, at: number): void {
    const pairs = pairsOf(zone.served.values());
    for (const key of this.last.keys()) {
      const [zoneId, name = '', type = ''] = key.split(' ');
      if (zoneId === zone.id) pairs.push([name, type]);
    }
    for (const [name, type] of pairs) {
      const key = keyOf(zone, name, type);
      const before = this.last.get(key);
      const now = this.compute(zone, name, type);
      if (sameValues(before?.values, now?.values)) {
        if (before && now && before.ttl !== now.ttl) before.ttl = now.ttl;
        continue;
      }
      if (now) this.last.set(key, { ...now, since: at });
      else this.last.delete(key);
      this.estate.record(
        'dns-answer',
        {
          zoneId: zone.id,
          name,
          recordType: type,
          values: now?.values ?? [],
          account: zone.account,
        },
        at,
      );
    }
  }

  private compute(zone: HostedZone, name: string, type: string): Omit<Answer, 'since'> | undefined {
    const sets = [...zone.served.values()].filter((set) => set.name === name && set.type === type);
    const chosen = chooseRecordSet(sets, (id) => this.health.isHealthy(id));
    return chosen && { values: [...chosen.values], ttl: chosen.ttl };
  }
}

function keyOf(zone: HostedZone, name: string, type: string): string {
  return `${zone.id} ${name} ${type}`;
}

function pairsOf(sets: Iterable<RecordSet>): [string, string][] {
  const seen = new Map<string, [string, string]>();
  for (const set of sets) seen.set(`${set.name} ${set.type}`, [set.name, set.type]);
  return [...seen.values()];
}

function sameValues(a: string[] | undefined, b: string[] | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
