/**
 * A region-wide failover: the synthetic estate (30 customers, about 900 servers in us-east-1,
 * recovered into 3 accounts of 300, plus the shared services) with us-east-1 down, as one
 * incident requested and approved in the fake Slack, every card and prompt written through
 * Slack's rate limits on the simulated clock. Reports the makespan (approval to the last plan's
 * end) over its lower bound, DRS quota refusals (aim 0), the jobs that waited for room in an
 * account's budget, Slack writes per plan and for the operations channel with the 429s (aim 0),
 * the largest Step Functions history of one run (limit 25,000) and the real time it took.
 *
 * The lower bound, from the simulator's truth for everything a run must wait on (bench/floors.ts):
 * per plan, its own floor (its steps as they ran, each wave shortened to its servers' way to
 * healthy: launch, status checks, SSM agent, health documents) after the floors of the plans it
 * comes after; per account, from the earliest floor start of its plans, the server-seconds its DRS
 * jobs held (each job from its start to its last launch, as DRS counts it) over the budget of
 * servers in jobs, and job-seconds over the budget of jobs. The bound is the largest.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parse, stringify } from 'yaml';
import { DEFAULTS_FILE } from '../cli/io.ts';
import { playIncident } from '../cli/sandbox-incident.ts';
import { SandboxSession } from '../cli/sandbox-session.ts';
import type { Terminal } from '../cli/terminal.ts';
import { FilePlanSource, readSettingsFile } from '../orchestrator/adapters/config-files.ts';
import type { Incident } from '../orchestrator/domain/incident.ts';
import type { JournalEntry } from '../orchestrator/domain/journal.ts';
import type { Plan } from '../orchestrator/domain/plan.ts';
import type { TruthEvent } from '../sandbox/aws/estate.ts';
import { writeSyntheticEstate } from '../sandbox/aws/synthetic-estate.ts';
import { indexTruth, jobLoads, waveFloors } from './floors.ts';

interface Floors {
  /** Per plan: seconds from its start to its end at the least, given the truth. */
  own: Map<string, number>;
  /** Per plan and wave: seconds from its start to that wave's end at the least. */
  toWave: Map<string, number>;
  /** Per account: server-seconds and job-seconds its DRS jobs held against its quotas. */
  accounts: Map<string, { serverSeconds: number; jobSeconds: number }>;
}

