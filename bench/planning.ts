/**
 * How planning scales with plan size: percentiles, and the ratio between a 1,000-server plan and
 * bcbsaz (44 servers), measured in one run on this machine.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { CUSTOMERS_DIR } from '../cli/io.ts';
import { validatePlan } from '../orchestrator/domain/plan-rules.ts';
import { planRunbook } from '../orchestrator/domain/plan-runbook.ts';

type Raw = { servers: Record<string, unknown>[]; waves: { servers: string[] }[] };

/** bcbsaz grown to `count` servers by copying its servers with fresh names, ids and IPs. */
function grow(raw: Raw, count: number): Raw {
  const copy = structuredClone(raw);
  for (let i = copy.servers.length; i < count; i++) {
    const octet = (i % 250) + 1;
    const subnet = 100 + Math.floor(i / 250);
    const name = `bulk-${i}`;
    copy.servers.push({
      name,
      role: 'web',
      drs: { tags: { Name: name } },
      primary: {
        instanceId: `i-0a${i.toString(16).padStart(15, '0')}`,
        ip: `10.40.${subnet}.${octet}`,
      },
      recovery: {
        instanceId: `i-0b${i.toString(16).padStart(15, '0')}`,
        ip: `10.140.${subnet}.${octet}`,
      },
    });
    copy.waves[2]?.servers.push(name);
  }
  return copy;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function measure(raw: Raw, iterations: number): { p50: number; p95: number; p99: number } {
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    const result = validatePlan(raw);
    if (!result.ok) throw new Error(JSON.stringify(result.problems.slice(0, 3)));
    for (const op of ['drill', 'failover', 'failback'] as const) planRunbook(result.plan, op);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99) };
}

export async function benchPlanning(): Promise<void> {
  const base = parseDocument(
    await readFile(join(CUSTOMERS_DIR, 'bcbsaz.yaml'), 'utf8'),
  ).toJS() as Raw;
  measure(base, 50); // warm-up
  const rows = [44, 300, 1000].map((count) => ({
    servers: count,
    ...measure(grow(base, count), 200),
  }));
  const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
  console.log('Planning: validate + plan drill, failover and failback (200 runs each)');
  for (const r of rows) {
    console.log(
      `  ${String(r.servers).padStart(5)} servers  p50 ${fmt(r.p50)}  p95 ${fmt(r.p95)}  p99 ${fmt(r.p99)}`,
    );
  }
  const [small, , large] = rows;
  if (small && large) {
    console.log(
      `  p50 ratio 1000/44 servers: ${(large.p50 / small.p50).toFixed(1)}x for ${(1000 / 44).toFixed(1)}x the servers`,
    );
  }
}
