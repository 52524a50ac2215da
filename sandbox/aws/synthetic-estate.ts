import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Plan } from '../../orchestrator/domain/plan.ts';
import { parsePlan } from '../../orchestrator/domain/plan-rules.ts';
import { SeededRandom } from './random.ts';

export interface SyntheticEstateOptions {
  /** Customer plans. @default 30 */
  customers?: number;
  /** Recovery accounts the customers share, round-robin, so DRS quotas bind. @default 3 */
  accounts?: number;
  /** Servers of the smallest and largest customer (DMNT and BCBS of Arizona). @default [10, 44] */
  sizes?: readonly [min: number, max: number];
  /** Average servers per customer: the sizes are nudged until the total is `customers * mean`. @default 30 */
  mean?: number;
  /** Customers that wait for another customer (beside all waiting for the shared services). @default 3 */
  afterEdges?: number;
  /** @default 1 */
  seed?: number;
}

export const SHARED_ID = 'shared-east';
const SHARED_ROLES = ['file-gateway', 'file-gateway', 'database', 'moveit', 'sftp', 'sftp', 'jump'];
const TIERS = ['database', 'application', 'web'] as const;

/** The account id of recovery account `k` (1-based); the shared services have account 0. */
export function syntheticAccountId(k: number): string {
  return `4500000000${k.toString().padStart(2, '0')}`;
}

/**
 * A region's worth of customers in us-east-1, recovered into us-east-2: `customers` plans of
 * 10 to 44 servers spread over `accounts` recovery accounts, plus the shared-services plan
 * every customer waits for, priorities 1 to 5 and a few `after` edges between customers (always
 * to a customer listed earlier, so there is no cycle). The same options give the same plans.
 */
export function syntheticEstateDocuments(
  options: SyntheticEstateOptions = {},
): Record<string, unknown>[] {
  const n = options.customers ?? 30;
  const k = options.accounts ?? 3;
  const [min, max] = options.sizes ?? [10, 44];
  const random = new SeededRandom(options.seed ?? 1);
  if (n < 1 || n > 120 || k < 1 || min < 3 || max < min)
    throw new RangeError(
      `A synthetic estate needs 1..120 customers, 1 or more accounts and 3 <= min <= max servers (got ${n} customers, ${k} accounts, ${min}..${max}).`,
    );
  const sizes = drawSizes(random, n, k, min, max, Math.round(n * (options.mean ?? 30)));
  const ids = Array.from({ length: n }, (_, i) => `cust-${(i + 1).toString().padStart(2, '0')}`);
  const afters = new Map<number, string>();
  for (let e = 0; e < Math.min(options.afterEdges ?? 3, n - 1); e++) {
    const from = random.between(`after-from:${e}`, 1, n - 1);
    afters.set(from, ids[random.between(`after-to:${e}`, 0, from - 1)] ?? SHARED_ID);
  }
  const customers = ids.map((id, i) => {
    const size = sizes[i] ?? min;
    const after: unknown[] = [SHARED_ID];
    const other = afters.get(i);
    if (other) after.push(i % 2 === 0 ? other : { plan: other, wave: 'database' });
    return planDocument({
      id,
      name: `Customer ${i + 1}`,
      index: i + 1,
      account: 1 + (i % k),
      priority: 1 + Math.floor(random.unit(`priority:${id}`) * 5),
      after,
      // About 15% database, 55% application, 30% web: at least one of each.
      roles: Array.from({ length: size }, (_, s) =>
        s < Math.max(1, Math.round(size * 0.15))
          ? 'database'
          : s < Math.min(size - 1, Math.round(size * 0.7))
            ? 'application'
            : 'web',
      ),
    });
  });
  const shared = planDocument({
    id: SHARED_ID,
    name: 'Shared services (us-east-1)',
    index: 0,
    account: 0,
    priority: 1,
    after: [],
    roles: SHARED_ROLES,
  });
  return [shared, ...customers];
}

/** The estate as parsed plans. */
export function syntheticEstate(options: SyntheticEstateOptions = {}): Plan[] {
  return syntheticEstateDocuments(options).map((doc) =>
    parsePlan(doc, String((doc.customer as { id: string }).id)),
  );
}