/** What each run could not have been shorter than: its waves at their floors, the rest as it ran. */
function floorsOf(
  incident: Incident,
  plans: readonly Plan[],
  journals: Map<string, JournalEntry[]>,
  truth: TruthEvent[],
): Floors {
  const index = indexTruth(truth);
  const floors: Floors = { own: new Map(), toWave: new Map(), accounts: jobLoads(truth) };
  for (const { customerId } of incident.plans) {
    const journal = journals.get(customerId) ?? [];
    const plan = plans.find((p) => p.customer.id === customerId);
    if (journal.length === 0 || !plan) continue;
    const start = journal[0]?.at ?? 0;
    let saved = 0;
    for (const wave of waveFloors(journal, plan, index)) {
      saved += wave.endedAt - wave.startedAt - wave.floor;
      floors.toWave.set(`${customerId}#${wave.wave}`, (wave.endedAt - start - saved) / 1000);
    }
    const end = journal.at(-1)?.at ?? start;
    floors.own.set(customerId, (end - start - saved) / 1000);
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
  // An account's jobs fit in its budget at best back to back, from the earliest moment any of its
  // plans could start (nothing launches there before what they come after has recovered).
  const accounts = Math.max(
    ...[...floors.accounts].map(([account, a]) => {
      const starts = incident.plans
        .filter((p) => p.account === account && !p.existing)
        .map((p) => endOf(p.customerId) - (floors.own.get(p.customerId) ?? 0));
      const from = starts.length > 0 ? Math.min(...starts) : 0;
      return from + Math.max(a.serverSeconds / limits.servers, a.jobSeconds / limits.jobs);
    }),
  );
  return { bound: Math.max(chains, accounts), chains, accounts };
}

/** The sandbox's terminal, unread: the bench reads Slack's counts, not its transcript. */
function quietTerminal(): Terminal {
  return {
    write: () => {},
    isTTY: false,
    columns: () => 100,
    rows: () => 40,
    input: new PassThrough(),
    inputIsTTY: false,
    env: {},
    cwd: process.cwd(),
  };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

export async function benchRegion(): Promise<void> {
  const customers = Number(process.env.LIFEBOAT_BENCH_CUSTOMERS ?? 30);
  const region = 'us-east-1';
  const plansDir = await mkdtemp(join(tmpdir(), 'lifeboat-region-plans-'));
  await writeSyntheticEstate(plansDir, { customers, accounts: 3 });
  // LIFEBOAT_BENCH_JOBS lowers each account's budget of concurrent DRS jobs, so that it binds.
  const settingsFile = join(
    await mkdtemp(join(tmpdir(), 'lifeboat-region-config-')),
    'defaults.yaml',
  );
  const defaults = parse(await readFile(DEFAULTS_FILE, 'utf8'));
  if (process.env.LIFEBOAT_BENCH_JOBS)
    defaults.maxConcurrentJobs = Number(process.env.LIFEBOAT_BENCH_JOBS);
  await writeFile(settingsFile, stringify(defaults));
  const settings = await readSettingsFile(settingsFile);
  if (!settings.regionWide) throw new Error(`${DEFAULTS_FILE} has no regionWide section`);
  const all = await new FilePlanSource(plansDir).loadAll();
  const plans = all.filter((p) => p.regions.primary === region);
  const started = performance.now();
  // As people run it: requested and approved in the fake Slack, every card and prompt written
  // through Slack's rate limits on the simulated clock (an incident of hours meets them over hours).
  const session = await SandboxSession.open({
    plansDir,
    plans,
    terminal: quietTerminal(),
    speed: 0,
    faults: [`region-down:${region}`],
    reportDir: await mkdtemp(join(tmpdir(), 'lifeboat-region-reports-')),
    operationsChannel: settings.regionWide.channel,
    slackSpeed: 'simulated',
    settingsFile,
  });
  const { sandbox } = session;
  const journals = new Map<string, JournalEntry[]>();
  let played: Awaited<ReturnType<typeof playIncident>>;
  try {
    played = await playIncident(session, region, settings.regionWide, plans);
    for (const p of played.incident.plans)
      if (p.executionId) journals.set(p.customerId, await sandbox.runs.journal(p.executionId));
  } finally {
    await session.close();
  }
  const wall = (performance.now() - started) / 1000;
  const { incident } = played;
  const truth = sandbox.aws.estate.truth;
  const floors = floorsOf(incident, plans, journals, truth);
  const limits = {
    jobs: Math.min(settings.maxConcurrentJobs, 20),
    servers: Math.min(settings.maxServersInActiveJobs, 500),
  };
  const { bound, chains, accounts } = lowerBound(incident, floors, limits);
  const makespan = ((incident.endedAt ?? 0) - (incident.approvedAt ?? 0)) / 1000;
  const servers = incident.plans.reduce((n, p) => n + p.servers, 0);
  const h = (s: number) => `${(s / 3600).toFixed(2)} h`;
  console.log(
    `Region: ${region} lost, ${incident.plans.length} plans (${servers} servers) failed over as one incident (${incident.status}), requested and approved in the fake Slack`,
  );
  console.log(
    `  makespan ${h(makespan)} over its lower bound ${h(bound)} (plan chains ${h(chains)}, account budgets ${h(accounts)}): ${(makespan / bound).toFixed(3)} (aim 1.05 or less)`,
  );
  const launched = truth.filter((e) => e.type === 'recovery-launched').map((e) => String(e.server));
  console.log(
    `  DRS quota refusals: ${truth.filter((e) => e.type === 'drs-quota-refused').length} (aim 0); servers launched twice: ${launched.length - new Set(launched).size}`,
  );
  const waits = [...journals.values()].flat().filter((e) => e.type === 'admission-waiting');
  const byReason = (reason: string) =>
    waits.filter((e) => e.type === 'admission-waiting' && e.data.reason === reason).length;
  console.log(
    `  DRS jobs that waited for room in their account's budget: ${waits.length} (for jobs ${byReason('jobs')}, for servers ${byReason('servers')}, queued behind a higher priority ${byReason('queued')})`,
  );
  const { byChannel, rateLimited } = sandbox.slack.writeCounts();
  const writes = (channel: string) =>
    (byChannel[channel]?.posts ?? 0) + (byChannel[channel]?.updates ?? 0);
  const perPlan = plans.map((p) => p.slack.channels.reduce((n, c) => n + writes(c), 0));
  const card = byChannel[settings.regionWide.channel];
  console.log(
    `  Slack writes per plan: p50 ${percentile(perPlan, 50)}, max ${Math.max(...perPlan)}; the operations channel ${card?.posts ?? 0} posts and ${card?.updates ?? 0} updates; 429s ${rateLimited} (aim 0); over ${h(makespan)} of Slack's time`,
  );
  const histories = incident.plans
    .filter((p) => p.executionId)
    .map((p) => sandbox.orchestrator.historyEventsOf(String(p.executionId)));
  console.log(
    `  largest Step Functions history: ${Math.max(...histories)} events of one run, ${sandbox.orchestrator.historyEventsOf(incident.incidentId)} of the incident (limit 25,000)`,
  );
  const missed = played.plans.flatMap(({ customerId, report }) => {
    if (!report || report.rto.met) return [];
    const plan = incident.plans.find((p) => p.customerId === customerId);
    const startedAfter = ((plan?.startedAt ?? 0) - incident.createdAt) / 60_000;
    const floor = (floors.own.get(customerId) ?? 0) / 60;
    return [
      `${customerId} (RTO ${report.rto.text ?? 'not measured'}, target ${report.rto.targetText}: started ${startedAfter.toFixed(0)} min after the request, its own floor ${floor.toFixed(0)} min)`,
    ];
  });
  console.log(
    `  plans that missed their RTO: ${missed.length} of ${played.plans.length}${missed.length > 0 ? `: ${missed.join(', ')}` : ''}; bot errors ${sandbox.errors.length}; real time ${wall.toFixed(0)} s`,
  );
}
