/**
 * Orchestration overhead: how much longer a drill takes in simulated time than its floor. The
 * floor of a wave is, per group of jobs started together, the slowest server's way to healthy
 * after its job started, all from the simulator's ground truth: DRS's launch, the status checks,
 * the SSM agent coming Online, then the health documents as long as each took on that instance
 * (bench/floors.ts). Every other step (stops, replication, DNS, hooks, validation, gates) counts
 * at the time it took. The ratio is the drill's duration over that floor: what polling and
 * sequencing add. Aim: 1.02 or less.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CUSTOMERS_DIR } from '../cli/io.ts';
import { runLocally } from '../cli/run.ts';
import { FilePlanSource } from '../orchestrator/adapters/config-files.ts';
import { writeSyntheticPlan } from '../sandbox/aws/synthetic-plan.ts';
import { indexTruth, waveFloors } from './floors.ts';

async function measure(customerId: string, plansDir?: string) {
  const started = performance.now();
  const result = await runLocally({
    customerId,
    operation: 'drill',
    options: { 'report-dir': await mkdtemp(join(tmpdir(), 'lifeboat-bench-')) },
    onLine: () => {},
    ...(plansDir ? { plansDir } : {}),
  });
  const wall = (performance.now() - started) / 1000;
  const { journal } = result;
  const total = ((journal.at(-1)?.at ?? 0) - (journal[0]?.at ?? 0)) / 1000;
  const { plan } = await new FilePlanSource(plansDir ?? CUSTOMERS_DIR).loadPlan(customerId);
  const steps = waveFloors(journal, plan, indexTruth(result.aws.estate.truth));
  const waves = {
    actual: steps.reduce((n, w) => n + w.endedAt - w.startedAt, 0) / 1000,
    floor: steps.reduce((n, w) => n + w.floor, 0) / 1000,
  };
  const floor = total - waves.actual + waves.floor;
  return {
    servers: result.summary.rpo.perServer.length,
    total,
    floor,
    ratio: total / floor,
    waveRatio: waves.actual / waves.floor,
    historyEvents: result.historyEvents,
    wall,
  };
}

export async function benchOrchestration(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-plans-'));
  await writeSyntheticPlan(dir, 200, 5);
  const rows = [await measure('bcbsaz'), await measure('big', dir)];
  const h = (s: number) => `${(s / 3600).toFixed(2)} h`;
  console.log(
    'Orchestration: a drill (failover, sign-off, failback) in simulated time against its floor',
  );
  for (const r of rows) {
    console.log(
      `  ${String(r.servers).padStart(4)} servers: ${h(r.total)} simulated, floor ${h(r.floor)}, overhead ${r.ratio.toFixed(3)} (waves alone ${r.waveRatio.toFixed(3)}), ${r.historyEvents} history events, ${r.wall.toFixed(0)} s wall`,
    );
  }
}