/** Writes one `<customer-id>.yaml` per plan into `dir`; returns the files. */
export async function writeSyntheticEstate(
  dir: string,
  options: SyntheticEstateOptions = {},
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const doc of syntheticEstateDocuments(options)) {
    const file = join(dir, `${(doc.customer as { id: string }).id}.yaml`);
    await writeFile(file, stringify(doc));
    files.push(file);
  }
  return files;
}

/**
 * Sizes within [min, max], drawn uniformly, then nudged one server at a time until each
 * account's customers (every k-th) hold an even share of `total`: 900 servers in 3 accounts is
 * 300 each, DRS's limit of replicating servers per account and region.
 */
function drawSizes(
  random: SeededRandom,
  n: number,
  k: number,
  min: number,
  max: number,
  total: number,
): number[] {
  const sizes = Array.from({ length: n }, (_, i) => random.between(`size:${i}`, min, max));
  for (let a = 0; a < k; a++) {
    const members = sizes.flatMap((_, i) => (i % k === a ? [i] : []));
    const share = Math.floor(total / k) + (a < total % k ? 1 : 0);
    const goal = Math.min(members.length * max, Math.max(members.length * min, share));
    let sum = members.reduce((acc, i) => acc + (sizes[i] ?? 0), 0);
    for (let step = 0; sum !== goal && members.length > 0; step++) {
      const i = members[random.between(`nudge:${a}:${step}`, 0, members.length - 1)] ?? 0;
      const size = sizes[i] ?? min;
      if (sum < goal && size < max) {
        sizes[i] = size + 1;
        sum += 1;
      } else if (sum > goal && size > min) {
        sizes[i] = size - 1;
        sum -= 1;
      }
    }
  }
  return sizes;
}

interface PlanSpec {
  id: string;
  name: string;
  /** Unique in the estate: it numbers the plan's subnets and instance ids. */
  index: number;
  /** 0 for the shared services' own account. */
  account: number;
  priority: number;
  after: unknown[];
  roles: readonly string[];
}

function planDocument(spec: PlanSpec): Record<string, unknown> {
  const shared = spec.account === 0;
  const tierOf = (role: string) =>
    shared
      ? ['database', 'file-gateway'].includes(role)
        ? 0
        : role === 'jump'
          ? 2
          : 1
      : TIERS.indexOf(role as 'web');
  const counts = new Map<string, number>();
  const servers = spec.roles.map((role, s) => {
    const nth = (counts.get(role) ?? 0) + 1;
    counts.set(role, nth);
    const tier = tierOf(role);
    const octet = 11 + s;
    const serial = (spec.index * 1000 + s).toString(16);
    return {
      name: `${spec.id}-${role.replace('file-gateway', 'fsgw').replace('application', 'app').replace('database', 'db')}-${nth.toString().padStart(2, '0')}`,
      role,
      drs: { sourceServerId: `s-e${serial.padStart(16, '0')}` },
      primary: {
        instanceId: `i-0c${serial.padStart(15, '0')}`,
        ip: `10.${spec.index + 1}.${10 * (tier + 1)}.${octet}`,
      },
      recovery: {
        instanceId: `i-0d${serial.padStart(15, '0')}`,
        ip: `10.${spec.index + 129}.${10 * (tier + 1)}.${octet}`,
      },
      tier,
    };
  });
  const waveNames = shared ? ['storage', 'transfer', 'access'] : [...TIERS];
  const account = syntheticAccountId(spec.account);
  return {
    version: 1,
    ...(shared ? { kind: 'shared-services' } : {}),
    priority: spec.priority,
    after: spec.after,
    customer: { id: spec.id, name: spec.name, productLine: 'HRP' },
    regions: { primary: 'us-east-1', recovery: 'us-east-2' },
    // One role per account: the customers that share an account share its role.
    account: { id: account, roleName: 'LifeboatExecution', externalId: `lifeboat-${account}` },
    slack: { channels: [`C0${spec.id.replace('-', '').toUpperCase()}DR`] },
    targets: { rpo: '15m', rto: shared ? '1h' : '4h' },
    access: {
      requesters: ['U01ALICE', 'S0HRPOPS'],
      approvers: ['U02BOB', 'S0HRPDRLEADS'],
      ...(shared ? {} : { signOff: ['U03CAROL'] }),
    },
    servers: servers.map(({ tier: _tier, ...server }) => server),
    waves: waveNames
      .map((name, w) => ({ name, servers: servers.filter((s) => s.tier === w).map((s) => s.name) }))
      .filter((wave) => wave.servers.length > 0),
  };
}
