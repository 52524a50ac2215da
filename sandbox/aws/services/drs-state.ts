import { AwsError } from '../errors.ts';
import type { Estate, Instance } from '../estate.ts';

/** DRS's quotas, as the service enforces them per account and region. */
export const QUOTAS = { serversPerJob: 100, concurrentJobs: 20, serversInActiveJobs: 500 } as const;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export type ReplicationState =
  | 'CONTINUOUS'
  | 'STOPPED'
  | 'INITIAL_SYNC'
  | 'STALLED'
  | 'DISCONNECTED';
export type LaunchStatus = 'PENDING' | 'IN_PROGRESS' | 'LAUNCHED' | 'FAILED' | 'TERMINATED';

export interface LaunchConfig {
  name: string;
  launchDisposition: 'STOPPED' | 'STARTED';
  targetInstanceTypeRightSizingMethod: 'NONE' | 'BASIC' | 'IN_AWS';
  copyPrivateIp: boolean;
  copyTags: boolean;
  licensing: { osByol: boolean };
  /** Post-launch actions: among them, the SSM agent is installed for the launch region. */
  postLaunchEnabled: boolean;
  launchIntoInstanceProperties?: { launchIntoEC2InstanceID?: string };
}

export interface Source {
  id: string;
  arn: string;
  account: string;
  /** Where DRS lists it: the region it replicates into. */
  region: string;
  direction: 'FAILOVER' | 'FAILBACK';
  /** The plan's server name, for faults and ground truth. */
  name: string;
  originInstanceId: string;
  originRegion: string;
  addedAt: number;
  tags: Record<string, string>;
  launchConfig: LaunchConfig;
  replication: 'CONTINUOUS' | 'STOPPED' | 'INITIAL_SYNC';
  /** When the initial sync (or a re-sync) ends. */
  syncDoneAt?: number;
  lastLaunch?: { jobId: string; type: 'RECOVERY' | 'DRILL'; at: number; status: LaunchStatus };
  recoveryInstanceId?: string;
  reversedArn?: string;
  onDemandSnapshots: Snapshot[];
}

export interface Snapshot {
  id: string;
  sourceServerId: string;
  expectedAt: number;
  /** The moment of the data the snapshot holds. */
  dataAt: number;
}

export interface JobServer {
  sourceId: string;
  name: string;
  snapshot?: Snapshot;
  usedPrevious: boolean;
  times: {
    snapshotStart: number;
    snapshotEnd: number;
    conversionStart: number;
    conversionEnd: number;
    launchStart: number;
    end: number;
  };
  failure?: string;
  launchInto?: string;
  recoveryInstanceId?: string;
  settled: boolean;
}

export interface Job {
  id: string;
  arn: string;
  account: string;
  region: string;
  type: 'LAUNCH' | 'TERMINATE';
  initiatedBy: 'START_RECOVERY' | 'START_DRILL' | 'TERMINATE_RECOVERY_INSTANCES';
  createdAt: number;
  isDrill: boolean;
  tags: Record<string, string>;
  servers: JobServer[];
}

export interface RecoveryInstance {
  id: string;
  arn: string;
  account: string;
  region: string;
  sourceId: string;
  jobId: string;
  isDrill: boolean;
  pointInTime: number;
  launchedAt: number;
  tags: Record<string, string>;
  originRegion: string;
  reversedSourceId?: string;
}

export interface Lag {
  state: ReplicationState;
  lagMs?: number;
  /** The latest moment whose data has reached the staging area. */
  lastDataAt: number;
  etaAt?: number;
}

/** The DRS world of every account and region: source servers, jobs, recovery instances. */
export class DrsState {
  readonly sources = new Map<string, Source>();
  readonly jobs = new Map<string, Job>();
  readonly recoveryInstances = new Map<string, RecoveryInstance>();
  private readonly since = new Map<string, number>();

  constructor(private readonly estate: Estate) {
    estate.onSettle(() => this.settle());
    this.seed();
  }

  private get random() {
    return this.estate.deps.random;
  }

