import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import { DrsJobs, type RecoveryRequest } from './drs-jobs.ts';
import { jobEnd, listSnapshots, readLag } from './drs-timeline.ts';

/** DRS's quotas, as the service enforces them per account and region. */
export const QUOTAS = { serversPerJob: 100, concurrentJobs: 20, serversInActiveJobs: 500 } as const;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

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

/**
 * The DRS world of every account and region: source servers, jobs, recovery instances, and the
 * rules that change them. Time-based reads (lag, snapshots, a job's progress) are computed in
 * `drs-timeline.ts`; what time brings (a launch landing) is scheduled on the estate by `drs-jobs.ts`.
 */
export class DrsState {
  readonly sources = new Map<string, Source>();
  readonly jobs = new Map<string, Job>();
  readonly recoveryInstances = new Map<string, RecoveryInstance>();
  private readonly runner: DrsJobs;

  constructor(private readonly estate: Estate) {
    this.runner = new DrsJobs(estate, this);
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
        tags: { ...home.sourceTags },
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

  /** Replication lag at a moment; reading it changes nothing. */
  lag(source: Source, now = this.estate.now()): Lag {
    return readLag(this.estate, source, now);
  }

  snapshots(source: Source, now = this.estate.now()): Snapshot[] {
    return listSnapshots(this.estate, source, now);
  }

  /** The job in this account and region, or ResourceNotFoundException. */
  job(account: string, region: string, id: string): Job {
    const job = this.jobs.get(id);
    if (!job || job.account !== account || job.region !== region)
      throw new AwsError('ResourceNotFoundException', `Job ${id} not found`, 404, {
        resourceId: id,
        resourceType: 'JOB',
      });
    return job;
  }

  /** The account's jobs in the region, newest first. */
  jobsIn(account: string, region: string): Job[] {
    return [...this.jobs.values()]
      .filter((j) => j.account === account && j.region === region)
      .reverse();
  }

  activeJobs(account: string, region: string, now = this.estate.now()): Job[] {
    return [...this.jobs.values()].filter(
      (j) => j.account === account && j.region === region && jobEnd(j) > now,
    );
  }

  /** The recovery instance in this account and region, or ResourceNotFoundException. */
  recoveryInstance(account: string, region: string, id: string): RecoveryInstance {
    const ri = this.recoveryInstances.get(id);
    if (!ri || ri.account !== account || ri.region !== region)
      throw new AwsError('ResourceNotFoundException', `Recovery instance ${id} not found`, 404, {
        resourceId: id,
        resourceType: 'RECOVERY_INSTANCE',
      });
    return ri;
  }

  recoveryInstancesIn(account: string, region: string): RecoveryInstance[] {
    return [...this.recoveryInstances.values()].filter(
      (r) => r.account === account && r.region === region,
    );
  }

  startRecovery(account: string, region: string, request: RecoveryRequest): Job {
    return this.runner.startRecovery(account, region, request);
  }

  terminate(account: string, region: string, ids: string[]): Job {
    return this.runner.terminate(account, region, ids);
  }

  /** Stops replication, or starts it again: a stopped server re-syncs before it is continuous. */
  setReplication(account: string, region: string, id: string, on: boolean): Source {
    const source = this.source(account, region, id);
    const now = this.estate.now();
    if (on && source.replication === 'STOPPED') {
      source.replication = 'INITIAL_SYNC';
      source.syncDoneAt = now + this.random.between(`resync:${source.id}:${now}`, 5, 20) * MINUTE;
    } else if (!on) {
      source.replication = 'STOPPED';
    }
    this.estate.record('replication', {
      sourceServerId: source.id,
      server: source.name,
      region: source.region,
      state: source.replication,
    });
    return source;
  }

  /** Changes launch settings; an instance to launch into must exist in the server's account and region. */
  updateLaunchConfiguration(
    account: string,
    region: string,
    id: string,
    update: Partial<LaunchConfig>,
  ): Source {
    const source = this.source(account, region, id);
    const target = update.launchIntoInstanceProperties?.launchIntoEC2InstanceID;
    if (target) {
      const instance = this.estate.instance(target);
      if (!instance || instance.account !== account || instance.region !== region) {
        throw new AwsError(
          'ValidationException',
          `Instance ${target} to launch into does not exist in ${region}.`,
          400,
          { reason: 'other' },
        );
      }
    }
    Object.assign(source.launchConfig, update);
    return source;
  }

  /** The account's source server, job or recovery instance with this ARN, or ResourceNotFoundException. */
  resource(account: string, arn: string): { tags: Record<string, string> } {
    const resource =
      [...this.sources.values()].find((s) => s.arn === arn) ??
      [...this.jobs.values()].find((j) => j.arn === arn) ??
      [...this.recoveryInstances.values()].find((r) => r.arn === arn);
    if (!resource || resource.account !== account)
      throw new AwsError('ResourceNotFoundException', `Resource ${arn} not found`, 404, {
        resourceId: arn,
      });
    return resource;
  }

  tag(account: string, arn: string, tags: Record<string, string>): void {
    Object.assign(this.resource(account, arn).tags, tags);
  }

  untag(account: string, arn: string, keys: string[]): void {
    const resource = this.resource(account, arn);
    for (const key of keys) delete resource.tags[key];
  }

  /**
   * Replication in the other direction. From a recovery instance of a failover: a new source
   * server in the original region, replicating back, which launches into the original instance.
   * From a recovery instance of a failback: the original source server replicates again.
   */
  reverse(account: string, region: string, recoveryInstanceId: string): Source {
    const now = this.estate.now();
    const ri = this.recoveryInstance(account, region, recoveryInstanceId);
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

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
