/**
 * A region-wide failover: the synthetic estate (30 customers, about 900 servers in us-east-1,
 * recovered into 3 accounts of 300, plus the shared services) with us-east-1 down, as one
 * incident. Reports the makespan (approval to the last plan's end) over its lower bound, DRS
 * quota refusals (aim 0), the largest Step Functions history of one run (limit 25,000) and the
 * real time it took.
 *
 * The lower bound, from the simulator's truth for what DRS and EC2 take, everything else at the
 * time it took: per plan, the plan's own floor (its steps as they ran, each wave shortened to its
 * slowest server's launch-to-ready after its job started) after the floors of the plans it comes
 * after; per account, the server-seconds its launches needed over its budget of servers in jobs
 * (and job-seconds over its budget of jobs). The bound is the largest.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULTS_FILE } from '../cli/io.ts';
import { runRegionLocally } from '../cli/run-region.ts';
import type { Incident } from '../orchestrator/domain/incident.ts';
import type { JournalEntry } from '../orchestrator/domain/journal.ts';
import type { TruthEvent } from '../sandbox/aws/estate.ts';
import { writeSyntheticEstate } from '../sandbox/aws/synthetic-estate.ts';

const at = (iso: unknown) => Date.parse(String(iso));

interface Floors {
  /** Per plan: seconds from its start to its end at the least, given the truth. */
  own: Map<string, number>;
  /** Per plan and wave: seconds from its start to that wave's end at the least. */
  toWave: Map<string, number>;
  /** Per account: server-seconds and job-seconds its launches needed. */
  accounts: Map<string, { serverSeconds: number; jobSeconds: number }>;
}

/** What each run could not have been shorter than: its waves at their truth, the rest as it ran. */
function floorsOf(
  incident: Incident,
  journals: Map<string, JournalEntry[]>,
  truth: TruthEvent[],
): Floors {
  const readyAt = new Map<string, number>();
  for (const e of truth)
    if (e.type === 'instance-start' && e.statusOkAt)
      readyAt.set(String(e.instanceId), at(e.statusOkAt));
  const floors: Floors = { own: new Map(), toWave: new Map(), accounts: new Map() };
  for (const plan of incident.plans) {
    const journal = journals.get(plan.customerId) ?? [];
    if (journal.length === 0) continue;
    const start = journal[0]?.at ?? 0;
    const launchedAs = new Map<string, string>();
    for (const e of journal)
      if (e.type === 'server-launched')
        launchedAs.set(`${e.stepId}:${e.data.server}`, e.data.recoveryInstanceId);
    let saved = 0;
    const account = floors.accounts.get(plan.account) ?? { serverSeconds: 0, jobSeconds: 0 };
    for (const step of journal.filter(
      (e) => e.type === 'step-started' && e.data.kind === 'recover-wave',
    )) {
      const stepId = String(step.stepId);
      const ended =
        journal.find((e) => e.stepId === stepId && e.type === 'step-finished')?.at ?? step.at;
      const groups = new Map<number, string[]>();
      for (const e of journal)
        if (e.stepId === stepId && e.type === 'drs-job-started') {
          groups.set(e.at, [...(groups.get(e.at) ?? []), ...e.data.servers]);
          const ready = e.data.servers.map(
            (s) => readyAt.get(launchedAs.get(`${stepId}:${s}`) ?? '') ?? e.at,
          );
          account.serverSeconds += ready.reduce((n, r) => n + (r - e.at) / 1000, 0);
          account.jobSeconds += (Math.max(...ready) - e.at) / 1000;
        }
      let floor = 0;
      for (const [jobAt, servers] of groups) {
        const ready = servers.map(
          (s) => readyAt.get(launchedAs.get(`${stepId}:${s}`) ?? '') ?? jobAt,
        );
        floor = Math.max(floor, Math.max(...ready) - jobAt);
      }
      saved += ended - step.at - floor;
      const wave = journal.find((e) => e.stepId === stepId && e.type === 'drs-job-started');
      if (wave?.type === 'drs-job-started')
        floors.toWave.set(`${plan.customerId}#${wave.data.wave}`, (ended - start - saved) / 1000);
    }
    floors.accounts.set(plan.account, account);
    const end = journal.at(-1)?.at ?? start;
    floors.own.set(plan.customerId, (end - start - saved) / 1000);
  }
  return floors;
}