  private seed(): void {
    const addedAt = this.estate.now() - 30 * DAY;
    for (const home of this.estate.servers.values()) {
      this.addSource({
        id: home.sourceServerId,
        account: home.account,
        region: home.recoveryRegion,
        direction: 'FAILOVER',
        name: home.name,
        originInstanceId: home.primaryInstanceId,
        originRegion: home.primaryRegion,
        addedAt,
        tags: { Name: home.name, customer: home.customerId },
        launchConfig: defaultLaunchConfig(home.name),
        replication: 'CONTINUOUS',
      });
    }
  }

  addSource(fields: Omit<Source, 'arn' | 'onDemandSnapshots'>): Source {
    const source = {
      ...fields,
      arn: `arn:aws:drs:${fields.region}:${fields.account}:source-server/${fields.id}`,
      onDemandSnapshots: [],
    };
    this.sources.set(source.id, source);
    return source;
  }

  /** The source server in this account and region, or ResourceNotFoundException. */
  source(account: string, region: string, id: string): Source {
    const source = this.sources.get(id);
    if (!source || source.account !== account || source.region !== region) {
      throw new AwsError('ResourceNotFoundException', `Source server ${id} not found`, 404, {
        resourceId: id,
        resourceType: 'SOURCE_SERVER',
      });
    }
    return source;
  }

  sourcesIn(account: string, region: string): Source[] {
    return [...this.sources.values()].filter((s) => s.account === account && s.region === region);
  }

  /** When a condition (a region down, a stalled server) was first seen: lag grows from there. */
  private firstSeen(key: string, active: boolean, now: number): number | undefined {
    if (!active) {
      this.since.delete(key);
      return undefined;
    }
    if (!this.since.has(key)) this.since.set(key, now);
    return this.since.get(key);
  }

  lag(source: Source, now = this.estate.now()): Lag {
    if (source.replication === 'STOPPED') return { state: 'STOPPED', lastDataAt: now };
    if (source.replication === 'INITIAL_SYNC' && source.syncDoneAt !== undefined) {
      if (now < source.syncDoneAt)
        return { state: 'INITIAL_SYNC', lastDataAt: source.addedAt, etaAt: source.syncDoneAt };
      source.replication = 'CONTINUOUS';
    }
    const { faults } = this.estate.deps;
    const down = this.firstSeen(
      `down:${source.originRegion}`,
      faults.isRegionDown(source.originRegion),
      now,
    );
    if (down !== undefined) return { state: 'DISCONNECTED', lagMs: now - down, lastDataAt: down };
    const stalls = faults.names('stall');
    const stalled = this.firstSeen(
      `stall:${source.id}`,
      stalls.has(source.name) || stalls.has(source.id),
      now,
    );
    if (stalled !== undefined)
      return { state: 'STALLED', lagMs: now - stalled, lastDataAt: stalled };
    const origin = this.estate.instance(source.originInstanceId);
    if (!origin || origin.state === 'terminated')
      return { state: 'DISCONNECTED', lagMs: 0, lastDataAt: source.addedAt };
    if (
      (origin.state === 'stopped' || origin.state === 'stopping') &&
      origin.stoppedAt !== undefined
    ) {
      // The agent flushes what is in flight; after that nothing changes, so lag is zero.
      const drained =
        origin.stoppedAt +
        this.random.between(`drain:${source.id}:${origin.stoppedAt}`, 30, 180) * 1000;
      const lagMs = Math.max(0, drained - now);
      return { state: 'CONTINUOUS', lagMs, lastDataAt: lagMs > 0 ? now - lagMs : origin.stoppedAt };
    }
    const lagMs =
      this.random.between(`lag:${source.id}:${Math.floor(now / (5 * MINUTE))}`, 0, 5) * 1000;
    return { state: 'CONTINUOUS', lagMs, lastDataAt: now - lagMs };
  }

