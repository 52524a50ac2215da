/**
 * Orchestration overhead: how much longer a drill takes in simulated time than its floor. The
 * floor of a wave is, per boot group, the slowest server's launch and status checks (from the
 * simulator's ground truth) after its DRS job started; every other step (stops, replication,
 * DNS, hooks, validation, gates) counts at the time it took. The ratio is the drill's duration
 * over that floor: what polling and sequencing add. Aim: 1.02 or less.
 *
 * The floor leaves out the SSM agent's start-up and the health documents, which the simulator
 * does not report as ground truth, so the ratio overstates the overhead somewhat.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLocally } from '../cli/run.ts';
import type { JournalEntry } from '../orchestrator/domain/journal.ts';
import type { TruthEvent } from '../sandbox/aws/estate.ts';
import { writeSyntheticPlan } from '../sandbox/aws/synthetic-plan.ts';

const at = (iso: unknown) => Date.parse(String(iso));

/** Seconds the recover-wave steps could not have been shorter than, given the ground truth. */
function waveFloor(
  journal: JournalEntry[],
  truth: TruthEvent[],
): { actual: number; floor: number } {
  const statusOk = new Map<string, number>();
  const launchedAs = new Map<string, string>();
  for (const e of truth)
    if (e.type === 'instance-start' && e.statusOkAt)
      statusOk.set(`${e.instanceId}`, at(e.statusOkAt));
  for (const e of journal)
    if (e.type === 'server-launched')
      launchedAs.set(`${e.stepId}:${e.data?.server}`, String(e.data?.recoveryInstanceId));
  let actual = 0;
  let floor = 0;
  const waveSteps = new Set(
    journal
      .filter((e) => e.type === 'step-started' && e.data?.kind === 'recover-wave')
      .map((e) => e.stepId),
  );
  for (const stepId of waveSteps) {
    const started = journal.find((e) => e.stepId === stepId && e.type === 'step-started')?.at ?? 0;
    const ended =
      journal.find((e) => e.stepId === stepId && e.type === 'step-finished')?.at ?? started;
    actual += ended - started;
    // Jobs started at the same moment belong to one boot group.
    const groups = new Map<number, string[]>();
    for (const e of journal)
      if (e.stepId === stepId && e.type === 'drs-job-started')
        groups.set(e.at, [...(groups.get(e.at) ?? []), ...((e.data?.servers as string[]) ?? [])]);
    for (const [jobAt, servers] of groups) {
      const ready = servers.map(
        (s) => statusOk.get(launchedAs.get(`${stepId}:${s}`) ?? '') ?? jobAt,
      );
      floor += Math.max(...ready) - jobAt;
    }
    const firstJob = Math.min(...groups.keys());
    floor += Number.isFinite(firstJob) ? firstJob - started : 0;
  }
  return { actual: actual / 1000, floor: floor / 1000 };
}

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
  const waves = waveFloor(journal, result.aws.estate.truth);
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
