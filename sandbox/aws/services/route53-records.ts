import { isIPv4 } from 'node:net';

/**
 * A record set; names are lower case with the trailing dot, as Route 53 returns them. A simple
 * record set has no set identifier; a failover one has a set identifier, PRIMARY or SECONDARY,
 * and usually a health check.
 */
export interface RecordSet {
  name: string;
  type: string;
  ttl: number;
  values: string[];
  setIdentifier?: string;
  failover?: 'PRIMARY' | 'SECONDARY';
  healthCheckId?: string;
}

export type Action = 'CREATE' | 'UPSERT' | 'DELETE';

export interface Change {
  action: Action;
  set: RecordSet;
}

/** Where a listing starts: a name, and optionally a type and a set identifier. */
export interface RecordSetKey {
  name: string;
  type: string;
  setIdentifier?: string;
}

export function fqdn(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** A record set is one per name, type and set identifier. */
export function keyOf(set: RecordSetKey): string {
  return `${set.name} ${set.type} ${set.setIdentifier ?? ''}`;
}

/**
 * Route 53's listing order: by name with its labels reversed (trailing dot kept), then type,
 * then set identifier (a simple record set, which has none, first).
 */
export function compareRecordSets(a: RecordSetKey, b: RecordSetKey): number {
  const [ka, kb] = [reversedName(a.name), reversedName(b.name)];
  if (ka !== kb) return ka < kb ? -1 : 1;
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  const [ia, ib] = [a.setIdentifier ?? '', b.setIdentifier ?? ''];
  if (ia === ib) return 0;
  return ia < ib ? -1 : 1;
}

function reversedName(name: string): string {
  return `${name.replace(/\.$/, '').split('.').reverse().join('.')}.`;
}

/** How Route 53 names a record set in its messages. */
function describe(set: RecordSet): string {
  const id = set.setIdentifier === undefined ? '' : `, set-identifier='${set.setIdentifier}'`;
  return `[name='${set.name}', type='${set.type}'${id}]`;
}

/** Applies one change to the draft records; answers what is wrong with it, if anything. */
export function applyChange(
  records: Map<string, RecordSet>,
  zoneName: string,
  change: Change,
): string[] {
  const { action, set } = change;
  const problems = problemsOf(set, zoneName);
  if (problems.length > 0) return problems;
  const current = records.get(keyOf(set));
  const tried = `Tried to ${action.toLowerCase()} resource record set ${describe(set)}`;
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
  if (set.failover === 'PRIMARY' && set.healthCheckId === undefined)
    return [
      'A non-alias primary ResourceRecordSet must have an associated health check. No changes made.',
    ];
  return [];
}

/**
 * What the whole batch, once applied, leaves wrong at the names it touched: a CNAME beside
 * another type; a simple record set beside routing-policy ones of the same name and type; two
 * PRIMARY or two SECONDARY failover record sets of one name and type.
 */
export function batchConflicts(
  records: Map<string, RecordSet>,
  zoneName: string,
  changes: Change[],
): string[] {
  const all = [...records.values()];
  const names = new Set(changes.map((change) => change.set.name));
  const problems = [...names].flatMap((name) => {
    const types = new Set(all.filter((set) => set.name === name).map((set) => set.type));
    if (!types.has('CNAME') || types.size < 2) return [];
    return [
      `RRSet of type CNAME with DNS name ${name} is not permitted as it conflicts with other records with the same DNS name in zone ${zoneName}`,
    ];
  });
  for (const { action, set } of changes) {
    if (action === 'DELETE') continue;
    const same = all.filter((other) => other.name === set.name && other.type === set.type);
    const simple = same.some((other) => other.setIdentifier === undefined);
    const routed = same.some((other) => other.setIdentifier !== undefined);
    const head = `RRSet with DNS name ${set.name}, type ${set.type}`;
    if (simple && routed && set.setIdentifier === undefined)
      problems.push(`${head} cannot be created as other RRSets exist with the same name and type.`);
    // Route 53's own words, which name weighted sets whatever the routing policy.
    else if (simple && routed)
      problems.push(
        `${head}, SetIdentifier ${set.setIdentifier} cannot be created as a non-weighted set exists with the same name and type.`,
      );
    const twin = same.find(
      (other) => other.failover === set.failover && other.setIdentifier !== set.setIdentifier,
    );
    if (set.failover && twin)
      problems.push(
        `${head}, SetIdentifier ${set.setIdentifier} cannot be created as a ${set.failover} failover RRSet (SetIdentifier ${twin.setIdentifier}) exists with the same name and type.`,
      );
  }
  return [...new Set(problems)];
}

function sameRecordSet(a: RecordSet, b: RecordSet): boolean {
  const values = (set: RecordSet) => JSON.stringify([...set.values].sort());
  return (
    a.ttl === b.ttl &&
    values(a) === values(b) &&
    a.failover === b.failover &&
    a.healthCheckId === b.healthCheckId
  );
}
