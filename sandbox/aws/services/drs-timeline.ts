import type { Estate } from '../estate.ts';
import type { Job, JobServer, Lag, LaunchStatus, Snapshot, Source } from './drs-state.ts';

/**
 * What DRS shows at a moment, computed from the clock and the faults in force: replication lag,
 * point-in-time snapshots, a job's progress and log. Nothing here changes state, so reading a
 * source server twice at one moment gives the same answer, and reading it never moves it.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function readLag(estate: Estate, source: Source, now: number): Lag {
  if (source.replication === 'STOPPED') return { state: 'STOPPED', lastDataAt: now };
  if (
    source.replication === 'INITIAL_SYNC' &&
    source.syncDoneAt !== undefined &&
    now < source.syncDoneAt
  )
    return { state: 'INITIAL_SYNC', lastDataAt: source.addedAt, etaAt: source.syncDoneAt };
  // A sync that is done replicates continuously from then on.
  const { faults, random } = estate.deps;
  const down = faults.regionDownSince(source.originRegion);
  if (down !== undefined) {
    const since = Math.max(down, source.addedAt);
    return { state: 'DISCONNECTED', lagMs: now - since, lastDataAt: since };
  }
  const stalled = faults.stalledSince(source.name, source.id);
  if (stalled !== undefined) {
    const since = Math.max(stalled, source.addedAt);
    return { state: 'STALLED', lagMs: now - since, lastDataAt: since };
  }
  const origin = estate.instance(source.originInstanceId);
  if (!origin || origin.state === 'terminated')
    return { state: 'DISCONNECTED', lagMs: 0, lastDataAt: source.addedAt };
  if (
    (origin.state === 'stopped' || origin.state === 'stopping') &&
    origin.stoppedAt !== undefined
  ) {
    // The agent flushes what is in flight; after that nothing changes, so lag is zero.
    const drained =
      origin.stoppedAt + random.between(`drain:${source.id}:${origin.stoppedAt}`, 30, 180) * 1000;
    const lagMs = Math.max(0, drained - now);
    return { state: 'CONTINUOUS', lagMs, lastDataAt: lagMs > 0 ? now - lagMs : origin.stoppedAt };
  }
  const lagMs = random.between(`lag:${source.id}:${Math.floor(now / (5 * MINUTE))}`, 0, 5) * 1000;
  return { state: 'CONTINUOUS', lagMs, lastDataAt: now - lagMs };
}

/**
 * Point-in-time snapshots as DRS keeps them: every 10 minutes for the last hour, hourly for a
 * day, daily for a week, plus the on-demand ones taken by recovery jobs. Newest first.
 */
export function listSnapshots(estate: Estate, source: Source, now: number): Snapshot[] {
  const { random } = estate.deps;
  const { lastDataAt } = readLag(estate, source, now);
  const times = new Set<number>();
  for (const [step, span] of [
    [10 * MINUTE, HOUR],
    [HOUR, DAY],
    [DAY, 7 * DAY],
  ] as const) {
    for (let t = Math.floor(now / step) * step; t > now - span; t -= step) {
      if (t >= source.addedAt && t <= lastDataAt) times.add(t);
    }
  }
  // Retention thins old points in time, but never the newest one (a disconnected server's last).
  const newest = Math.floor(lastDataAt / (10 * MINUTE)) * 10 * MINUTE;
  if (newest >= source.addedAt) times.add(newest);
  const scheduled = [...times].map((t) => ({
    id: `pit-${random.hex(`pit:${source.id}:${t}`, 17)}`,
    sourceServerId: source.id,
    expectedAt: t,
    dataAt: t - random.between(`pitlag:${source.id}:${t}`, 0, 5) * 1000,
  }));
  return [...scheduled, ...source.onDemandSnapshots.filter((s) => s.expectedAt <= now)].sort(
    (a, b) => b.expectedAt - a.expectedAt,
  );
}

export function jobEnd(job: Job): number {
  return Math.max(job.createdAt, ...job.servers.map((s) => s.times.end));
}

export function readJobStatus(job: Job, now: number): 'PENDING' | 'STARTED' | 'COMPLETED' {
  const end = jobEnd(job);
  return now < job.createdAt + 5000 ? 'PENDING' : end <= now ? 'COMPLETED' : 'STARTED';
}

export function readLaunchStatus(job: Job, server: JobServer, now: number): LaunchStatus {
  if (job.type === 'TERMINATE') return server.times.end <= now ? 'TERMINATED' : 'IN_PROGRESS';
  if (server.times.end <= now) return server.failure ? 'FAILED' : 'LAUNCHED';
  return now >= server.times.launchStart ? 'IN_PROGRESS' : 'PENDING';
}

export interface JobLogEvent {
  at: number;
  event: string;
  data?: Record<string, unknown>;
}

/** The log DRS keeps for a job: per server, the snapshot, conversion and launch, in time order. */
export function readJobLog(job: Job, now: number): JobLogEvent[] {
  const events: JobLogEvent[] = [{ at: job.createdAt, event: 'JOB_START' }];
  for (const s of job.servers) {
    const data = { sourceServerID: s.sourceId };
    const t = s.times;
    if (job.type === 'TERMINATE') {
      events.push(
        { at: t.snapshotStart, event: 'CLEANUP_START', data },
        { at: t.end, event: 'CLEANUP_END', data },
      );
      continue;
    }
    if (s.usedPrevious)
      events.push({ at: t.snapshotStart, event: 'USING_PREVIOUS_SNAPSHOT', data });
    else
      events.push(
        { at: t.snapshotStart, event: 'SNAPSHOT_START', data },
        { at: t.snapshotEnd, event: 'SNAPSHOT_END', data },
      );
    events.push(
      {
        at: t.conversionStart,
        event: 'CONVERSION_START',
        data: { ...data, conversionServerID: `i-0c${s.sourceId.slice(2, 17)}` },
      },
      { at: t.conversionEnd, event: 'CONVERSION_END', data },
      { at: t.launchStart, event: 'LAUNCH_START', data },
    );
    if (s.failure)
      events.push({
        at: t.end,
        event: 'LAUNCH_FAILED',
        data: {
          ...data,
          ...(s.launchInto ? { targetInstanceID: s.launchInto } : {}),
          rawError: s.failure,
        },
      });
  }
  events.push({ at: jobEnd(job), event: 'JOB_END' });
  return events.filter((e) => e.at <= now).sort((a, b) => a.at - b.at);
}
