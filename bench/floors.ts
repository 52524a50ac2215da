/**
 * The floors the benchmarks hold a run against, from the simulator's ground truth: what a run
 * must wait on (DRS's launch, the instance's status checks, the SSM agent coming Online, each
 * health document's run) at the time it took in the truth; everything else a recover-wave step
 * spends (polling, sequencing, waiting for room in an account's budget) is overhead. The other
 * steps count at the time they took.
 */
import type { JournalEntry } from '../orchestrator/domain/journal.ts';
import type { HealthCheck, Plan } from '../orchestrator/domain/plan.ts';
import type { TruthEvent } from '../sandbox/aws/estate.ts';

const at = (iso: unknown) => Date.parse(String(iso));

/** One moment a thing became true, per instance, oldest first. */
type Moments = Map<string, number[]>;

interface DocumentRun {
  document: string;
  sentAt: number;
  /** When the run ended, had its agent stayed up. */
  endsAt: number;
  outcome: string;
}

/** The ground truth, indexed by instance for the floors' lookups. */
export interface TruthIndex {
  statusOk: Moments;
  agentOnline: Moments;
  launched: Moments;
  failed: Map<string, { jobId: string; at: number }[]>;
  documents: Map<string, DocumentRun[]>;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  map.set(key, [...(map.get(key) ?? []), value]);
}

export function indexTruth(truth: readonly TruthEvent[]): TruthIndex {
  const index: TruthIndex = {
    statusOk: new Map(),
    agentOnline: new Map(),
    launched: new Map(),
    failed: new Map(),
    documents: new Map(),
  };
  for (const e of truth) {
    const instanceId = String(e.instanceId);
    if (e.type === 'instance-start' && e.statusOkAt)
      push(index.statusOk, instanceId, at(e.statusOkAt));
    if (e.type === 'ssm-agent-online') push(index.agentOnline, instanceId, at(e.at));
    if (e.type === 'recovery-launched') push(index.launched, instanceId, at(e.launchedAt));
    if (e.type === 'recovery-failed')
      push(index.failed, String(e.server), { jobId: String(e.jobId), at: at(e.at) });
    if (e.type === 'ssm-command') {
      const endsAt = (e.endsAtByInstance ?? {}) as Record<string, string>;
      const outcomes = (e.outcomes ?? {}) as Record<string, string>;
      for (const [id, end] of Object.entries(endsAt))
        push(index.documents, id, {
          document: String(e.document),
          sentAt: at(e.at),
          endsAt: at(end),
          outcome: outcomes[id] ?? 'Failed',
        });
    }
  }
  return index;
}

const firstFrom = (moments: number[] | undefined, from: number) => moments?.find((m) => m >= from);

/**
 * The earliest moment a server launched by a job at `jobAt` into `instanceId` could have been
 * healthy under `checks`: its launch and status checks as DRS and EC2 took them, its agent's
 * start-up, then its health documents (sent together the moment both held) at the time each
 * took on that instance. Undefined when the truth shows no launch.
 */
export function healthyFloor(
  index: TruthIndex,
  instanceId: string,
  jobAt: number,
  checks: readonly HealthCheck[],
): number | undefined {
  const launched = firstFrom(index.launched.get(instanceId), jobAt);
  if (launched === undefined) return undefined;
  let ready = launched;
  if (checks.some((c) => c.kind === 'instance-status'))
    ready = Math.max(ready, firstFrom(index.statusOk.get(instanceId), jobAt) ?? ready);
  if (checks.some((c) => c.kind !== 'instance-status'))
    ready = Math.max(ready, firstFrom(index.agentOnline.get(instanceId), jobAt) ?? ready);
  let documents = 0;
  for (const check of checks) {
    if (check.kind !== 'ssm-document') continue;
    const run = index.documents
      .get(instanceId)
      ?.find((r) => r.document === check.document && r.sentAt >= jobAt && r.outcome === 'Success');
    if (run) documents = Math.max(documents, run.endsAt - run.sentAt);
  }
  return ready + documents;
}

/** A recover-wave step as it ran against its floor (ms, virtual time). */
export interface WaveFloor {
  stepId: string;
  wave: string;
  startedAt: number;
  endedAt: number;
  floor: number;
}

/**
 * Each recover-wave step of a run: its jobs grouped by the moment they started (the jobs of one
 * boot group's batch start together; batches and boot groups follow one another), each group at
 * its slowest server's healthy floor after its jobs started. The wait before the first job and
 * between groups is the run's own (polling, or room in a shared account's budget), not a floor.
 * Servers excluded from the plan or whose launch failed count to the moment DRS said so.
 */
export function waveFloors(
  journal: readonly JournalEntry[],
  plan: Plan,
  index: TruthIndex,
): WaveFloor[] {
  const checksOf = new Map(plan.waves.map((w) => [w.name, w.healthChecks]));
  const floors: WaveFloor[] = [];
  for (const step of journal) {
    if (step.type !== 'step-started' || step.data.kind !== 'recover-wave') continue;
    const stepId = String(step.stepId);
    const own = journal.filter((e) => e.stepId === stepId);
    const endedAt = own.find((e) => e.type === 'step-finished')?.at ?? step.at;
    const launchedAs = new Map<string, string>();
    for (const e of own)
      if (e.type === 'server-launched') launchedAs.set(e.data.server, e.data.recoveryInstanceId);
    const rounds = new Map<number, { wave: string; servers: string[]; jobIds: string[] }>();
    for (const e of own)
      if (e.type === 'drs-job-started') {
        const round = rounds.get(e.at) ?? { wave: e.data.wave, servers: [], jobIds: [] };
        round.servers.push(...e.data.servers);
        round.jobIds.push(e.data.jobId);
        rounds.set(e.at, round);
      }
    let floor = 0;
    let wave = '';
    for (const [jobAt, round] of rounds) {
      wave = round.wave;
      const checks = checksOf.get(round.wave) ?? [];
      const ready = round.servers.map((server) => {
        const instanceId = launchedAs.get(server);
        const healthy = instanceId ? healthyFloor(index, instanceId, jobAt, checks) : undefined;
        const failed = index.failed
          .get(server)
          ?.find((f) => round.jobIds.includes(f.jobId) && f.at >= jobAt)?.at;
        return healthy ?? failed ?? jobAt;
      });
      floor += Math.max(jobAt, ...ready) - jobAt;
    }
    floors.push({ stepId, wave, startedAt: step.at, endedAt, floor });
  }
  return floors;
}

/** Per account: the server-seconds and job-seconds its DRS jobs held against its quotas. */
export function jobLoads(
  truth: readonly TruthEvent[],
): Map<string, { serverSeconds: number; jobSeconds: number }> {
  const loads = new Map<string, { serverSeconds: number; jobSeconds: number }>();
  for (const e of truth) {
    if (e.type !== 'drs-job' || !e.endsAt) continue;
    const seconds = (at(e.endsAt) - at(e.at)) / 1000;
    const load = loads.get(String(e.account)) ?? { serverSeconds: 0, jobSeconds: 0 };
    load.serverSeconds += seconds * (e.servers as string[]).length;
    load.jobSeconds += seconds;
    loads.set(String(e.account), load);
  }
  return loads;
}