  /**
   * Point-in-time snapshots as DRS keeps them: every 10 minutes for the last hour, hourly for a
   * day, daily for a week, plus the on-demand ones taken by recovery jobs. Newest first.
   */
  snapshots(source: Source, now = this.estate.now()): Snapshot[] {
    const { lastDataAt } = this.lag(source, now);
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
      id: `pit-${this.random.hex(`pit:${source.id}:${t}`, 17)}`,
      sourceServerId: source.id,
      expectedAt: t,
      dataAt: t - this.random.between(`pitlag:${source.id}:${t}`, 0, 5) * 1000,
    }));
    return [...scheduled, ...source.onDemandSnapshots.filter((s) => s.expectedAt <= now)].sort(
      (a, b) => b.expectedAt - a.expectedAt,
    );
  }

  activeJobs(account: string, region: string, now = this.estate.now()): Job[] {
    return [...this.jobs.values()].filter(
      (j) => j.account === account && j.region === region && jobEnd(j) > now,
    );
  }

  startRecovery(
    account: string,
    region: string,
    request: {
      sourceServers: { sourceServerID: string; recoverySnapshotID?: string }[];
      isDrill: boolean;
      tags: Record<string, string>;
    },
  ): Job {
    const now = this.estate.now();
    const wanted = request.sourceServers;
    if (wanted.length === 0 || wanted.length > 200) {
      throw new AwsError(
        'ValidationException',
        'sourceServers must have between 1 and 200 items',
        400,
        {
          reason: 'fieldValidationFailed',
          fieldList: [{ name: 'sourceServers', message: 'length' }],
        },
      );
    }
    if (wanted.length > QUOTAS.serversPerJob) {
      throw quota(
        `A job can recover at most ${QUOTAS.serversPerJob} source servers; this one asks for ${wanted.length}.`,
        'L-DRS-JOB-SERVERS',
      );
    }
    const sources = wanted.map((w) => this.source(account, region, w.sourceServerID));
    const active = this.activeJobs(account, region, now);
    if (active.length >= QUOTAS.concurrentJobs) {
      throw quota(
        `At most ${QUOTAS.concurrentJobs} jobs may run at once; ${active.length} are running.`,
        'L-DRS-CONCURRENT-JOBS',
      );
    }
    const conflicting = sources.filter((s) => this.serverBusy(s.id, now));
    if (conflicting.length > 0) {
      throw new AwsError(
        'ConflictException',
        `Source server ${conflicting[0]?.id} is already part of an active job.`,
        409,
        { resourceId: conflicting[0]?.id, resourceType: 'SOURCE_SERVER' },
      );
    }
    const inFlight = active.reduce((n, j) => n + j.servers.length, 0);
    if (inFlight + sources.length > QUOTAS.serversInActiveJobs) {
      throw quota(
        `At most ${QUOTAS.serversInActiveJobs} source servers may be in active jobs; ${inFlight} are, and this job adds ${sources.length}.`,
        'L-DRS-ACTIVE-SERVERS',
      );
    }
    const id = `drsjob-${this.random.hex(`job:${account}:${region}:${now}:${this.jobs.size}`, 17)}`;
    const job: Job = {
      id,
      arn: `arn:aws:drs:${region}:${account}:job/${id}`,
      account,
      region,
      type: 'LAUNCH',
      initiatedBy: request.isDrill ? 'START_DRILL' : 'START_RECOVERY',
      createdAt: now,
      isDrill: request.isDrill,
      tags: request.tags,
      servers: sources.map((source, i) =>
        this.plan(id, source, wanted[i]?.recoverySnapshotID, now),
      ),
    };
    for (const server of job.servers) {
      const source = this.sources.get(server.sourceId);
      if (source)
        source.lastLaunch = {
          jobId: id,
          type: request.isDrill ? 'DRILL' : 'RECOVERY',
          at: now,
          status: 'PENDING',
        };
    }
    this.jobs.set(id, job);
    this.estate.record('drs-job', {
      jobId: id,
      account,
      region,
      isDrill: request.isDrill,
      servers: job.servers.map((s) => s.name),
    });
    return job;
  }

  private serverBusy(sourceId: string, now: number): boolean {
    return [...this.jobs.values()].some((j) =>
      j.servers.some((s) => s.sourceId === sourceId && s.times.end > now),
    );
  }

  /** The timeline of one server in a job, drawn from the seed: snapshot, conversion, launch. */
  private plan(
    jobId: string,
    source: Source,
    snapshotId: string | undefined,
    now: number,
  ): JobServer {
    const key = `${jobId}:${source.id}`;
    const lag = this.lag(source, now);
    let snapshot: Snapshot | undefined;
    let usedPrevious = false;
    if (snapshotId) {
      snapshot = this.snapshots(source, now).find((s) => s.id === snapshotId);
      if (!snapshot)
        throw new AwsError(
          'ResourceNotFoundException',
          `Recovery snapshot ${snapshotId} not found for ${source.id}`,
          404,
          { resourceId: snapshotId, resourceType: 'RECOVERY_SNAPSHOT' },
        );
    } else if (lag.state === 'DISCONNECTED' || lag.state === 'STALLED') {
      // No fresh data to snapshot: DRS falls back to the latest point in time it has.
      snapshot = this.snapshots(source, now)[0];
      usedPrevious = true;
    }
    const snapshotStart = now + 5000;
    const snapshotEnd =
      snapshotStart + (snapshot ? 5 : this.random.between(`snap:${key}`, 30, 180)) * 1000;
    if (!snapshot) {
      snapshot = {
        id: `pit-${this.random.hex(`ondemand:${key}`, 17)}`,
        sourceServerId: source.id,
        expectedAt: snapshotEnd,
        dataAt: lag.lastDataAt,
      };
      source.onDemandSnapshots.push(snapshot);
    }
    const conversionEnd = snapshotEnd + this.random.between(`conv:${key}`, 300, 900) * 1000;
    const end = conversionEnd + this.random.between(`launch:${key}`, 60, 240) * 1000;
    const failures = this.estate.deps.faults.names('launch-fail');
    const launchInto = source.launchConfig.launchIntoInstanceProperties?.launchIntoEC2InstanceID;
    const failure =
      failures.has(source.name) || failures.has(source.id)
        ? 'Simulated launch failure (fault launch-fail).'
        : this.launchIntoProblem(source, launchInto);
    return {
      sourceId: source.id,
      name: source.name,
      snapshot,
      usedPrevious,
      times: {
        snapshotStart,
        snapshotEnd,
        conversionStart: snapshotEnd,
        conversionEnd,
        launchStart: conversionEnd,
        end,
      },
      ...(failure ? { failure } : {}),
      ...(launchInto ? { launchInto } : {}),
      settled: false,
    };
  }

  /** Launching into an existing instance needs it here, stopped, and tagged for DRS. */
  private launchIntoProblem(source: Source, instanceId: string | undefined): string | undefined {
    if (!instanceId) return undefined;
    const target = this.estate.instance(instanceId);
    if (!target || target.account !== source.account || target.region !== source.region)
      return `Launch-into instance ${instanceId} does not exist in ${source.region}.`;
    if (target.tags.AWSDRS !== 'AllowLaunchingIntoThisInstance')
      return `Instance ${instanceId} lacks the tag AWSDRS=AllowLaunchingIntoThisInstance.`;
    if (target.state !== 'stopped')
      return `Instance ${instanceId} must be stopped to launch into it; it is ${target.state}.`;
    return undefined;
  }

  /** Applies every job event that is due: launches land, terminations end. */
  settle(now = this.estate.now()): void {
    for (const job of this.jobs.values()) {
      for (const server of job.servers) {
        if (server.settled || server.times.end > now) continue;
        server.settled = true;
        if (job.type === 'TERMINATE') this.finishTermination(server);
        else this.finishLaunch(job, server);
      }
    }
  }

  private finishLaunch(job: Job, server: JobServer): void {
    const source = this.sources.get(server.sourceId);
    if (!source) return;
    if (source.lastLaunch?.jobId === job.id)
      source.lastLaunch.status = server.failure ? 'FAILED' : 'LAUNCHED';
    if (server.failure) {
      this.estate.record('recovery-failed', {
        jobId: job.id,
        server: server.name,
        sourceServerId: source.id,
        region: job.region,
        reason: server.failure,
        at: iso(server.times.end),
      });
      return;
    }
    const instance = server.launchInto
      ? this.estate.instances.get(server.launchInto)
      : this.newInstance(job, source);
    if (!instance) return;
    const origin = this.estate.instances.get(source.originInstanceId);
    instance.hasDisks = true;
    instance.agentRegion = source.launchConfig.postLaunchEnabled
      ? job.region
      : (origin?.agentRegion ?? source.originRegion);
    this.estate.start(instance, `drs:${job.id}`, server.times.end);
    server.recoveryInstanceId = instance.instanceId;
    source.recoveryInstanceId = instance.instanceId;
    this.recoveryInstances.set(instance.instanceId, {
      id: instance.instanceId,
      arn: `arn:aws:drs:${job.region}:${job.account}:recovery-instance/${instance.instanceId}`,
      account: job.account,
      region: job.region,
      sourceId: source.id,
      jobId: job.id,
      isDrill: job.isDrill,
      pointInTime: server.snapshot?.dataAt ?? server.times.snapshotEnd,
      launchedAt: server.times.end,
      tags: { ...source.tags },
      originRegion: source.originRegion,
    });
    this.estate.record('recovery-launched', {
      jobId: job.id,
      server: server.name,
      sourceServerId: source.id,
      region: job.region,
      instanceId: instance.instanceId,
      isDrill: job.isDrill,
      snapshotId: server.snapshot?.id,
      usedPreviousSnapshot: server.usedPrevious,
      dataAt: iso(server.snapshot?.dataAt ?? server.times.snapshotEnd),
      launchedAt: iso(server.times.end),
      agentRegion: instance.agentRegion,
    });
  }

  private newInstance(job: Job, source: Source): Instance {
    const id = `i-0${this.random.hex(`instance:${job.id}:${source.id}`, 16)}`;
    const origin = this.estate.instances.get(source.originInstanceId);
    const ip =
      source.launchConfig.copyPrivateIp && origin
        ? origin.privateIp
        : `10.250.${this.random.between(`ipc:${id}`, 0, 255)}.${this.random.between(`ipd:${id}`, 4, 254)}`;
    const instance: Instance = {
      instanceId: id,
      account: job.account,
      region: job.region,
      privateIp: ip,
      tags: {
        ...(source.launchConfig.copyTags ? (origin?.tags ?? {}) : {}),
        Name: source.name,
        AWSElasticDisasterRecoveryManaged: 'drs.amazonaws.com',
        ...(job.isDrill ? { 'lifeboat:drill': 'true' } : {}),
      },
      state: 'stopped',
      launchTime: job.createdAt,
      hasDisks: true,
      platform: origin?.platform ?? 'Linux',
    };
    this.estate.instances.set(id, instance);
    return instance;
  }

  terminate(account: string, region: string, ids: string[]): Job {
    const now = this.estate.now();
    const instances = ids.map((id) => {
      const ri = this.recoveryInstances.get(id);
      if (!ri || ri.account !== account || ri.region !== region)
        throw new AwsError('ResourceNotFoundException', `Recovery instance ${id} not found`, 404, {
          resourceId: id,
          resourceType: 'RECOVERY_INSTANCE',
        });
      return ri;
    });
    const id = `drsjob-${this.random.hex(`terminate:${account}:${now}:${this.jobs.size}`, 17)}`;
    const job: Job = {
      id,
      arn: `arn:aws:drs:${region}:${account}:job/${id}`,
      account,
      region,
      type: 'TERMINATE',
      initiatedBy: 'TERMINATE_RECOVERY_INSTANCES',
      createdAt: now,
      isDrill: instances.every((i) => i.isDrill),
      tags: {},
      servers: instances.map((ri) => {
        const end = now + this.random.between(`term:${ri.id}:${now}`, 30, 90) * 1000;
        return {
          sourceId: ri.sourceId,
          name: this.sources.get(ri.sourceId)?.name ?? ri.sourceId,
          usedPrevious: false,
          recoveryInstanceId: ri.id,
          times: {
            snapshotStart: now,
            snapshotEnd: now,
            conversionStart: now,
            conversionEnd: now,
            launchStart: now,
            end,
          },
          settled: false,
        };
      }),
    };
    this.jobs.set(id, job);
    return job;
  }

  private finishTermination(server: JobServer): void {
    const ri = server.recoveryInstanceId
      ? this.recoveryInstances.get(server.recoveryInstanceId)
      : undefined;
    if (!ri) return;
    const instance = this.estate.instances.get(ri.id);
    if (instance)
      this.estate.terminate(instance, 'drs:TerminateRecoveryInstances', server.times.end);
    this.recoveryInstances.delete(ri.id);
    const source = this.sources.get(ri.sourceId);
    if (source?.recoveryInstanceId === ri.id) source.recoveryInstanceId = undefined;
  }

  /**
   * Replication in the other direction. From a recovery instance of a failover: a new source
   * server in the original region, replicating back, which launches into the original instance.
   * From a recovery instance of a failback: the original source server replicates again.
   */
  reverse(account: string, region: string, recoveryInstanceId: string): Source {
    const now = this.estate.now();
    const ri = this.recoveryInstances.get(recoveryInstanceId);
    if (!ri || ri.account !== account || ri.region !== region) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Recovery instance ${recoveryInstanceId} not found`,
        404,
        { resourceId: recoveryInstanceId, resourceType: 'RECOVERY_INSTANCE' },
      );
    }
    if (ri.isDrill)
      throw new AwsError(
        'ValidationException',
        `Recovery instance ${ri.id} was launched by a drill; replication cannot be reversed from a drill.`,
        400,
        { reason: 'other' },
      );
    if (this.estate.deps.faults.isRegionDown(ri.originRegion)) {
      throw new AwsError(
        'InternalServerException',
        `Cannot reach ${ri.originRegion} to set up replication back.`,
        500,
        { retryAfterSeconds: 60 },
      );
    }
    const from = this.sources.get(ri.sourceId);
    if (!from)
      throw new AwsError(
        'ResourceNotFoundException',
        `Source server ${ri.sourceId} not found`,
        404,
      );
    const sync = this.random.between(`sync:${ri.id}:${now}`, 10, 40) * MINUTE;
    // A server reversed before (a second drill, or re-protecting after failback) is reused.
    let target = [...this.sources.values()].find(
      (s) => s.arn === from.reversedArn && s.region === ri.originRegion,
    );
    if (!target) {
      const original = this.estate.instances.get(from.originInstanceId);
      target = this.addSource({
        id: `s-${this.random.hex(`reverse:${ri.id}`, 17)}`,
        account,
        region: ri.originRegion,
        direction: from.direction === 'FAILOVER' ? 'FAILBACK' : 'FAILOVER',
        name: from.name,
        originInstanceId: ri.id,
        originRegion: region,
        addedAt: now,
        tags: { ...from.tags },
        launchConfig: {
          ...defaultLaunchConfig(from.name),
          postLaunchEnabled: true,
          ...(original
            ? { launchIntoInstanceProperties: { launchIntoEC2InstanceID: original.instanceId } }
            : {}),
        },
        replication: 'INITIAL_SYNC',
        syncDoneAt: now + sync,
      });
    } else {
      target.originInstanceId = ri.id;
      target.originRegion = region;
      target.replication = 'INITIAL_SYNC';
      target.syncDoneAt = now + sync;
    }
    from.reversedArn = target.arn;
    from.replication = 'STOPPED';
    target.reversedArn = from.arn;
    ri.reversedSourceId = target.id;
    this.estate.record('reverse-replication', {
      recoveryInstanceId: ri.id,
      from: from.id,
      to: target.id,
      region: target.region,
      continuousAt: iso(now + sync),
    });
    return target;
  }
}

export function jobEnd(job: Job): number {
  return Math.max(job.createdAt, ...job.servers.map((s) => s.times.end));
}

export function defaultLaunchConfig(name: string): LaunchConfig {
  return {
    name,
    launchDisposition: 'STARTED',
    targetInstanceTypeRightSizingMethod: 'BASIC',
    copyPrivateIp: false,
    copyTags: false,
    licensing: { osByol: true },
    postLaunchEnabled: false,
  };
}

function quota(message: string, quotaCode: string): AwsError {
  return new AwsError('ServiceQuotaExceededException', message, 402, {
    serviceCode: 'drs',
    quotaCode,
    resourceType: 'JOB',
  });
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