/** The makespan's lower bound (seconds from approval): the largest plan chain and account load. */
function lowerBound(incident: Incident, floors: Floors, limits: { jobs: number; servers: number }) {
  const done = new Map<string, number>();
  const endOf = (id: string): number => {
    const known = done.get(id);
    if (known !== undefined) return known;
    const plan = incident.plans.find((p) => p.customerId === id);
    // A drill already under way when the region went is not the incident's to shorten.
    if (!plan || plan.existing) return 0;
    const start = Math.max(
      0,
      ...plan.waitsFor.map((w) =>
        w.wave
          ? endOf(w.plan) -
            (floors.own.get(w.plan) ?? 0) +
            (floors.toWave.get(`${w.plan}#${w.wave}`) ?? 0)
          : endOf(w.plan),
      ),
    );
    const end = start + (floors.own.get(id) ?? 0);
    done.set(id, end);
    return end;
  };
  const chains = Math.max(...incident.plans.map((p) => endOf(p.customerId)));
  const accounts = Math.max(
    ...[...floors.accounts.values()].map((a) =>
      Math.max(a.serverSeconds / limits.servers, a.jobSeconds / limits.jobs),
    ),
  );
  return { bound: Math.max(chains, accounts), chains, accounts };
}

export async function benchRegion(): Promise<void> {
  const customers = Number(process.env.LIFEBOAT_BENCH_CUSTOMERS ?? 30);
  const plansDir = await mkdtemp(join(tmpdir(), 'lifeboat-region-plans-'));
  await writeSyntheticEstate(plansDir, { customers, accounts: 3 });
  const settingsFile = join(
    await mkdtemp(join(tmpdir(), 'lifeboat-region-config-')),
    'defaults.yaml',
  );
  const settings = parse(await readFile(DEFAULTS_FILE, 'utf8'));
  await writeFile(settingsFile, stringify(settings));
  const started = performance.now();
  const result = await runRegionLocally({
    region: 'us-east-1',
    options: { 'report-dir': await mkdtemp(join(tmpdir(), 'lifeboat-region-reports-')) },
    plansDir,
    settingsFile,
    onLine: () => {},
  });
  const wall = (performance.now() - started) / 1000;
  const { incident, aws } = result;
  const { journals } = result;
  const truth = aws.estate.truth;
  const floors = floorsOf(incident, journals, truth);
  const limits = {
    jobs: Math.min(Number(settings.maxConcurrentJobs ?? 20), 20),
    servers: Math.min(Number(settings.maxServersInActiveJobs ?? 500), 500),
  };
  const { bound, chains, accounts } = lowerBound(incident, floors, limits);
  const makespan = ((incident.endedAt ?? 0) - (incident.approvedAt ?? 0)) / 1000;
  const servers = incident.plans.reduce((n, p) => n + p.servers, 0);
  const h = (s: number) => `${(s / 3600).toFixed(2)} h`;
  console.log(
    `Region: us-east-1 lost, ${incident.plans.length} plans (${servers} servers) failed over as one incident (${incident.status})`,
  );
  console.log(
    `  makespan ${h(makespan)} over its lower bound ${h(bound)} (plan chains ${h(chains)}, account budgets ${h(accounts)}): ${(makespan / bound).toFixed(3)} (aim 1.05 or less)`,
  );
  console.log(
    `  DRS quota refusals: ${truth.filter((e) => e.type === 'drs-quota-refused').length} (aim 0); servers launched twice: ${(() => {
      const launched = truth
        .filter((e) => e.type === 'recovery-launched')
        .map((e) => String(e.server));
      return launched.length - new Set(launched).size;
    })()}`,
  );
  const histories = incident.plans
    .filter((p) => p.executionId)
    .map((p) => result.historyOf(String(p.executionId)));
  console.log(
    `  largest Step Functions history: ${Math.max(...histories)} events of one run, ${result.historyOf(incident.incidentId)} of the incident (limit 25,000)`,
  );
  const missed = result.plans.filter((p) => p.rto && !p.rto.met).length;
  console.log(
    `  plans that missed their RTO: ${missed} of ${result.plans.length}; real time ${wall.toFixed(0)} s`,
  );
}
