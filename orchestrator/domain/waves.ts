import { PlanValidationError } from './errors.ts';
import type { Plan, Server, Wave } from './plan.ts';
import { DRS_QUOTAS } from './settings.ts';

/**
 * The boot order inside a wave: servers in layers, each layer depending only on earlier layers
 * or earlier waves. Within a layer the wave's own listing order is kept, so output is stable.
 * Assumes a validated plan (no cycles).
 */
export function orderBootGroups(
  plan: Pick<Plan, 'servers'>,
  wave: Pick<Wave, 'servers'>,
): string[][] {
  const inWave = new Set(wave.servers);
  const deps = new Map(
    plan.servers
      .filter((s) => inWave.has(s.name))
      .map((s) => [s.name, s.dependsOn.filter((d) => inWave.has(d))]),
  );
  const placed = new Set<string>();
  const groups: string[][] = [];
  let remaining = wave.servers.filter((name) => deps.has(name));
  while (remaining.length > 0) {
    const ready = remaining.filter((name) => (deps.get(name) ?? []).every((d) => placed.has(d)));
    if (ready.length === 0) {
      throw new PlanValidationError('The plan', [
        {
          code: 'dependency-cycle',
          path: 'servers',
          value: remaining,
          message: `Boot order has a cycle among ${remaining.join(', ')}: each waits for another. Remove one dependsOn of the cycle; lifeboat plan validate names it.`,
        },
      ]);
    }
    for (const name of ready) placed.add(name);
    groups.push(ready);
    remaining = remaining.filter((name) => !placed.has(name));
  }
  return groups;
}

/** `parts` slices whose sizes differ by at most one, in order. */
function balance<T>(items: readonly T[], parts: number): T[][] {
  const base = Math.floor(items.length / parts);
  const larger = items.length % parts;
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const size = base + (i < larger ? 1 : 0);
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}

export interface JobLimits {
  maxServersPerJob: number;
  maxConcurrentJobs: number;
  maxServersInActiveJobs: number;
}

/**
 * Splits one boot group into DRS jobs (at most `maxServersPerJob` each), and the jobs into
 * batches that may run at once (at most `maxConcurrentJobs` jobs and `maxServersInActiveJobs`
 * servers). Jobs are balanced: 150 servers make two jobs of 75, not 100 and 50.
 */
export function splitIntoBatches(servers: readonly string[], limits: JobLimits): string[][][] {
  const perJob = Math.min(limits.maxServersPerJob, DRS_QUOTAS.serversPerJob);
  const jobCount = Math.ceil(servers.length / perJob);
  if (jobCount === 0) return [];
  const jobs = balance(servers, jobCount);
  const batches: string[][][] = [];
  let batch: string[][] = [];
  let inBatch = 0;
  for (const job of jobs) {
    const full =
      batch.length >= limits.maxConcurrentJobs ||
      inBatch + job.length >
        Math.min(limits.maxServersInActiveJobs, DRS_QUOTAS.serversInActiveJobs);
    if (full && batch.length > 0) {
      batches.push(batch);
      batch = [];
      inBatch = 0;
    }
    batch.push(job);
    inBatch += job.length;
  }
  batches.push(batch);
  return batches;
}

export function serversByName(plan: Pick<Plan, 'servers'>): Map<string, Server> {
  return new Map(plan.servers.map((s) => [s.name, s]));
}
