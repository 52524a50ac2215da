import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Plan } from '../../orchestrator/domain/plan.ts';
import { parsePlan } from '../../orchestrator/domain/plan-rules.ts';

/** The plan file of customer `big`: `count` servers spread evenly over `waves` waves. */
export function syntheticPlanDocument(count: number, waves = 1): Record<string, unknown> {
  const servers = Array.from({ length: count }, (_, i) => ({
    name: `big-${i}`,
    role: 'app',
    drs: { tags: { Name: `big-${i}` } },
    primary: {
      instanceId: `i-0a${i.toString(16).padStart(15, '0')}`,
      ip: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    },
    recovery: {
      instanceId: `i-0b${i.toString(16).padStart(15, '0')}`,
      ip: `10.2.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    },
  }));
  const perWave = Math.ceil(count / waves);
  return {
    version: 1,
    customer: { id: 'big', name: 'Big Health', productLine: 'HRP' },
    regions: { primary: 'us-east-1', recovery: 'us-east-2' },
    account: { id: '499999999999', roleName: 'LifeboatExecution', externalId: 'lifeboat-big-0001' },
    slack: { channels: ['C0BIG'] },
    targets: { rpo: '15m', rto: '4h' },
    access: { requesters: ['U01ALICE'], approvers: ['U02BOB'], signOff: ['U03CAROL'] },
    servers,
    waves: Array.from({ length: waves }, (_, w) => ({
      name: `wave-${w + 1}`,
      servers: servers.slice(w * perWave, (w + 1) * perWave).map((s) => s.name),
    })),
  };
}

/** A customer with `count` servers, for quota tests, scale tests and benchmarks. */
export function syntheticPlan(count: number, waves = 1): Plan {
  return parsePlan(syntheticPlanDocument(count, waves), 'big');
}

/** Writes `big.yaml` into `dir`, for runs that load plans from files. */
export async function writeSyntheticPlan(dir: string, count: number, waves = 1): Promise<void> {
  await writeFile(join(dir, 'big.yaml'), stringify(syntheticPlanDocument(count, waves)));
}
